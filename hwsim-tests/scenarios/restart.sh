#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# The controller dies and comes back; the network does not notice.
# odin-controller (REST API on the wired LAN), agents ap1 and ap2 on
# channel 1 with their LVAPs on br0, two wpa_supplicant clients (sta1,
# sta2), one served by each agent (when the placement put both on one
# agent, sta2 moves to the other by a REST handoff first), each pinging the
# LAN host every 10 ms for the whole run. After BACKGROUND seconds the
# controller gets SIGKILL, stays dead OUTAGE_MS, and starts again with the
# same command line and the same store (SQLite); the restarted controller
# loads the clients and their BSSIDs from it. Then:
#   1. both agents must be up again (GET /api/v1/agents), and each client
#      listed with its LVAP active on the agent that served it before the
#      kill, under the same BSSID (the restarted controller learns the
#      network from the agents' hellos);
#   2. each client is handed to the other agent (POST
#      /api/v1/clients/{mac}/handoff), one second apart: both must succeed
#      (handoffs_after=ok) and the API show the clients there;
#   3. AFTER seconds more of pings, then the analysis.
# The outage: the controller stays dead OUTAGE_MS, 4000 by default
# (ODIN_OUTAGE_MS; at least 2000 is meaningful). The agent has no
# heartbeat timeout of its own: the killed controller's connection closes
# at once (the kernel closes its sockets) and the agent redials with a
# jittered exponential backoff (odin-agent/src/link.rs: 200 ms doubling to
# 10 s, each wait up to 25 % longer): dials ~0.2, 0.6, 1.4, 3.0, 6.2,
# 12.6 s after the kill (the jitter adds up to 1.6 s by the sixth). 4 s
# is longer than the controller's heartbeat timeout and its wait before
# it authorizes a stranded adopted LVAP (both 3 s, ControllerConfig in
# odin-controller/src/core/api.rs): a restarted controller that kept its
# registry must not take the agents' silence for their death. The agents
# find the new controller at their 6.2-7.8 s dial, or at the 12.6-15.8 s
# one when it is not listening by then (starting it takes up to ~3.5 s in
# the emulated VM): the LVAPs serve without a controller for 6-16 s.
# Reported (one line; across both clients):
#   RESULT restart lost=.. disconnections=.. max_gap_ms=.. outage_ms=.. handoffs_after=ok|failed handoff_lost=..
# lost: replies missing among the requests sent before the first handoff
# after the restart (so through the background, the kill, the outage and
# the restart: a gap in icmp_seq, dated by the reply before it);
# handoff_lost: the rest (sent - received, from each ping's summary, minus
# lost): what the two migrations after the restart cost, a migration's own
# figure (migration.sh measures it over 20), reported, not a failure of
# the restart; disconnections: in each client's
# wpa_supplicant log from its first connection on, the
# CTRL-EVENT-DISCONNECTED lines, plus every new association (a later
# CTRL-EVENT-CONNECTED, "Trying to associate" or "Associated with" line),
# plus one when its BSSID at the end is not the one it had at the start;
# max_gap_ms: the largest gap between consecutive replies over the WHOLE
# ping run of either client (background, outage, restart, handoffs);
# outage_ms: from the SIGKILL to the second agent's hello to the new
# controller (its "agent up" log line). Passes only with lost=0,
# disconnections=0, handoffs_after=ok (and the checks of 1 and 2).
# Also in summary.txt: each client's ping_gap_report (max_gap_ms there:
# within a second after the kill or a handoff; background before the kill).
# Builds nothing: the host builds the binaries (see hwsim-tests/run-suite.sh).
# radios: 4
# timeout: 300
set -u

RES=${ODIN_RESULTS:-/tmp/restart}
mkdir -p "$RES" /run/wpa_supplicant
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=restart
CHANNEL=1
FREQ=2412
SSID=odin
API_PORT=8080
BACKGROUND=${ODIN_BACKGROUND_S:-5}
OUTAGE_MS=${ODIN_OUTAGE_MS:-4000}
AFTER=${ODIN_AFTER_S:-2}
SECRET_FILE=/run/odin-secret
API_TIMEOUT=20
PIDS=()
declare -A PID
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

odin_setup 2 2

