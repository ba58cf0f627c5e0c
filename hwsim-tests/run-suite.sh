#!/usr/bin/env bash
# Every hwsim scenario in ONE boot of the test VM, then the host-side check
# of the fresh captures. What CI runs (scripts/test.sh); as root:
#
#   hwsim-tests/run-suite.sh [-o RESULTS_DIR] [SCENARIO...]
#
# 1. cargo build --locked --profile bench -p odin-agent -p odin-controller
#    -p odin-medium --bins (optimized, as the agent runs on an access point: the scenarios
#    run target/release/odin-*; the bench profile is the release profile
#    tuned for speed rather than size, and shares its dependencies with
#    the benchmarks the test command builds just before), and the odin-wire
#    capture tests;
# 2. boots the VM once (vm/run.sh) with vm/suite.sh, which runs each
#    scenario in turn, each with the radio count its header declares
#    (`# radios: N`, `# timeout: SECONDS`), cleaning up and reloading
#    mac80211_hwsim in between; the scenarios' log lines appear here as they
#    happen, prefixed with the seconds since that scenario started;
# 3. ODIN_CAPTURE_DIR=RESULTS/capture-frames/pcap cargo test -p odin-wire
#    --test captures --test radiotap_pcap (when capture-frames ran);
# 4. prints each scenario's summary.txt, then a table: one row per scenario,
#    the host check and the kernel log, and the RESULT lines.
#
# SCENARIO: a name (nl80211-controller) or a path; default: every
# scenarios/*.sh with a `# radios:` header, in name order. Results:
# RESULTS_DIR (default <repo>/target/hwsim-results/suite, emptied first),
# one folder per scenario ($ODIN_RESULTS/<scenario> in the guest), plus
# console.log (the whole serial console) and suite-results.txt.
# Exit code: 0 when every scenario and the host check passed and the kernel
# logged no WARNING, BUG or oops during the whole boot; 1 otherwise.
# Environment: as vm/run.sh (ODIN_HWSIM_*, RUST_LOG, ODIN_*).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
SCENARIOS_DIR=$SCRIPT_DIR/scenarios

say() { printf 'suite: %s\n' "$*" >&2; }
die() { printf 'suite: error: %s\n' "$*" >&2; exit 1; }
header() { sed -n "s/^# $1: *\([0-9][0-9]*\).*/\1/p" "$2" | head -n 1; }
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

RESULTS=$REPO_ROOT/target/hwsim-results/suite
while getopts 'o:h' opt; do
    case $opt in
        o) RESULTS=$OPTARG ;;
        *) sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 1 ;;
    esac
done
shift $((OPTIND - 1))

