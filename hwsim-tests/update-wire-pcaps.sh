#!/usr/bin/env bash
# Re-capture the radiotap pcaps used by odin-wire's parser tests: runs the
# capture-frames scenario in the hwsim VM and copies the trimmed captures to
# odin-wire/tests/data/. Review the diff (and README.md there) afterwards:
# timestamps, sequence numbers and some frame counts change on every run.
set -euo pipefail
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
OUT=$REPO_ROOT/target/hwsim-results/capture-frames
rm -rf -- "$OUT"
ODIN_RESULTS_DIR=$OUT "$SCRIPT_DIR/vm/run.sh" -r 4 -t "${ODIN_HWSIM_TIMEOUT:-600}" \
    "$SCRIPT_DIR/scenarios/capture-frames.sh" "$@"
mkdir -p "$REPO_ROOT/odin-wire/tests/data"
cp -v "$OUT"/pcap/*.pcap "$REPO_ROOT/odin-wire/tests/data/"
echo "pcaps updated; tcpdump -vvv listing: $OUT/pcap-summary.txt"
