#!/usr/bin/env bash
# Harness smoke test: radios present, results share writable, env passed.
#   hwsim-tests/vm/run.sh -r 2 hwsim-tests/scenarios/smoke.sh
#   hwsim-tests/run-suite.sh smoke
# radios: 2
# timeout: 120
set -eu
echo "repo $ODIN_REPO, results $ODIN_RESULTS, radios $ODIN_RADIOS, kernel $(uname -r)"
n=$(find /sys/class/ieee80211 -mindepth 1 -maxdepth 1 | wc -l)
[[ $n -eq $ODIN_RADIOS ]] || { echo "expected $ODIN_RADIOS radios, found $n"; exit 1; }
iw dev | grep -E 'Interface|addr'
echo ok > "$ODIN_RESULTS/smoke.txt"
echo "smoke ok: $n radios" | tee "$ODIN_RESULTS/summary.txt"
