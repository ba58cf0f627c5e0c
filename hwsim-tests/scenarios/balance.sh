#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# The load balancer (apps/balancer) on real radios, with odin-medium as
# the air: agents ap1 (0,0), ap2 (8,0), ap3 (4,7) on channel 1 and six
# wpa_supplicant clients (sta1..sta6) on a ring of 1.5 m around (4,2.5),
# 3-5 m from every AP (-36 to -44 dBm in the medium's model: each AP hears
# each client far above the balancer's -70 dBm). All six associate while
# only ap1's agent runs, so ap1 serves them all (6/0/0); then ap2's and
# ap3's agents start, every client pings the LAN host every 10 ms, and
# once the controller has ap2's and ap3's signal of every client the
# balancer is enabled over REST (POST /api/v1/apps/balancer/enable with
# its configuration). Reported (one line):
#   RESULT balance before=6/0/0 after=A/B/C migrations=N lost=N
# (clients served by ap1/ap2/ap3 before the balancer and at the end; the
# balancer's completed handoffs from REST /api/v1/events; replies lost
# over all six pings). Passes at 2/2/2 with no disconnection in any
# client's wpa_supplicant log (one connection each, the same BSSID at
# the end); the balancer needs 4 moves (6/0/0, 5/1/0, 4/1/1, 3/2/1, 2/2/2)
# and the scenario waits until the split has stayed for 3 of its rounds.
# Builds nothing: the host builds the binaries (hwsim-tests/run-suite.sh).
# radios: 9
# timeout: 420
set -u

RES=${ODIN_RESULTS:-/tmp/balance}
mkdir -p "$RES" /run/wpa_supplicant
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=balance
FREQ=2412
SSID=odin
API_PORT=8080
SECRET_FILE=/run/odin-secret
CTL=/run/odin-medium.sock
CLIENTS=6
PING_INTERVAL=${ODIN_PING_INTERVAL:-0.01}
# The balancer's settings, tuned for this VM: it looks every 2 s instead
# of 5 (the moves are one at a time and each waits for its outcome: 4
# moves take 10-20 s instead of 20-40); a signal report counts for 5 s
# (the default: the agents report every client once a second, and under
# emulation a report can come late); the rest are the defaults.
INTERVAL_MS=2000
BALANCER_CONFIG='{"min_signal_dbm": -70, "max_age_ms": 5000, "min_difference": 2, "interval_ms": '$INTERVAL_MS', "client_cooldown_ms": 60000}'
PIDS=()
declare -A PID
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

[[ -x $BIN/odin-medium ]] || fail "$BIN/odin-medium missing"
# The radios' permanent addresses name them in the medium (read before
# topology_up moves them into their namespaces): phy0-2 the APs, phy3-8
# the clients.
declare -A PERM
for ((r = 0; r < 3 + CLIENTS; r++)); do
    PERM[$r]=$(cat "/sys/class/ieee80211/phy$r/macaddress") || fail "no phy$r"
done
STA_X=(0 5.50 4.75 3.25 2.50 3.25 4.75)
STA_Y=(0 2.50 3.80 3.80 2.50 1.20 1.20)
radios=("ap1=${PERM[0]}@0,0" "ap2=${PERM[1]}@8,0" "ap3=${PERM[2]}@4,7")
for ((j = 1; j <= CLIENTS; j++)); do
    radios+=("sta$j=${PERM[$((2 + j))]}@${STA_X[j]},${STA_Y[j]}")
done
medium_toml "${radios[@]}" > "$RES/medium.toml"
RUST_LOG=${RUST_LOG:-info} "$BIN/odin-medium" --config "$RES/medium.toml" --control "$CTL" \
    > "$RES/medium.log" 2>&1 &
PID[medium]=$!; PIDS+=($!)

odin_setup 3 "$CLIENTS"
wait_for 10 grep -q "the air is ours" "$RES/medium.log" || { cat "$RES/medium.log"; fail "odin-medium did not register"; }
medium() { "$BIN/odin-medium" ctl --control "$CTL" "$@"; }
log "odin-medium: ap1 (0,0) ap2 (8,0) ap3 (4,7); clients on a 1.5 m ring around (4,2.5)"
for ((j = 1; j <= CLIENTS; j++)); do
    echo "sta$j: $(medium "signal sta$j ap1" "signal sta$j ap2" "signal sta$j ap3" | tr '\n' ' ')dBm at ap1 ap2 ap3"
