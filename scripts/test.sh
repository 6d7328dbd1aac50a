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
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run_preset() {  # $1 preset, then the targets to build (default: all)
  local preset=$1; shift
  step "configure + build: $preset"
  cmake --preset "$preset" >/dev/null
  if [ $# -gt 0 ]; then cmake --build --preset "$preset" --target "$@"; else cmake --build --preset "$preset"; fi
  step "test: $preset"
  if ! ctest --preset "$preset" --output-on-failure | tee "$log"; then status=1; fi
  # "NN% tests passed, F tests failed out of T"
  local line total fails
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then status=1; echo "test.sh: no ctest summary for $preset"; return; fi
  fails=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  passed=$(( passed + total - fails ))
  failed=$(( failed + fails ))
}

run_preset dev
if [ "$quick" -eq 0 ]; then
  run_preset asan                # the whole suite under AddressSanitizer + UBSan
  run_preset tsan engine_tests   # engine and queue tests under ThreadSanitizer (clang)
fi

step "done: $([ $status -eq 0 ] && echo all passed || echo FAILURES)"
echo "tests: $passed passed, $failed failed"
exit $status
