#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# LVAP migration on real radios, the odin method: odin-controller (REST API
# on the wired LAN), agents ap1 and ap2 on the same channel with their
# LVAPs on br0, one wpa_supplicant client (sta1) pinging the LAN host every
# 10 ms. After BACKGROUND seconds without a migration (the background), the
# client's LVAP moves MIGRATIONS times between the agents, one second
# apart, through POST /api/v1/clients/{mac}/handoff. Reported: lost and
# duplicated replies, the largest gap between consecutive replies within a
# second of any migration, the same over the background stretch, the
# median gap, each migration's step durations; the client's event log
# must show no disconnection, no new association and no BSSID change.
#   RESULT handoff method=odin lost=.. dup=.. max_gap_ms=.. background_gap_ms=.. median_gap_ms=..
# Builds nothing: the host builds the binaries (see hwsim-tests/run-suite.sh).
# This is the odin line of issue 5's comparison (roam-hostapd.sh has
# hostapd's). With ODIN_XCHAN=1 (migration-xchan.sh) ap2 is on channel 6:
# every migration crosses channels (the source tells the client to move
# with a Channel Switch Announcement), method=odin-xchan.
# radios: 3
# timeout: 400
set -u

RES=${ODIN_RESULTS:-/tmp/migration}
mkdir -p "$RES" /run/wpa_supplicant
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=migration
FREQ=2412
METHOD=odin
declare -A AP_CHANNEL=([1]=1 [2]=1)
# ODIN_SWITCH=sequential (migration-sequential.sh): the controller's old
# switch, to measure the order against (method=odin-sequential).
SWITCH=${ODIN_SWITCH:-together}
[[ $SWITCH == sequential ]] && { METHOD=odin-sequential; NAME=migration-sequential; }
if [[ ${ODIN_XCHAN:-0} == 1 ]]; then
    METHOD=odin-xchan
    NAME=migration-xchan
    AP_CHANNEL[2]=6
fi
SSID=odin
API_PORT=8080
MIGRATIONS=${ODIN_MIGRATIONS:-20}
BACKGROUND=${ODIN_BACKGROUND_S:-10}
SECRET_FILE=/run/odin-secret
PIDS=()
declare -A PID
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

odin_setup 2 1

RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" \
    --listen "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" --ssid "$SSID" \
    --api-listen "$CONTROLLER_ADDR:$API_PORT" --api-insecure-no-auth --switch "$SWITCH" \
    > "$RES/controller.log" 2>&1 &
PID[controller]=$!; PIDS+=($!)
wait_for 10 grep -q "odin-controller running" "$RES/controller.log" || fail "the controller did not start"
# ODIN_AGENT_ARGS: extra agent flags, split on spaces (--no-ht, say).
read -r -a AGENT_ARGS <<< "${ODIN_AGENT_ARGS:-}"
start_agent() {
    local i=$1
    RUST_LOG=${RUST_LOG:-info} ip netns exec "ap$i" "$BIN/odin-agent" \
        --controller "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" \
        --id "ap$i" --phy "${AP_PHY[i]}" --channel "${AP_CHANNEL[$i]}" --bridge br0 "${AGENT_ARGS[@]}" \
        > "$RES/agent-ap$i.log" 2>&1 &
    PID[ap$i]=$!; PIDS+=($!)
    wait_for 20 grep -q "agent ap$i up" "$RES/controller.log" || fail "agent ap$i did not come up"
}
start_agent 1
# Across channels, ap2 comes up once the client is associated through
# ap1: the client scans only channel 1 (write_open_wpa_conf), and a
# placement on ap2 would have it knock on channel 1 for a BSS that is
# on 6 (the early answers of both radios race; see ARCHITECTURE.md).
[[ $METHOD == odin-xchan ]] || start_agent 2

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$RES/wpa_supplicant.conf" \
    > "$RES/wpa_supplicant.log" 2>&1 &
