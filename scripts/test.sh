#!/usr/bin/env bash
# test.sh - install what is missing, build, and run every test: the dev build (unit, DSP, CLI, JACK
# integration, RT-safety proof), the whole suite under ASan+UBSan, and engine/queue tests under TSan.
# Usage: scripts/test.sh [--quick]   (--quick: dev build only, no sanitizer builds)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

step() { echo; echo "=== $* ($(( $(date +%s) - start )) s)"; }

status=0
run_preset() {  # $1 preset, $2 ctest extra args
  local preset=$1; shift
  step "configure + build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  step "test: $preset"
  if ! ctest --preset "$preset" --output-on-failure "$@"; then status=1; fi
}

run_preset dev
if [ "$quick" -eq 0 ]; then
  # jackd clients under sanitizers are slower to answer: the tests raise the client timeout themselves.
  run_preset asan
  run_preset tsan
fi

step "done: $([ $status -eq 0 ] && echo all passed || echo FAILURES)"
exit $status