done > "$RES/model-signals.txt"

RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" \
    --listen "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" --ssid "$SSID" \
    --api-listen "$CONTROLLER_ADDR:$API_PORT" --api-insecure-no-auth \
    > "$RES/controller.log" 2>&1 &
PID[controller]=$!; PIDS+=($!)
wait_for 10 grep -q "odin-controller running" "$RES/controller.log" || fail "the controller did not start"
start_agent() {
    local i=$1
    RUST_LOG=${RUST_LOG:-info} ip netns exec "ap$i" "$BIN/odin-agent" \
        --controller "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" \
        --id "ap$i" --phy "${AP_PHY[i]}" --channel 1 --bridge br0 \
        > "$RES/agent-ap$i.log" 2>&1 &
    PID[ap$i]=$!; PIDS+=($!)
    wait_for 20 grep -q "agent ap$i up" "$RES/controller.log" || fail "agent ap$i did not come up"
}
# Only ap1 at first: every client is placed there.
start_agent 1

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
for ((j = 1; j <= CLIENTS; j++)); do
    ip netns exec "${STA_NS[j]}" wpa_supplicant -t -D nl80211 -i "${STA_IFACE[j]}" \
        -c "$RES/wpa_supplicant.conf" > "$RES/wpa_supplicant-sta$j.log" 2>&1 &
    PID[wpa$j]=$!; PIDS+=($!)
done
# poll SECONDS COMMAND...: as wait_for, but once a second (each try
# forks several processes, which costs under emulation).
poll() {
    local limit=$1 t0
    shift
    t0=$(now)
    until "$@" > /dev/null 2>&1; do
        (( $(ms_since "$t0") > limit * 1000 )) && return 1
        sleep 1
    done
}
all_done() {
    local j
    for ((j = 1; j <= CLIENTS; j++)); do
        use_client "$j"
        sta_done || return 1
    done
}
poll 120 all_done || fail "not every client associated within 120 s"
declare -A BSSID
for ((j = 1; j <= CLIENTS; j++)); do
    use_client "$j"
    BSSID[$j]=$(wpacli status | sed -n 's/^bssid=//p')
done
# loads: clients with an active LVAP on ap1/ap2/ap3, from one GET /clients.
loads() {
    api "$API/clients" | jq -r '[.clients[] | select(.lvap.state == "active") | .lvap.agent] as $a
        | "\([$a[] | select(. == "ap1")] | length)/\([$a[] | select(. == "ap2")] | length)/\([$a[] | select(. == "ap3")] | length)"'
}
all_active() { [[ $(api "$API/clients" | jq '[.clients[] | select(.lvap.state == "active")] | length') == "$CLIENTS" ]]; }
poll 20 all_active || fail "the controller does not show $CLIENTS active LVAPs"
log "all $CLIENTS clients associated: $(loads)"
for ((j = 1; j <= CLIENTS; j++)); do ping_lan "$j"; done

start_agent 2
start_agent 3
for ((j = 1; j <= CLIENTS; j++)); do
    ip netns exec "${STA_NS[j]}" ping -D -i "$PING_INTERVAL" -W 1 "$LAN_HOST" > "$RES/ping-sta$j-10ms.txt" 2>&1 &
    PID[ping$j]=$!; PIDS+=($!)
done
# The balancer needs ap2's and ap3's signal of a client to move it there:
# wait until the controller has a recent one (the agents' statistics,
# once a second) from all three for every client.
heard_by_all() {
    local n
    n=$(api "$API/clients" | jq '[.clients[] | select([.signals[] | select(.age_ms < 3000) | .agent] | unique | length == 3)] | length')
    [[ $n == "$CLIENTS" ]]
}
poll 30 heard_by_all || { api "$API/clients" | jq -c '.clients[] | {mac, signals}' > "$RES/signals.txt"; fail "ap2 and ap3 do not report every client (signals.txt)"; }
api "$API/clients" | jq -c '.clients[] | {mac, lvap: .lvap.agent, signals: [.signals[] | "\(.agent) \(.signal_dbm)"]}' > "$RES/signals-before.txt"
before=$(loads)
log "before the balancer: $before (ap1/ap2/ap3)"