PID[wpa]=$!; PIDS+=($!)
wait_for 60 sta_done || fail "the client did not associate within 60 s"
[[ $METHOD == odin-xchan ]] && start_agent 2
BSSID=$(wpacli status | sed -n 's/^bssid=//p')
serving() { api "$API/clients/$CLIENT" | jq -r '.lvap.agent // empty'; }
wait_for 10 sh -c "[ -n \"\$(ip netns exec $LAN_NS curl -s $API/clients/$CLIENT | jq -r '.lvap.state // empty' | grep -x active)\" ]" \
    || fail "the controller does not show the client's LVAP active"
log "client $CLIENT associated to $BSSID, served by $(serving)"
ping_lan 1

# The measurement: ping every 10 ms for the whole run (stopped with
# SIGINT, on which ping prints its summary).
ip netns exec "$NS" ping -D -i 0.01 -W 1 "$LAN_HOST" > "$RES/ping-10ms.txt" 2>&1 &
PING_PID=$!; PIDS+=($!)
PING_START=$(now)
sleep "$BACKGROUND"
# The loop does as little as it can (one request per migration; the
# answers are read afterwards): in the emulated VM every process costs.
from=$(serving)
: > "$RES/migrations.txt"
for ((k = 1; k <= MIGRATIONS; k++)); do
    to=ap1; [[ $from == ap1 ]] && to=ap2
    at=$(now)
    answer=$(api -X POST -H 'Content-Type: application/json' \
        -d "{\"agent\":\"$to\",\"cause\":\"hwsim migration $k\"}" "$API/clients/$CLIENT/handoff")
    echo "$at $from $to $answer" >> "$RES/migrations.txt"
    from=$to
    # One second apart, whatever the migration took.
    sleep_until "$at" 1
done
sleep 2
kill -INT "$PING_PID"
wait "$PING_PID"
while read -r at f t answer; do
    jq -e '.durations_us.total' <<< "$answer" > /dev/null || fail "migration at $at ($f -> $t) failed: $answer"
done < "$RES/migrations.txt"
log "ping: $(grep -E 'packets transmitted' "$RES/ping-10ms.txt")"

# When each migration started, by the controller's clock (the same
# clock: one VM): the request's own start is seconds earlier in the
# emulated VM, where starting curl takes long.
grep "handoff started .*cause=hwsim migration" "$RES/controller.log" |
    awk '{ print $1 }' | while read -r iso; do date -d "$iso" +%s.%N; done > "$RES/migration-starts.txt"
[[ $(wc -l < "$RES/migration-starts.txt") -eq $MIGRATIONS ]] || fail "the controller logged $(wc -l < "$RES/migration-starts.txt") of $MIGRATIONS handoffs"
# Lost and duplicated replies, the gaps between consecutive replies
# (within a second after a migration started, over the background
# stretch, the median): lib.sh's ping_gap_report.
report=$(ping_gap_report "$RES/migration-starts.txt" "$RES/ping-10ms.txt" "$PING_START")
durations=$(cut -d' ' -f4- "$RES/migrations.txt" | jq -r '.durations_us.total' | tr '\n' ' ')
log "migration totals (us): $durations"
# shellcheck disable=SC2086 # a list of numbers
log "median migration $(median $durations) us; steps of the first: $(head -1 "$RES/migrations.txt" | cut -d' ' -f4- | jq -c '.durations_us')"

# The client noticed nothing.
disc=$(grep -c "CTRL-EVENT-DISCONNECTED" "$RES/wpa_supplicant.log")
conn=$(grep -c "CTRL-EVENT-CONNECTED" "$RES/wpa_supplicant.log")
assoc=$(grep -c "Trying to associate\|Associated with" "$RES/wpa_supplicant.log")
final=$(wpacli status | sed -n 's/^bssid=//p')
log "client event log: $conn connection(s), $disc disconnection(s), $assoc association line(s); BSSID $BSSID -> $final"
[[ $disc -eq 0 && $conn -eq 1 && $final == "$BSSID" ]] || fail "the client noticed: see wpa_supplicant.log"
echo "RESULT handoff method=$METHOD $report" | tee -a "$RES/summary.txt"
for i in 1 2; do stop_pid "ap$i" "${PID[ap$i]}"; done
log "PASS"
