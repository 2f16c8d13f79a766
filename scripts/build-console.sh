#!/usr/bin/env bash
# Builds the agent console's vendored JsSIP bundle (agent_console/vendor/jssip.min.js).
# The npm package of JsSIP has no browser build, so esbuild bundles it as an IIFE with the global `JsSIP`.
# Idempotent: installs only when node_modules is missing or older than package-lock.json,
# bundles only when the output is missing or older than package-lock.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../agent_console"

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

OUT=vendor/jssip.min.js
if [ ! -f "$OUT" ] || [ package-lock.json -nt "$OUT" ] || [ jssip-entry.js -nt "$OUT" ]; then
  mkdir -p vendor
  node_modules/.bin/esbuild jssip-entry.js --bundle --format=iife --global-name=JsSIP --minify \
    --log-level=warning --outfile="$OUT"
fi
