#!/usr/bin/env bash
# Runs the web UI's tests: type check, Vitest unit tests, then the end-to-end tests, which
# start the real `torro serve --demo` (target/debug/torro) on a random loopback port and
# drive Debian's Chromium through playwright-core. Installs what is missing: npm packages
# from ui/package-lock.json (npm ci) and the chromium package (apt-get).
# Screenshots of every page land in ui/e2e-screenshots/ (git-ignored).
# With CI=true a missing tool fails the run; otherwise the UI tests say loudly they skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }
skip() {
  if [ "${CI:-}" = "true" ]; then
    log "CI=true and $1: failing"
    exit 1
  fi
  log "!!! SKIPPED: web UI tests: $1 !!!"
  exit 0
}

command -v npm >/dev/null || skip "npm is not installed (install Node.js 20.19+ and npm)"

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  log "installing Debian's chromium for the end-to-end tests"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; } ||
    skip "chromium could not be installed (apt-get install chromium)"
fi
export CHROMIUM

cd ui
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (ui/)"
  npm ci --no-audit --no-fund
fi
export NO_COLOR=1
log "ui: type check"
npm run --silent typecheck
log "ui: unit tests (Vitest)"
npm test --silent

log "ui: production build"
npm run --silent build
log "ui: building the torro binary for the end-to-end tests"
(cd .. && cargo build -p torro --locked --quiet)
export TORRO_BIN="${TORRO_BIN:-$PWD/../target/debug/torro}"
log "ui: end-to-end tests (Playwright + Chromium against torro serve --demo)"
npm run --silent e2e
