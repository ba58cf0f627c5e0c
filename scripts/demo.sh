#!/usr/bin/env bash
# The live demo: a QEMU VM with mac80211_hwsim radios and odin-medium as
# the air, three odin-agents, odin-controller with the mobility manager and
# the load balancer, three real wpa_supplicant clients walking between the
# APs, and the dashboard on this machine's loopback. Ctrl-C stops the VM
# and everything in it. As root (it installs Debian and npm packages and
# boots a VM):
#
#   scripts/demo.sh [--port PORT] [--walk SECONDS] [--minutes M]
#   scripts/demo.sh --in-process [--agents N] [--clients N] [--seconds S]
#
# --port: the dashboard's port on 127.0.0.1 (8080); --walk: seconds for a
# client's walk from one end of the line to the other (60); --minutes: stop
# after M minutes (default: 8 hours, or Ctrl-C). --in-process: no VM: the
# real controller and agents over TCP in one process, on a simulated
# medium with simulated clients, every controller event printed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

step() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} == --in-process ]]; then
    shift
    step "building (release)"
    cargo build --release --locked -p odin-testbed -p odin-agent --bins --examples
    step "one LVAP's life: association, migration between two agents, departure"
    target/release/examples/lvap_trace
    step "a network: controller, agents and clients on the simulated medium (Ctrl-C stops)"
    exec target/release/odin-testbed "$@"
fi

PORT=8080
WALK_S=60
MINUTES=480
while [[ $# -gt 0 ]]; do
    case $1 in
        --port) PORT=${2:?--port needs a value}; shift 2 ;;
        --walk) WALK_S=${2:?--walk needs a value}; shift 2 ;;
        --minutes) MINUTES=${2:?--minutes needs a value}; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (try --help)" ;;
    esac
done
[[ $PORT =~ ^[0-9]+$ && $PORT -ge 1 && $PORT -le 65535 ]] || die "bad --port: $PORT"
[[ $WALK_S =~ ^[0-9]+$ && $WALK_S -ge 10 ]] || die "--walk wants whole seconds, 10 or more"
[[ $MINUTES =~ ^[0-9]+$ && $MINUTES -ge 1 ]] || die "--minutes wants a whole number, 1 or more"
[[ $(id -u) -eq 0 ]] || die "run as root: it installs packages and boots a VM"
if (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "127.0.0.1:$PORT is taken: pick another with --port"
fi

T0=$(date +%s)
step "QEMU, hostapd, wpa_supplicant and a Debian kernel for the VM (cached in .cache/hwsim)"
hwsim-tests/vm/prepare.sh

step "Node.js and the dashboard's packages"
if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm </dev/null
fi
# Vite 7 wants Node.js 20.19 or later (Debian 12's own nodejs is 18).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
    die "Node.js $(node --version) is too old: the dashboard's build (Vite 7) needs 20.19 or later"
(cd web && npm ci --no-audit --no-fund)
step "building the dashboard (web/dist)"
(cd web && npm run build)

step "building odin-agent, odin-controller and odin-medium (optimized)"
cargo build --locked --profile bench -p odin-agent -p odin-controller -p odin-medium --bins

RESULTS=$REPO/target/hwsim-results/demo
rm -rf -- "$RESULTS"
mkdir -p -- "$RESULTS"
TOKEN=$(target/release/odin-controller token create --file "$RESULTS/api-tokens" --name demo 2>/dev/null)
[[ $TOKEN == odin_* ]] || die "could not create an API token"
printf '%s\n' "$TOKEN" > "$RESULTS/api-token"
chmod 600 "$RESULTS/api-token"
built=$(date +%s)

step "booting the VM: 6 radios, odin-medium, 3 agents, the controller, 3 clients (logs in $RESULTS)"
banner() {
    local ready=$1
    printf '\n'
    printf '  ================================================================\n'
    printf '  Dashboard:  http://127.0.0.1:%s/\n' "$PORT"
    printf '  API token:  %s\n' "$TOKEN"
    printf '  (ready %s s after the build; Ctrl-C stops the VM and everything in it)\n' "$ready"
    printf '  ================================================================\n\n'
}
stopped() { printf '\ndemo: stopped after %s s\n' "$(( $(date +%s) - T0 ))"; }
trap stopped EXIT
set +e
ODIN_HWSIM_FOREGROUND=1 ODIN_HWSIM_NO_PREPARE=1 ODIN_RESULTS_DIR=$RESULTS \
    ODIN_DEMO_GUEST_PORT=8080 ODIN_DEMO_WALK_S=$WALK_S \
    hwsim-tests/vm/run.sh -r 6 -t $((MINUTES * 60)) -p "$PORT:8080" hwsim-tests/live/demo.sh < /dev/null 2>&1 |
    while IFS= read -r line; do
        printf '%s\n' "$line"
        [[ $line == *"odin-demo: READY"* ]] && banner $(( $(date +%s) - built ))
    done