LIST=()
if [[ $# -eq 0 ]]; then
    for f in "$SCENARIOS_DIR"/*.sh; do
        [[ -n $(header radios "$f") ]] && LIST+=("$f")
    done
else
    for s in "$@"; do
        if [[ -f $s ]]; then
            LIST+=("$(cd -- "$(dirname -- "$s")" && pwd)/$(basename -- "$s")")
        elif [[ -f $SCENARIOS_DIR/${s%.sh}.sh ]]; then
            LIST+=("$SCENARIOS_DIR/${s%.sh}.sh")
        else
            die "no such scenario: $s"
        fi
    done
fi
[[ ${#LIST[@]} -gt 0 ]] || die "no scenario to run"
# The VM's overall timeout: the scenarios' own plus 30 s each for the
# reloads, plus the boot.
total=60
for f in "${LIST[@]}"; do
    [[ -n $(header radios "$f") ]] || die "$(basename "$f") has no '# radios: N' header"
    t=$(header timeout "$f")
    total=$((total + ${t:-300} + 30))
done
FIRST_RADIOS=$(header radios "${LIST[0]}")

T_START=$(date +%s.%N)
say "building the binaries the scenarios run"
cargo build --locked --profile bench -p odin-agent -p odin-controller -p odin-medium --bins
cargo test --locked -p odin-wire --test captures --test radiotap_pcap --no-run

rm -rf -- "$RESULTS"
mkdir -p -- "$RESULTS"
RESULTS=$(cd -- "$RESULTS" && pwd)
say "${#LIST[@]} scenarios in one VM boot, results in $RESULTS"
T_VM=$(date +%s.%N)
set +e
ODIN_RESULTS_DIR=$RESULTS "$SCRIPT_DIR/vm/run.sh" -r "$FIRST_RADIOS" -t "$total" \
    "$SCRIPT_DIR/vm/suite.sh" "${LIST[@]}" < /dev/null
vm_rc=$?
set -e
VM_SECS=$(elapsed "$T_VM")

# --- host-side check of the captures --------------------------------------------
HOST_ROW=
HOST_FAILED=0
for f in "${LIST[@]}"; do
    [[ $(basename "$f" .sh) == capture-frames ]] || continue
    T_HOST=$(date +%s.%N)
    if compgen -G "$RESULTS/capture-frames/pcap/*.pcap" > /dev/null; then
        say "odin-wire parses and re-emits every frame captured just now"
        if ODIN_CAPTURE_DIR=$RESULTS/capture-frames/pcap \
            cargo test --locked -p odin-wire --test captures --test radiotap_pcap; then
            HOST_ROW="PASS $(elapsed "$T_HOST")"
        else
            HOST_ROW="FAIL $(elapsed "$T_HOST")"
            HOST_FAILED=1
        fi
    else
        say "no captures in $RESULTS/capture-frames/pcap: odin-wire check skipped"
        HOST_ROW="FAIL 0.0"
        HOST_FAILED=1
    fi
done

# --- report ----------------------------------------------------------------------
for f in "${LIST[@]}"; do
    name=$(basename "$f" .sh)
    printf '\n==== %s: summary.txt\n' "$name"
    cat "$RESULTS/$name/summary.txt" 2>/dev/null || echo "(none)"
done

FAILED=$HOST_FAILED
printf '\n==== hwsim suite: %d scenarios in one VM boot (%s s), kernel %s\n' \
    "${#LIST[@]}" "$VM_SECS" "$(cat "${ODIN_HWSIM_CACHE:-$REPO_ROOT/.cache/hwsim}/current" 2>/dev/null || echo '?')"
printf '%-26s %6s  %-8s %8s\n' scenario radios result seconds
for f in "${LIST[@]}"; do
    name=$(basename "$f" .sh)
    row=$(awk -v n="$name" '$1 == n' "$RESULTS/suite-results.txt" 2>/dev/null | tail -n 1)
    if [[ -n $row ]]; then
        read -r _ radios result rc secs <<< "$row"
        [[ $result == PASS ]] || { FAILED=1; result="$result($rc)"; }
    else
        radios=$(header radios "$f") result="NOT-RUN" secs=-
        FAILED=1
    fi
    printf '%-26s %6s  %-8s %8s\n' "$name" "$radios" "$result" "$secs"
done
if [[ -n $HOST_ROW ]]; then
    read -r result secs <<< "$HOST_ROW"
    printf '%-26s %6s  %-8s %8s\n' "odin-wire captures (host)" - "$result" "$secs"
fi
kernel=clean
if [[ -f $RESULTS/.odin/dmesg.txt ]] &&
    grep -qE 'WARNING:|BUG:|Oops|general protection fault|Call Trace:' "$RESULTS/.odin/dmesg.txt"; then
    kernel=WARNING
    FAILED=1
elif [[ ! -f $RESULTS/.odin/dmesg.txt ]]; then
    kernel=missing
    FAILED=1
fi
printf '%-26s %6s  %-8s\n' "kernel log (whole boot)" - "$kernel"
case $vm_rc in
    0|1|126) ;;
    124) say "the VM timed out after $total s"; FAILED=1 ;;
    *) say "the VM ended without a result (run.sh exit code $vm_rc)"; FAILED=1 ;;
esac
[[ $vm_rc -eq 0 ]] || FAILED=1
grep -h 'RESULT ' "$RESULTS"/*/summary.txt 2>/dev/null | sed 's/^\[[^]]*\] //' || true
say "total $(elapsed "$T_START") s (VM $VM_SECS s); $([[ $FAILED -eq 0 ]] && echo PASSED || echo FAILED)"
exit "$FAILED"
