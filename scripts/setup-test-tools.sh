#!/usr/bin/env bash
# Tools the test suite uses besides the engines, all from Debian, idempotently:
# - Chromium and a font: the index.html test renders the page in real headless Chromium (playwright-core);
# - Go with Ginkgo v1 and Gomega (GO111MODULE=off GOPATH=/usr/share/gocode): the examples/go-ginkgo suite;
#   with gcc and libc6-dev, which Go 1.19 needs to build runtime/cgo (net, imported by Ginkgo's parallel runner);
# - pytest: the examples/pytest suite.
set -euo pipefail
log() { printf 'setup-test-tools: %s\n' "$*" >&2; }
GOCODE=/usr/share/gocode/src/github.com/onsi

need_pkgs=()
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
dpkg -s fonts-liberation >/dev/null 2>&1 || need_pkgs+=(fonts-liberation)
command -v go >/dev/null 2>&1 || need_pkgs+=(golang-go)
command -v gcc >/dev/null 2>&1 || need_pkgs+=(gcc)
dpkg -s libc6-dev >/dev/null 2>&1 || need_pkgs+=(libc6-dev)
[ -f "$GOCODE/ginkgo/ginkgo_dsl.go" ] || need_pkgs+=(golang-github-onsi-ginkgo-dev)
[ -f "$GOCODE/gomega/gomega_dsl.go" ] || need_pkgs+=(golang-gomega-dev)
/usr/bin/python3 -c 'import pytest' >/dev/null 2>&1 || need_pkgs+=(python3-pytest)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
log "ready: $(/usr/bin/chromium --version 2>/dev/null | head -1); $(go version); pytest $(/usr/bin/python3 -m pytest --version 2>&1 | sed 's/^pytest //')"
