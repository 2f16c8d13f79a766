#!/usr/bin/env bash
# Builds the console's vendored browser files:
# - agent_console/vendor/jssip.min.js: the npm package of JsSIP has no browser build, so esbuild bundles it
#   as an IIFE with the global `JsSIP` (the agent's console);
# - agent_console/vendor/echarts.min.js: ECharts' own browser build (global `echarts`), copied as it is
#   (the supervisors' wallboard).
# Idempotent: installs only when node_modules is missing, incomplete or older than package-lock.json,
# bundles or copies only when an output is missing or older than package-lock.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../agent_console"

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ ! -f node_modules/echarts/dist/echarts.min.js ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

OUT=vendor/jssip.min.js
if [ ! -f "$OUT" ] || [ package-lock.json -nt "$OUT" ] || [ jssip-entry.js -nt "$OUT" ]; then
  mkdir -p vendor
  node_modules/.bin/esbuild jssip-entry.js --bundle --format=iife --global-name=JsSIP --minify \
    --log-level=warning --outfile="$OUT"
fi

OUT=vendor/echarts.min.js
if [ ! -f "$OUT" ] || [ package-lock.json -nt "$OUT" ]; then
  mkdir -p vendor
  cp node_modules/echarts/dist/echarts.min.js "$OUT" # a fresh mtime: newer than the lock file
fi
