#!/usr/bin/env bash
# Boot the hwsim test VM and run one scenario script inside it.
#
#   run.sh [-r RADIOS] [-t TIMEOUT] [-o RESULTS_DIR] [-e KEY=VALUE]... [-p HOST_PORT:GUEST_PORT]... SCENARIO [ARGS...]
#
# The guest sees the host's root filesystem read-only (with tmpfs on /tmp,
# /run and /var/tmp) and runs SCENARIO with bash, chrooted into it, from the
# repository root. RESULTS_DIR is shared writable and mounted in the guest at
# /run/odin-results; the scenario finds that path in $ODIN_RESULTS.
#
# Environment seen by the scenario:
#   ODIN_REPO          repository root (same path as on the host)
#   ODIN_RESULTS       /run/odin-results (the writable results share)
#   ODIN_HOST_RESULTS  the results directory's path on the host
#   ODIN_RADIOS        number of mac80211_hwsim radios loaded
#   ODIN_SCENARIO      the scenario's path
#   plus RUST_LOG, RUST_BACKTRACE and every ODIN_* variable set on the host,
#   plus each -e KEY=VALUE.
#
# Options / environment of run.sh:
#   -r N  / ODIN_RADIOS            hwsim radios (default 3)
#   -t S  / ODIN_HWSIM_TIMEOUT     overall timeout in seconds (default 600);
#                                  QEMU is killed when it expires
#   -o D  / ODIN_RESULTS_DIR       results directory (default
#                                  <repo>/target/hwsim-results/<scenario name>,
#                                  emptied before the run)
#   -p H:G               give the guest a network card (virtio-net on QEMU's
#                        user-mode network, restrict=on: the guest reaches
#                        nothing outside) whose TCP port G (on 10.0.2.15, the
#                        guest's address there) is forwarded from
#                        127.0.0.1:H on the host; the guest loads virtio_net
#                        and configures the card itself (the live demo does)
#   ODIN_HWSIM_FOREGROUND=1  QEMU in the terminal's foreground process group
#                        (timeout --foreground): Ctrl-C stops it at once
#   ODIN_HWSIM_PARAMS    extra mac80211_hwsim module parameters
#   ODIN_HWSIM_MEM       guest memory in MiB (default 1024)
#   ODIN_HWSIM_SMP       guest CPUs (default 2)
#   ODIN_HWSIM_ACCEL     QEMU accelerator (default tcg; kvm needs a usable /dev/kvm)
#   ODIN_HWSIM_NO_PREPARE=1  do not run prepare.sh (use the cache as it is)
#   ODIN_HWSIM_CACHE     cache root, as for prepare.sh
#
# Exit code: the scenario's exit code; 126 if it passed but the kernel
# logged a WARNING, BUG or oops (the guest's dmesg is kept in
# RESULTS/.odin/dmesg.txt); 124 if the run timed out; 130 if QEMU ran in
# the foreground (ODIN_HWSIM_FOREGROUND=1) and a signal (Ctrl-C) stopped
# it; 125 if the VM failed before the scenario could report a result.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd)
CACHE_ROOT=${ODIN_HWSIM_CACHE:-$REPO_ROOT/.cache/hwsim}

log() { printf 'run: %s\n' "$*" >&2; }
die() { printf 'run: error: %s\n' "$*" >&2; exit 125; }
usage() { sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 125; }

