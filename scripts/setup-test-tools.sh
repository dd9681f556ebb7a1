#!/usr/bin/env bash
# Tools the test suite uses besides the engines: Debian's Chromium (the index.html test renders the page
# in real headless Chromium through playwright-core) and a font for it. Idempotent.
set -euo pipefail
log() { printf 'setup-test-tools: %s\n' "$*" >&2; }
if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-liberation >/dev/null 2>&1; then
  log "installing chromium fonts-liberation"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi
log "ready: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
