#!/usr/bin/env bash
# Runs a command with this machine's clock pretending to be at the next HH:MM in the hotline's zone
# (Asia/Shanghai unless CC_HOUR_ZONE says otherwise), or N hours on (+Nh), through Debian's libfaketime.
# The clock runs on from there, and every process the command starts (the app, Asterisk in its root, the
# phones) shares the same offset; monotonic clocks are left alone, so timers and timeouts behave.
#
# Usage: scripts/at-hour.sh 03:00 make test
#        scripts/at-hour.sh +12h .venv/bin/pytest -m any_hour
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 HH:MM|+Nh command [arguments...]" >&2
  exit 2
fi
target="$1"
shift

LIBFAKETIME=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
if [ ! -f "$LIBFAKETIME" ] || ! command -v gcc >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends libfaketime gcc libc6-dev
fi
# Monotonic sleeps must not move with the wall clock (see monotonic_sleep.c): built once, kept in the cache.
here="$(cd "$(dirname "$0")" && pwd)"
SHIM_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/cc12348/at-hour"
SHIM="$SHIM_DIR/monotonic_sleep.so"
if [ ! -f "$SHIM" ] || [ "$here/at-hour/monotonic_sleep.c" -nt "$SHIM" ]; then
  mkdir -p "$SHIM_DIR"
  gcc -shared -fPIC -O2 -o "$SHIM.tmp" "$here/at-hour/monotonic_sleep.c" -ldl
  mv "$SHIM.tmp" "$SHIM"
fi

offset=$(python3 - "$target" "${CC_HOUR_ZONE:-Asia/Shanghai}" <<'PY'
import sys
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

if sys.argv[1].startswith("+") and sys.argv[1].endswith("h"):
    print(int(sys.argv[1][1:-1]) * 3600)
    sys.exit()
target, zone = time.fromisoformat(sys.argv[1]), ZoneInfo(sys.argv[2])
now = datetime.now(zone)
moment = datetime.combine(now.date(), target, zone)
if moment <= now:
    moment += timedelta(days=1)
print(int((moment - now).total_seconds()) + 1)
PY
)

# Inside another at-hour run the clock is already moved: libfaketime's offsets count from the real
# clock, so the two add up.
case "${FAKETIME:-}" in
  +[0-9]* | -[0-9]*) offset=$((offset + FAKETIME)) ;;
esac
echo "at-hour: the machine's clock moved on by ${offset} s (${target}): $(FAKETIME="+${offset}" LD_PRELOAD="$LIBFAKETIME" TZ="${CC_HOUR_ZONE:-Asia/Shanghai}" date '+%F %R %Z')" >&2
export FAKETIME="+${offset}"
export FAKETIME_DONT_FAKE_MONOTONIC=1
# The shim first, so that its clock_nanosleep is the one every program calls.
case ":${LD_PRELOAD:-}:" in
  *":${LIBFAKETIME}:"*) ;;
  *) export LD_PRELOAD="${SHIM}:${LIBFAKETIME}${LD_PRELOAD:+:$LD_PRELOAD}" ;;
esac
exec "$@"