# --- helpers of this scenario ------------------------------------------------------
# iso_epoch ISO-8601: seconds since the epoch (the controller logs UTC).
iso_epoch() { date -d "$1" +%s.%N; }
other() { if [[ $1 == ap1 ]]; then echo ap2; else echo ap1; fi; }
# client_state J: "AGENT STATE BSSID" of client J per the API ("-" for
# what it lacks).
client_state() {
    api "$API/clients/${STA_MAC[$1]}" | jq -r '"\(.lvap.agent // "-") \(.lvap.state // "-") \(.bssid // "-")"'
}
# client_is J "AGENT STATE BSSID": the API shows client J so.
client_is() { [[ $(client_state "$1") == "$2" ]]; }
# agents_up: the API lists ap1 and ap2, both up.
agents_up() { api "$API/agents" | jq -e '[.agents[] | select(.up) | .name] | sort == ["ap1", "ap2"]'; }
# sta_bssid J: the BSSID client J's wpa_supplicant is on.
sta_bssid() { ip netns exec "${STA_NS[$1]}" wpa_cli -p /run/wpa_supplicant -i "${STA_IFACE[$1]}" status | sed -n 's/^bssid=//p'; }
# handoff J TO CAUSE: a handoff of client J through the API; the answer
# goes to $RES/handoff-staJ.json, the HTTP status to stdout.
handoff() {
    api -o "$RES/handoff-sta$1.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "{\"agent\":\"$2\",\"cause\":\"$3\"}" "$API/clients/${STA_MAC[$1]}/handoff"
}
# disconnections J: what client J's wpa_supplicant log shows from its
# first connection on: disconnections and new associations.
disconnections() {
    awk '/CTRL-EVENT-CONNECTED/ && !c { c = 1; next }
         !c { next }
         /CTRL-EVENT-DISCONNECTED|CTRL-EVENT-CONNECTED|Trying to associate|Associated with/ { n++ }
         END { print n + 0 }' "$RES/wpa_supplicant-sta$1.log"
}

# --- the network -------------------------------------------------------------------
CONTROLLER_ARGS=(--listen "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" --ssid "$SSID"
    --api-listen "$CONTROLLER_ADDR:$API_PORT" --api-insecure-no-auth)
# The store on the guest's tmpfs (SQLite's locking on the 9p results share
# is not to be trusted); both runs use it.
DB=/tmp/odin-restart.db
rm -f "$DB"*
CONTROLLER_ARGS+=(--database "sqlite://$DB")
log "controller store: sqlite://$DB"
# start_controller LOG: the controller with CONTROLLER_ARGS, its output in
# LOG; waits until it runs.
start_controller() {
    RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" "${CONTROLLER_ARGS[@]}" \
        > "$1" 2>&1 &
    PID[controller]=$!; PIDS+=($!)
    wait_for 20 grep -q "odin-controller running" "$1" || fail "the controller did not start (see ${1##*/})"
}
start_controller "$RES/controller.log"
# ODIN_AGENT_ARGS: extra agent flags, split on spaces (--no-ht, say).
read -r -a AGENT_ARGS <<< "${ODIN_AGENT_ARGS:-}"
for i in 1 2; do
    RUST_LOG=${RUST_LOG:-info} ip netns exec "ap$i" "$BIN/odin-agent" \
        --controller "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" \
        --id "ap$i" --phy "${AP_PHY[i]}" --channel "$CHANNEL" --bridge br0 "${AGENT_ARGS[@]}" \
        > "$RES/agent-ap$i.log" 2>&1 &
    PID[ap$i]=$!; PIDS+=($!)
done
for i in 1 2; do
    wait_for 20 grep -q "agent ap$i up" "$RES/controller.log" || fail "agent ap$i did not come up"
done

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
BEFORE=() BSSID=()
for j in 1 2; do
    use_client "$j"
    ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$RES/wpa_supplicant.conf" \
        > "$RES/wpa_supplicant-sta$j.log" 2>&1 &
    PID[wpa$j]=$!; PIDS+=($!)
    wait_for 60 sta_done || fail "sta$j did not associate within 60 s"
    BSSID[j]=$(sta_bssid "$j")
    wait_for 10 sh -c "ip netns exec $LAN_NS curl -s $API/clients/${STA_MAC[j]} | jq -e '.lvap.state == \"active\"'" ||
        fail "the controller does not show sta$j's LVAP active"
    state=$(client_state "$j"); BEFORE[j]=${state%% *}
    log "sta$j ${STA_MAC[j]} associated to ${BSSID[j]}, served by ${BEFORE[j]}"
done
# One client on each agent.
if [[ ${BEFORE[1]} == "${BEFORE[2]}" ]]; then
    to=$(other "${BEFORE[2]}")
    code=$(handoff 2 "$to" "hwsim restart: one client per agent")
    [[ $code == 200 ]] || fail "handoff of sta2 to $to: HTTP $code $(cat "$RES/handoff-sta2.json")"
    wait_for 10 client_is 2 "$to active ${BSSID[2]}" || fail "sta2 is not active at $to: $(client_state 2)"
    BEFORE[2]=$to
    log "sta2 moved to $to: HTTP $code $(jq -c '.durations_us' "$RES/handoff-sta2.json")"
fi
for j in 1 2; do ping_lan "$j"; done

# --- the measurement ---------------------------------------------------------------
# Pings every 10 ms for the whole run (stopped with SIGINT, on which ping
# prints its summary).
PING_PID=() PING_START=()
for j in 1 2; do
    ip netns exec "${STA_NS[j]}" ping -D -i 0.01 -W 1 "$LAN_HOST" > "$RES/ping-sta$j-10ms.txt" 2>&1 &
    PING_PID[j]=$!; PIDS+=($!)
    PING_START[j]=$(now)
done
sleep "$BACKGROUND"

# Nothing forks between the kill and the restart but the sleep (forks
# take long in the emulated VM).
OLD=${PID[controller]}
OUTAGE_S=$(awk -v m="$OUTAGE_MS" 'BEGIN { printf "%.3f", m / 1000 }')
kill -KILL "$OLD"
KILL_AT=$(now)
{ wait "$OLD"; } 2> /dev/null
# The dead controller's PID leaves the list cleanup kills.
for p in "${!PIDS[@]}"; do [[ ${PIDS[p]} == "$OLD" ]] && unset 'PIDS[p]'; done
sleep_until "$KILL_AT" "$OUTAGE_S"
RESTART_AT=$(now)
start_controller "$RES/controller-2.log"
listening=$(grep -m1 "controller listening" "$RES/controller-2.log" | awk '{ print $1 }')
log "SIGKILL to the controller (pid $OLD), started again $(awk -v k="$KILL_AT" -v r="$RESTART_AT" 'BEGIN { printf "%d", (r - k) * 1000 }') ms later" \
    "(pid ${PID[controller]}), listening $(awk -v k="$KILL_AT" -v l="$(iso_epoch "$listening")" 'BEGIN { printf "%d", (l - k) * 1000 }') ms after the kill"

PROBLEMS=()
problem() { log "PROBLEM: $*"; PROBLEMS+=("$*"); }
# The store gave the new controller both clients (and their BSSIDs).
restored=$(grep -m1 "store opened" "$RES/controller-2.log" | grep -o 'clients=[0-9]*')
log "the restarted controller's store: $restored"
[[ $restored == clients=2 ]] || problem "the store restored $restored, not clients=2"
if wait_for 30 agents_up; then
    ups=()
    for i in 1 2; do
        iso=$(grep -m1 "agent up agent=ap$i " "$RES/controller-2.log" | awk '{ print $1 }')
        ups+=("$(iso_epoch "$iso")")
    done
    OUTAGE_SEEN=$(awk -v k="$KILL_AT" -v a="${ups[0]}" -v b="${ups[1]}" 'BEGIN { m = a > b ? a : b; printf "%d", (m - k) * 1000 }')
    log "both agents up again $OUTAGE_SEEN ms after the kill (ap1 +$(awk -v k="$KILL_AT" -v a="${ups[0]}" 'BEGIN { printf "%d", (a - k) * 1000 }') ms, ap2 +$(awk -v k="$KILL_AT" -v a="${ups[1]}" 'BEGIN { printf "%d", (a - k) * 1000 }') ms)"
else
    OUTAGE_SEEN=-1
    problem "the agents are not both up 30 s after the restart: $(api "$API/agents" | jq -c '[.agents[] | {name, up, connected, last_down}]')"
fi
grep -E "event: agent ap[12] (up|reconciled)" "$RES/controller-2.log" | sed 's/^[^ ]* *INFO [^ ]* /    /' | tee -a "$RES/summary.txt"
for j in 1 2; do
    want="${BEFORE[j]} active ${BSSID[j]}"
    if wait_for 10 client_is "$j" "$want"; then
        log "after the restart: sta$j at ${BEFORE[j]}, active, BSSID ${BSSID[j]}, as before"
    else
        problem "after the restart the API shows sta$j as '$(client_state "$j")', not '$want'"
    fi
done

# Migrations work again: each client to the other agent, one second apart.
HANDOFFS=ok
for j in 1 2; do
    to=$(other "${BEFORE[j]}")
    at=$(now)
    code=$(handoff "$j" "$to" "hwsim restart: sta$j after the restart")
    if [[ $code == 200 ]] && jq -e '.durations_us.total' "$RES/handoff-sta$j.json" > /dev/null; then
        log "handoff of sta$j ${BEFORE[j]} -> $to after the restart: HTTP 200 $(jq -c '.durations_us' "$RES/handoff-sta$j.json")"
        wait_for 10 client_is "$j" "$to active ${BSSID[j]}" ||
            problem "after its handoff the API shows sta$j as '$(client_state "$j")', not at $to"
    else
        HANDOFFS=failed
        problem "handoff of sta$j ${BEFORE[j]} -> $to after the restart: HTTP $code $(cat "$RES/handoff-sta$j.json" 2> /dev/null)"
    fi
    sleep_until "$at" 1
done
sleep "$AFTER"
for j in 1 2; do
    kill -INT "${PING_PID[j]}"
    wait "${PING_PID[j]}"
done

# --- the analysis --------------------------------------------------------------------
# When the handoffs after the restart started, by the controller's clock.
grep "handoff started .*cause=hwsim restart: sta" "$RES/controller-2.log" |
    awk '{ print $1 }' | while read -r iso; do iso_epoch "$iso"; done > "$RES/handoff-starts.txt"
# lost_before T FILE: requests of ping -D output FILE missing a reply
# and sent before T (epoch seconds): each gap in icmp_seq, dated by the
# reply before it.
lost_before() {
    awk -v t="$1" '/icmp_seq=/ {
        ts = substr($1, 2, length($1) - 2) + 0
        match($0, /icmp_seq=[0-9]+/); s = substr($0, RSTART + 9, RLENGTH - 9) + 0
        if (p && s > p + 1 && pt < t) n += s - p - 1
        p = s; pt = ts
    } END { print n + 0 }' "$2"
}
FIRST_HANDOFF=$(sort -n "$RES/handoff-starts.txt" | head -1)
LOST=0 HANDOFF_LOST=0 DISC=0 MAX_GAP=0
for j in 1 2; do
    # The kill first (ping_gap_report's background ends before it), then
    # the handoffs.
    { echo "$KILL_AT"; cat "$RES/handoff-starts.txt"; } > "$RES/starts-sta$j.txt"
    report=$(ping_gap_report "$RES/starts-sta$j.txt" "$RES/ping-sta$j-10ms.txt" "${PING_START[j]}" "$RES/gaps-sta$j.txt")
    log "sta$j ping: $(grep -E 'packets transmitted' "$RES/ping-sta$j-10ms.txt"); $report"
    lost=$(sed -n 's/^lost=\([0-9-]*\) .*/\1/p' <<< "$report")
    gap=$(sort -n "$RES/gaps-sta$j.txt" | tail -1)
    gap=${gap%.*}
    disc=$(disconnections "$j")
    final=$(sta_bssid "$j")
    [[ $final == "${BSSID[j]}" ]] || disc=$((disc + 1))
    log "sta$j: largest gap of the whole run ${gap:-?} ms; wpa_supplicant: $(grep -c CTRL-EVENT-CONNECTED "$RES/wpa_supplicant-sta$j.log") connection(s), $(grep -c CTRL-EVENT-DISCONNECTED "$RES/wpa_supplicant-sta$j.log") disconnection(s), BSSID ${BSSID[j]} -> $final; counted $disc"
    before=$(lost_before "${FIRST_HANDOFF:-9999999999}" "$RES/ping-sta$j-10ms.txt")
    log "sta$j: $before of ${lost:-?} lost before the first handoff after the restart"
    LOST=$((LOST + before)) HANDOFF_LOST=$((HANDOFF_LOST + ${lost:-1} - before)) DISC=$((DISC + disc))
    (( ${gap:-0} > MAX_GAP )) && MAX_GAP=${gap:-0}
done
for i in 1 2; do
    log "agent ap$i: $(grep -c 'link down' "$RES/agent-ap$i.log") link down, $(grep -c 'cannot reach the controller' "$RES/agent-ap$i.log") failed dial(s), $(grep -c 'connected and authenticated' "$RES/agent-ap$i.log") connection(s)"
done
echo "RESULT restart lost=$LOST disconnections=$DISC max_gap_ms=$MAX_GAP outage_ms=$OUTAGE_SEEN handoffs_after=$HANDOFFS handoff_lost=$HANDOFF_LOST" |
    tee -a "$RES/summary.txt"
[[ $LOST -eq 0 ]] || problem "$LOST ping replies lost"
[[ $DISC -eq 0 ]] || problem "a client noticed: $DISC disconnection(s) or new association(s) (see wpa_supplicant-sta*.log)"
[[ ${#PROBLEMS[@]} -eq 0 ]] || fail "${#PROBLEMS[@]} problem(s): $(printf '%s; ' "${PROBLEMS[@]}")"
for i in 1 2; do stop_pid "ap$i" "${PID[ap$i]}"; done
log "PASS"
