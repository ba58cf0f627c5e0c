#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# The live demo (hwsim-tests/live/demo.sh, what scripts/demo.sh boots) in
# the test suite, so that the README's first command cannot rot: the same
# guest script without the network card (ODIN_DEMO_NO_UPLINK=1; the
# dashboard is fetched from the LAN namespace instead of the host), its
# clients walking twice as fast. Checks that it gets ready (three agents
# up, three real clients associated through Odin), that the controller
# serves the dashboard without a token and refuses the API without one,
# that the API with the token shows the three clients on active LVAPs,
# and that the mobility manager moves a client as it walks. Reported:
#   RESULT demo ready_s=N clients=3 handoffs=N
# (ready_s: from the start of the guest script to its READY line; handoffs:
# the mobility manager's completed handoffs when the check ends). Needs
# web/dist (the test command builds it in scripts/web-test.sh).
# Builds nothing: the host builds the binaries (hwsim-tests/run-suite.sh).
# radios: 6
# timeout: 300
set -u

RES=${ODIN_RESULTS:-/tmp/demo}
mkdir -p "$RES"
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=demo
PIDS=()
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

[[ -f $ODIN_REPO/web/dist/index.html ]] || fail "no dashboard build in web/dist (cd web && npm ci && npm run build)"
"$BIN/odin-controller" token create --file "$RES/api-tokens" --name demo-test > "$RES/api-token" 2>/dev/null ||
    fail "odin-controller token create"
TOKEN=$(cat "$RES/api-token")

T0=$(now)
ODIN_DEMO_NO_UPLINK=1 ODIN_DEMO_WALK_S=30 bash "$ODIN_REPO/hwsim-tests/live/demo.sh" \
    > >(tee "$RES/live.out") 2>&1 &
DEMO=$!
PIDS+=("$DEMO")
wait_for 180 grep -q "odin-demo: READY" "$RES/live.out" || fail "the demo was not ready within 180 s"
ready_ms=$(ms_since "$T0")
log "the demo is ready after $((ready_ms / 1000)) s"

BASE=http://$CONTROLLER_ADDR:8080
page=$(api "$BASE/") || fail "GET / failed"
grep -q '<div id="app"' <<< "$page" || fail "GET / is not the dashboard: $(head -c 200 <<< "$page")"
status=$(api -o /dev/null -w '%{http_code}' "$BASE/api/v1/clients")
[[ $status == 401 ]] || fail "the API without a token answered $status, not 401"
clients=$(api -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/clients") || fail "GET /api/v1/clients"
active=$(jq '[.clients[] | select(.lvap.state == "active")] | length' <<< "$clients")
log "dashboard served; API: 401 without the token, $active clients on active LVAPs with it"
[[ $active -eq 3 ]] || fail "$active clients active, not 3: $clients"

handoffs() {
    api -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/events?kind=handoff_completed&app=mobility&limit=1000" |
        jq '.events | length'
}
# Every 2 s (each try forks curl and jq, which costs under emulation).
for ((tries = 0; tries < 60; tries++)); do
    n=$(handoffs)
    [[ ${n:-0} -ge 1 ]] && break
    sleep 2
done
[[ ${n:-0} -ge 1 ]] || fail "the mobility manager moved nobody within 120 s"
echo "RESULT demo ready_s=$((ready_ms / 1000)) clients=$active handoffs=$n" | tee -a "$RES/summary.txt"
kill -TERM "$DEMO"
wait_for 15 sh -c "! kill -0 $DEMO" || fail "the demo did not stop on SIGTERM"
log "PASS"