RADIOS=${ODIN_RADIOS:-3}
TIMEOUT=${ODIN_HWSIM_TIMEOUT:-600}
RESULTS=${ODIN_RESULTS_DIR:-}
EXTRA_ENV=()
FORWARDS=()
while getopts 'r:t:o:e:p:h' opt; do
    case $opt in
        r) RADIOS=$OPTARG ;;
        t) TIMEOUT=$OPTARG ;;
        o) RESULTS=$OPTARG ;;
        e) [[ $OPTARG == [A-Za-z_]*=* ]] || die "-e wants KEY=VALUE, got: $OPTARG"
           EXTRA_ENV+=("$OPTARG") ;;
        p) [[ $OPTARG =~ ^[0-9]{1,5}:[0-9]{1,5}$ ]] || die "-p wants HOST_PORT:GUEST_PORT, got: $OPTARG"
           FORWARDS+=("$OPTARG") ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[[ $# -ge 1 ]] || usage
SCENARIO=$1
shift
[[ -f $SCENARIO ]] || die "no such scenario: $SCENARIO"
SCENARIO=$(cd -- "$(dirname -- "$SCENARIO")" && pwd)/$(basename -- "$SCENARIO")
[[ $RADIOS =~ ^[0-9]+$ && $RADIOS -ge 1 && $RADIOS -le 100 ]] || die "bad radio count: $RADIOS"
[[ $TIMEOUT =~ ^[0-9]+$ && $TIMEOUT -ge 30 ]] || die "bad timeout (seconds, >= 30): $TIMEOUT"
HWSIM_PARAMS=${ODIN_HWSIM_PARAMS:-}
[[ $HWSIM_PARAMS =~ ^[A-Za-z0-9_=,\ -]*$ ]] || die "bad ODIN_HWSIM_PARAMS: $HWSIM_PARAMS"

# Guest /tmp, /run and /var/tmp are empty tmpfs: nothing of the host under
# them is visible. A repository there (a CI clone in /tmp, say) is shared
# on its own and mounted back at the same path inside the guest.
REPO_SHARE=0
case $REPO_ROOT/ in
    /tmp/*|/run/*|/var/tmp/*) REPO_SHARE=1 ;;
esac

# --- kernel and initramfs ----------------------------------------------------
if [[ ${ODIN_HWSIM_NO_PREPARE:-0} != 1 ]]; then
    "$SCRIPT_DIR/prepare.sh" || die "prepare.sh failed"
fi
[[ -f $CACHE_ROOT/current ]] || die "no prepared kernel in $CACHE_ROOT: run prepare.sh"
KVER=$(cat "$CACHE_ROOT/current")
KDIR=$CACHE_ROOT/$KVER
[[ -s $KDIR/vmlinuz && -s $KDIR/initrd.gz ]] || die "incomplete cache in $KDIR: run prepare.sh"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed: run prepare.sh"

# --- results directory ---------------------------------------------------------
name=$(basename -- "$SCENARIO"); name=${name%.sh}
if [[ -z $RESULTS ]]; then
    RESULTS=$REPO_ROOT/target/hwsim-results/$name
    rm -rf -- "$RESULTS"
fi
mkdir -p -- "$RESULTS"
RESULTS=$(cd -- "$RESULTS" && pwd)
rm -rf -- "$RESULTS/.odin"
mkdir -p -- "$RESULTS/.odin"
chmod 777 "$RESULTS"

case $SCENARIO in
    # Inside the repository: visible in the guest at the same path (shared
    # on its own when the repository is under /tmp), next to its lib.sh.
    "$REPO_ROOT"/*) GUEST_SCENARIO=$SCENARIO ;;
    /tmp/*|/run/*|/var/tmp/*)
        cp -- "$SCENARIO" "$RESULTS/.odin/scenario.sh"
        GUEST_SCENARIO=/run/odin-results/.odin/scenario.sh ;;
    *) GUEST_SCENARIO=$SCENARIO ;;
esac

GUEST_TIMEOUT=$((TIMEOUT > 60 ? TIMEOUT - 20 : TIMEOUT - 10))
{
    printf 'ODIN_RADIOS=%s\n' "$RADIOS"
    printf 'ODIN_GUEST_TIMEOUT=%s\n' "$GUEST_TIMEOUT"
    printf "ODIN_HWSIM_PARAMS='%s'\n" "$HWSIM_PARAMS"
    if [[ $REPO_SHARE -eq 1 ]]; then
        printf 'ODIN_REPO_SHARE=%q\n' "$REPO_ROOT"
    fi
} > "$RESULTS/.odin/init.env"

{
    echo '#!/bin/bash'
    echo '# generated by hwsim-tests/vm/run.sh'
    # Pass-through from the host environment.
    while IFS= read -r var; do
        case $var in ODIN_RESULTS_DIR|ODIN_HWSIM_*) continue ;; esac
        printf 'export %s=%q\n' "$var" "${!var}"
    done < <(compgen -e | grep -E '^(ODIN_[A-Za-z0-9_]*|RUST_LOG|RUST_BACKTRACE)$' || true)
    for kv in "${EXTRA_ENV[@]}"; do
        printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
    printf 'export ODIN_REPO=%q\n' "$REPO_ROOT"
    printf 'export ODIN_RESULTS=/run/odin-results\n'
    printf 'export ODIN_HOST_RESULTS=%q\n' "$RESULTS"
    printf 'export ODIN_RADIOS=%q\n' "$RADIOS"
    printf 'export ODIN_SCENARIO=%q\n' "$GUEST_SCENARIO"
    printf 'export ODIN_KERNEL=%q\n' "$KVER"
    # shellcheck disable=SC2016 # expanded in the guest
    printf 'cd "$ODIN_REPO" || exit 125\n'
    # shellcheck disable=SC2016

    printf 'echo "odin-run: starting $ODIN_SCENARIO with $ODIN_RADIOS radios at $(cut -d" " -f1 /proc/uptime) s"\n'
    # shellcheck disable=SC2016
    printf 'exec /bin/bash "$ODIN_SCENARIO"'
    [[ $# -gt 0 ]] && printf ' %q' "$@"
    printf '\n'
} > "$RESULTS/.odin/launch.sh"

# --- QEMU ----------------------------------------------------------------------
# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
QEMU=(qemu-system-x86_64
    -accel "${ODIN_HWSIM_ACCEL:-tcg}"
    -m "${ODIN_HWSIM_MEM:-1024}" -smp "${ODIN_HWSIM_SMP:-2}"
    -nodefaults -display none -monitor none -serial stdio -no-reboot
    -kernel "$KDIR/vmlinuz" -initrd "$KDIR/initrd.gz"
    -append "console=ttyS0 quiet panic=-1 ${ODIN_HWSIM_APPEND:-}"
    -fsdev local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap
    -device virtio-9p-pci,fsdev=fs0,mount_tag=host
    -fsdev "local,id=fs1,path=$RESULTS,security_model=none"
    -device virtio-9p-pci,fsdev=fs1,mount_tag=results
)
if [[ $REPO_SHARE -eq 1 ]]; then
    # shellcheck disable=SC2054 # commas belong to QEMU's option syntax
    QEMU+=(-fsdev "local,id=fs2,path=$REPO_ROOT,security_model=none,readonly=on,multidevs=remap"
        -device virtio-9p-pci,fsdev=fs2,mount_tag=repo)
fi

if [[ ${#FORWARDS[@]} -gt 0 ]]; then
    netdev=user,id=net0,restrict=on
    for f in "${FORWARDS[@]}"; do
        netdev+=",hostfwd=tcp:127.0.0.1:${f%%:*}-10.0.2.15:${f#*:}"
    done
    # shellcheck disable=SC2054 # commas belong to QEMU's option syntax
    QEMU+=(-netdev "$netdev" -device virtio-net-pci,netdev=net0)
fi
TIMEOUT_OPTS=(-k 5)
[[ ${ODIN_HWSIM_FOREGROUND:-0} == 1 ]] && TIMEOUT_OPTS+=(--foreground)

log "kernel $KVER, $RADIOS radios, timeout ${TIMEOUT}s, results in $RESULTS"
log "scenario $SCENARIO $*"
start=$(date +%s.%N)
set +e
timeout "${TIMEOUT_OPTS[@]}" "$TIMEOUT" "${QEMU[@]}" </dev/null 2>&1 | tee "$RESULTS/console.log"
qemu_rc=${PIPESTATUS[0]}
set -e
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

if [[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]]; then
    log "timed out after ${elapsed}s (QEMU killed)"
    exit 124
fi
if [[ ! -s $RESULTS/.odin/exit-code ]]; then
    if [[ ${ODIN_HWSIM_FOREGROUND:-0} == 1 ]] && grep -q 'terminating on signal' "$RESULTS/console.log" 2>/dev/null; then
        # Ctrl-C (or another signal) stopped QEMU in the foreground: the
        # live demo's way to end.
        log "QEMU stopped by a signal after ${elapsed}s"
        exit 130
    fi
    log "VM ended after ${elapsed}s without a result (QEMU exit code $qemu_rc)"
    exit 125
fi
rc=$(cat "$RESULTS/.odin/exit-code")
[[ $rc =~ ^[0-9]+$ ]] || rc=125
log "scenario exit code $rc, VM run took ${elapsed}s"
# A kernel WARNING, BUG or oops fails the run whatever the scenario said.
if [[ -f $RESULTS/.odin/dmesg.txt ]] &&
    grep -qE 'WARNING:|BUG:|Oops|general protection fault|Call Trace:' "$RESULTS/.odin/dmesg.txt"; then
    log "the kernel complained during the run:"
    grep -E -A3 'WARNING:|BUG:|Oops|general protection fault' "$RESULTS/.odin/dmesg.txt" | head -n 40 >&2
    [[ $rc -eq 0 ]] && rc=126
fi
exit "$rc"