answer=$(api -X POST -H 'Content-Type: application/json' -d "{\"config\": $BALANCER_CONFIG}" "$API/apps/balancer/enable")
log "balancer enabled ($BALANCER_CONFIG): $answer"
jq -e '.app_changed' <<< "$answer" > /dev/null || fail "POST /apps/balancer/enable: $answer"
T_EN=$(now)
# Until 2/2/2 (at most 120 s), then 3 more rounds to see it stay.
: > "$RES/splits.txt"
reached=
while (( $(ms_since "$T_EN") < 120000 )); do
    s=$(loads)
    echo "$(ms_since "$T_EN") ms: $s" >> "$RES/splits.txt"
    if [[ $s == 2/2/2 ]]; then reached=$(ms_since "$T_EN"); break; fi
    sleep 1
done
[[ -n $reached ]] && log "2/2/2 after $reached ms"
sleep $((3 * INTERVAL_MS / 1000))
after=$(loads)
echo "$(ms_since "$T_EN") ms: $after (end)" >> "$RES/splits.txt"
for ((j = 1; j <= CLIENTS; j++)); do kill -INT "${PID[ping$j]}"; done
lost=0
for ((j = 1; j <= CLIENTS; j++)); do
    wait "${PID[ping$j]}"
    summary=$(grep -E 'packets transmitted' "$RES/ping-sta$j-10ms.txt")
    sent=$(awk '{ print $1 }' <<< "$summary")
    received=$(awk '{ print $4 }' <<< "$summary")
    [[ -n $sent && -n $received ]] || fail "sta$j: no ping summary"
    lost=$((lost + sent - received))
    log "ping sta$j: $summary"
done

api "$API/events?app=balancer&limit=1000" > "$RES/events-balancer.json" || fail "GET /events"
jq -r '.events | reverse | .[] | select(.kind == "handoff_completed")
       | "\(.client) \(.detail.from) \(.detail.to) \(.detail.cause)"' \
    "$RES/events-balancer.json" > "$RES/moves.txt" || fail "events: $(head -c 300 "$RES/events-balancer.json")"
jq -r '.events | reverse | .[] | select(.kind == "handoff_failed") | .detail | tostring' \
    "$RES/events-balancer.json" > "$RES/moves-failed.txt"
migrations=$(wc -l < "$RES/moves.txt")
while read -r client from to _; do log "move: $client $from -> $to"; done < "$RES/moves.txt"
[[ -s $RES/moves-failed.txt ]] && log "failed moves: $(tr '\n' ' ' < "$RES/moves-failed.txt")"

noticed=0
for ((j = 1; j <= CLIENTS; j++)); do
    use_client "$j"
    disc=$(grep -c "CTRL-EVENT-DISCONNECTED" "$RES/wpa_supplicant-sta$j.log")
    conn=$(grep -c "CTRL-EVENT-CONNECTED" "$RES/wpa_supplicant-sta$j.log")
    final=$(wpacli status | sed -n 's/^bssid=//p')
    log "sta$j: $conn connection(s), $disc disconnection(s); BSSID ${BSSID[$j]} -> $final"
    [[ $disc -eq 0 && $conn -eq 1 && $final == "${BSSID[$j]}" ]] || noticed=$((noticed + 1))
done
echo "RESULT balance before=$before after=$after migrations=$migrations lost=$lost" | tee -a "$RES/summary.txt"
[[ $before == 6/0/0 ]] || fail "not every client on ap1 before the balancer: $before"
[[ $noticed -eq 0 ]] || fail "$noticed client(s) noticed: see wpa_supplicant-sta*.log"
[[ $after == 2/2/2 ]] || fail "the balancer left $after, not 2/2/2"
for i in 1 2 3; do stop_pid "ap$i" "${PID[ap$i]}"; done
stop_pid odin-medium "${PID[medium]}"
log "PASS"
