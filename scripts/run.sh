#!/usr/bin/env bash
# run.sh - install what is missing, build release, and start the rack.
# With no JACK server answering, a private `jackd -d dummy -r 48000 -p 64` is started (and stopped on exit).
# Extra arguments go to stagerack, e.g.: scripts/run.sh --chain 'gate>delay:time_ms=500'
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake --preset release >/dev/null
cmake --build --preset release
bin=build/release/app/stagerack

jackd_pid=""
rack=""
cleanup() {  # runs once on exit, whatever ended us: stop the rack, then the jackd we started (by PID)
  set +e
  if [ -n "$rack" ]; then kill -TERM "$rack" 2>/dev/null; wait "$rack" 2>/dev/null; fi
  if [ -n "$jackd_pid" ]; then scripts/start-test-jackd.sh stop "$jackd_pid" "${JACK_DEFAULT_SERVER:-}"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if JACK_NO_START_SERVER=1 jack_lsp ${JACK_DEFAULT_SERVER:+-s "$JACK_DEFAULT_SERVER"} >/dev/null 2>&1; then
  echo "run.sh: using the running JACK server${JACK_DEFAULT_SERVER:+ '$JACK_DEFAULT_SERVER'}"
else
  echo "run.sh: no JACK server answers; starting a private dummy-backend jackd (48 kHz, 64 frames)"
  out=$(scripts/start-test-jackd.sh start -n "stagerack-$$" -p 64) || { echo "run.sh: could not start jackd" >&2; exit 1; }
  eval "$out"
  jackd_pid=$JACKD_PID
fi

# Connect to the system ports when they exist (the dummy backend has them too).
connect=()
if JACK_NO_START_SERVER=1 jack_lsp ${JACK_DEFAULT_SERVER:+-s "$JACK_DEFAULT_SERVER"} 2>/dev/null | grep -q '^system:capture_1$'; then
  connect+=(--connect-in system:capture_1 --connect-out system:playback_1 system:playback_2)
fi
has_chain=0
for a in "$@"; do [ "$a" = "--chain" ] && has_chain=1; done
chain=()
[ $has_chain -eq 0 ] && chain=(--chain 'gate:threshold_db=-60>amp:model=crunch>cabinet:model=2x12>delay:time_ms=375,feedback=0.3,mix=0.25')

echo "run.sh: starting stagerack (Ctrl-C to stop); status once a second:"
"$bin" --headless ${JACK_DEFAULT_SERVER:+--server "$JACK_DEFAULT_SERVER"} "${connect[@]}" "${chain[@]}" \
  --status-interval 1 "$@" &
rack=$!
rc=0
wait "$rack" || rc=$?
rack=""
exit "$rc"
