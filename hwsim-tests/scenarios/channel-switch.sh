#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# A radio that serves a client changes channel: odin-controller (REST API
# on the wired LAN), agent ap1 on channel 1 with its LVAPs on br0, one
# wpa_supplicant client (sta1) pinging the LAN host every 10 ms. After
# BACKGROUND seconds, POST /api/v1/agents/ap1/radios/0/channel moves the
# radio to channel 6: the agent announces the switch on the client's LVAP
# (an action frame, then the beacons' Channel Switch Announcement
# counting down, nl80211 CHANNEL_SWITCH) and the client must follow
# without a disconnection; then back to 1. Reported: the client's
# frequency before and after each switch, lost and duplicated replies,
# the largest gap within a second of a switch (lib.sh's ping_gap_report).
#   RESULT channel_switch freqs=2412>2437>2412 lost=.. dup=.. max_gap_ms=.. background_gap_ms=.. median_gap_ms=..
# Builds nothing: the host builds the binaries (see hwsim-tests/run-suite.sh).
# radios: 2
# timeout: 240
set -u

RES=${ODIN_RESULTS:-/tmp/channel-switch}
mkdir -p "$RES" /run/wpa_supplicant
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME="channel-switch"
FREQ=2412
SSID=odin
API_PORT=8080
BACKGROUND=${ODIN_BACKGROUND_S:-5}
SECRET_FILE=/run/odin-secret
PIDS=()
declare -A PID
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

odin_setup 1 1

RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" \
    --listen "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" --ssid "$SSID" \
    --api-listen "$CONTROLLER_ADDR:$API_PORT" --api-insecure-no-auth \
    > "$RES/controller.log" 2>&1 &
PID[controller]=$!; PIDS+=($!)
wait_for 10 grep -q "odin-controller running" "$RES/controller.log" || fail "the controller did not start"
RUST_LOG=${RUST_LOG:-info} ip netns exec ap1 "$BIN/odin-agent" \
    --controller "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" \
    --id ap1 --phy "${AP_PHY[1]}" --channel 1 --bridge br0 \
    > "$RES/agent-ap1.log" 2>&1 &
PID[ap1]=$!; PIDS+=($!)
wait_for 20 grep -q "agent ap1 up" "$RES/controller.log" || fail "agent ap1 did not come up"

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$RES/wpa_supplicant.conf" \
    > "$RES/wpa_supplicant.log" 2>&1 &
PID[wpa]=$!; PIDS+=($!)
wait_for 60 sta_done || fail "the client did not associate within 60 s"
BSSID=$(wpacli status | sed -n 's/^bssid=//p')
wait_for 10 sh -c "[ -n \"\$(ip netns exec $LAN_NS curl -s $API/clients/$CLIENT | jq -r '.lvap.state // empty' | grep -x active)\" ]" \
    || fail "the controller does not show the client's LVAP active"
ping_lan 1
freq() { ip netns exec "$NS" iw dev "$STA" link | sed -n 's/^\s*freq: \([0-9]*\).*/\1/p'; }
freqs=$(freq)
log "client $CLIENT associated to $BSSID on $freqs MHz"

ip netns exec "$NS" ping -D -i 0.01 -W 1 "$LAN_HOST" > "$RES/ping-10ms.txt" 2>&1 &
PING_PID=$!; PIDS+=($!)
PING_START=$(now)
sleep "$BACKGROUND"
: > "$RES/switch-starts.txt"
for pair in "6 2437" "1 2412"; do
    read -r channel want <<< "$pair"
    now >> "$RES/switch-starts.txt"
    answer=$(api -X POST -H 'Content-Type: application/json' -d "{\"channel\":$channel}" \
        "$API/agents/ap1/radios/0/channel")
    log "channel $channel: $answer"
    jq -e ".channel == $channel" <<< "$answer" > /dev/null || fail "the channel change to $channel failed: $answer"
    wait_for 10 sh -c "[ \"\$(ip netns exec $NS iw dev $STA link | sed -n 's/^\s*freq: \([0-9]*\).*/\1/p')\" = $want ]" \
        || fail "the client is on $(freq) MHz, not $want, after the switch to channel $channel"
    freqs="$freqs>$(freq)"
    sleep 3
done
kill -INT "$PING_PID"
wait "$PING_PID"
log "ping: $(grep -E 'packets transmitted' "$RES/ping-10ms.txt")"
report=$(ping_gap_report "$RES/switch-starts.txt" "$RES/ping-10ms.txt" "$PING_START")

disc=$(grep -c "CTRL-EVENT-DISCONNECTED" "$RES/wpa_supplicant.log")
final=$(wpacli status | sed -n 's/^bssid=//p')
log "client event log: $disc disconnection(s); BSSID $BSSID -> $final; $(grep -c "CTRL-EVENT-CHANNEL-SWITCH\|CSA" "$RES/wpa_supplicant.log") channel switch line(s)"
[[ $disc -eq 0 && $final == "$BSSID" ]] || fail "the client noticed: see wpa_supplicant.log"
echo "RESULT channel_switch freqs=$freqs $report" | tee -a "$RES/summary.txt"
stop_pid ap1 "${PID[ap1]}"
log "PASS"
