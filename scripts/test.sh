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
run_preset() {  # $1 preset, then the targets to build (default: all)
  local preset=$1; shift
  step "configure + build: $preset"
  cmake --preset "$preset" >/dev/null
  if [ $# -gt 0 ]; then cmake --build --preset "$preset" --target "$@"; else cmake --build --preset "$preset"; fi
  step "test: $preset"
  if ! ctest --preset "$preset" --output-on-failure; then status=1; fi
}

run_preset dev
if [ "$quick" -eq 0 ]; then
  run_preset asan                # the whole suite under AddressSanitizer + UBSan
  run_preset tsan engine_tests   # engine and queue tests under ThreadSanitizer (clang)
fi

step "done: $([ $status -eq 0 ] && echo all passed || echo FAILURES)"
exit $status
