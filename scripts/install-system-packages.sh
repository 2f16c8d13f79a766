#!/usr/bin/env bash
# Installs the Debian packages the call centre and its tests need, only when something is missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
have debootstrap || missing+=(debootstrap)
have sipp || missing+=(sip-tester)
have sox || missing+=(sox)
have espeak-ng || missing+=(espeak-ng)
have redis-server || missing+=(redis-server)
have unshare || missing+=(util-linux)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# The agent console's SIP library is bundled with esbuild at install; its browser tests drive chromium.
have node || missing+=(nodejs)
have npm || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The suite's wall-clock guard runs the time-sensitive tests at other hours (scripts/at-hour.sh).
[ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || missing+=(libfaketime)
# Chinese text in the console's screenshots (the tests save them); without it, boxes.
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
