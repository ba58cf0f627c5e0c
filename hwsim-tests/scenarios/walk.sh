#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# The mobility manager (apps/mobility) on real radios, with odin-medium as
# the air: agents ap1, ap2, ap3 in a line (x = 0, 40, 80 m) on channel 1,
# odin-controller with [apps.mobility] in its configuration file, one
# wpa_supplicant client (sta1) that associates 5 m from ap1 and then
# walks (odin-medium ctl walk) along y = 2 m past ap2 to ap3 in WALK_S
# seconds while pinging the LAN host every 10 ms. Nobody but the app
# moves the client. Reported (one line):
#   RESULT walk migrations=N lost=N dup=N max_gap_ms=N pingpong=N
# migrations: the app's completed handoffs (REST /api/v1/events, app
# mobility); pingpong: moves back to the agent the client had just left;
# lost, dup and max_gap_ms as lib.sh's ping_gap_report (the largest gap
# between replies within a second of a move's start). Passes when the
# client ends on ap3 after exactly 2 moves (ap1 -> ap2 -> ap3), none of
# them back, and its wpa_supplicant log shows one connection, no
# disconnection and the same BSSID at the end.
#
# The medium's model (20 dBm, 40 dB at 1 m, exponent 3): -60 dBm at
# 21.5 m, -70 dBm at 46 m. With the app's default trigger (-70 dBm) the
# client would leave ap1 only 46 m out and ap2 only 6 m beyond ap3, so
# the second move would never come: the trigger here is -60 dBm (the
# client is watched from 21.5 m out of its AP), and a move needs the
# target 6 dB better (smoothed) than the serving AP: in the model from
# x = 24.5 m (ap1 -> ap2) and x = 64.5 m (ap2 -> ap3). The other settings
# follow the agents' timing in this emulated VM (see the config below).
# Builds nothing: the host builds the binaries (hwsim-tests/run-suite.sh).
# radios: 4
# timeout: 420
set -u

RES=${ODIN_RESULTS:-/tmp/walk}
mkdir -p "$RES" /run/wpa_supplicant
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=walk
FREQ=2412
SSID=odin
API_PORT=8080
SECRET_FILE=/run/odin-secret
CTL=/run/odin-medium.sock
# The walk: from (WALK_X0, WALK_Y) to (WALK_X1, WALK_Y) in WALK_S seconds
# (1.5 m/s: each AP's smoothed signal gets several of the agents'
# once-a-second reports on every stretch of a few metres).
WALK_X0=5 WALK_X1=80 WALK_Y=2
WALK_S=${ODIN_WALK_S:-50}
PIDS=()
declare -A PID
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

[[ -x $BIN/odin-medium ]] || fail "$BIN/odin-medium missing"
# The radios' permanent addresses name them in the medium (read before
# topology_up moves them into their namespaces).
declare -A PERM
for r in 0 1 2 3; do
    PERM[$r]=$(cat "/sys/class/ieee80211/phy$r/macaddress") || fail "no phy$r"
done
medium_toml "ap1=${PERM[0]}@0,0" "ap2=${PERM[1]}@40,0" "ap3=${PERM[2]}@80,0" \
    "sta=${PERM[3]}@$WALK_X0,$WALK_Y" > "$RES/medium.toml"
RUST_LOG=${RUST_LOG:-info} "$BIN/odin-medium" --config "$RES/medium.toml" --control "$CTL" \
    > "$RES/medium.log" 2>&1 &
PID[medium]=$!; PIDS+=($!)

odin_setup 3 1
wait_for 10 grep -q "the air is ours" "$RES/medium.log" || { cat "$RES/medium.log"; fail "odin-medium did not register"; }
medium() { "$BIN/odin-medium" ctl --control "$CTL" "$@"; }
log "odin-medium: ap1 (0,0) ap2 (40,0) ap3 (80,0), sta1 ($WALK_X0,$WALK_Y)"

# The mobility manager's settings for this walk: lib.sh's mobility_toml
# (trigger -60 dBm: see the header; -70 would never leave ap2 for ap3).
{
    echo "# Written by hwsim-tests/scenarios/walk.sh"
    mobility_toml
} > "$RES/controller.toml"
RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" --config "$RES/controller.toml" \
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
for i in 1 2 3; do start_agent "$i"; done
api "$API/apps" | jq -c '.apps[] | select(.name == "mobility") | {enabled, config}' > "$RES/app.json"
grep -q '"enabled":true' "$RES/app.json" || fail "the mobility app is not enabled: $(cat "$RES/app.json")"
log "mobility app: $(cat "$RES/app.json")"

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$RES/wpa_supplicant.conf" \
    > "$RES/wpa_supplicant.log" 2>&1 &
PID[wpa]=$!; PIDS+=($!)
wait_for 60 sta_done || fail "the client did not associate within 60 s"
BSSID=$(wpacli status | sed -n 's/^bssid=//p')
serving() { api "$API/clients/$CLIENT" | jq -r '.lvap.agent // empty'; }
wait_for 10 sh -c "[ -n \"\$(ip netns exec $LAN_NS curl -s $API/clients/$CLIENT | jq -r '.lvap.state // empty' | grep -x active)\" ]" \
    || fail "the controller does not show the client's LVAP active"
first=$(serving)
log "client $CLIENT associated to $BSSID, served by $first"
[[ $first == ap1 ]] || fail "the client was placed on $first, not ap1"
ping_lan 1

ip netns exec "$NS" ping -D -i 0.01 -W 1 "$LAN_HOST" > "$RES/ping-10ms.txt" 2>&1 &
PING_PID=$!; PIDS+=($!)
PING_START=$(now)
sleep 3
medium "walk sta $WALK_X0 $WALK_Y $WALK_X1 $WALK_Y $WALK_S" > /dev/null || fail "odin-medium walk"
WALK_START=$(now)
log "walking from ($WALK_X0,$WALK_Y) to ($WALK_X1,$WALK_Y) in $WALK_S s"
# Where the client is served along the way, every 5 s (for the log).
for ((k = 5; k <= WALK_S; k += 5)); do
    sleep_until "$WALK_START" "$k"
    echo "$k s: sta $(medium show | awk '$1 == "sta" { print $3 }'), signal at ap1/ap2/ap3" \
        "$(medium "signal sta ap1" "signal sta ap2" "signal sta ap3" | tr '\n' '/') served by $(serving)" >> "$RES/walk-trace.txt"
done
# Standing at the end: a late move (or one back) would show here.
sleep_until "$WALK_START" "$((WALK_S + 10))"
kill -INT "$PING_PID"
wait "$PING_PID"
medium show > "$RES/medium-show.txt"
final_agent=$(serving)
log "ping: $(grep -E 'packets transmitted' "$RES/ping-10ms.txt")"

# The app's moves, oldest first, from the controller's event history.
api "$API/events?app=mobility&limit=1000" > "$RES/events-mobility.json" || fail "GET /events"
jq -r '.events | reverse | .[] | select(.kind == "handoff_completed")
       | "\(.at_unix_us) \(.detail.from) \(.detail.to) \(.detail.by)"' \
    "$RES/events-mobility.json" > "$RES/moves.txt" || fail "events: $(head -c 300 "$RES/events-mobility.json")"
jq -r '.events | reverse | .[] | select(.kind == "handoff_started") | .at_unix_us | tostring | .[0:-6] + "." + .[-6:]' \
    "$RES/events-mobility.json" > "$RES/move-starts.txt"
jq -r '.events | reverse | .[] | select(.kind == "handoff_failed") | .detail | tostring' \
    "$RES/events-mobility.json" > "$RES/moves-failed.txt"
# Every completed handoff, whoever asked (nobody else should have).
api "$API/events?kind=handoff_completed&limit=1000" |
    jq -r '.events | reverse | .[] | "\(.detail.from) \(.detail.to) by \(.detail.by)"' > "$RES/handoffs-all.txt"
migrations=$(wc -l < "$RES/moves.txt")
pingpong=$(awk '{ split($2, f, "/"); split($3, t, "/")
                  if (NR > 1 && t[1] == last_from) n++
                  last_from = f[1] }
                END { print n + 0 }' "$RES/moves.txt")
path=$(awk '{ split($2, f, "/"); split($3, t, "/"); if (NR == 1) printf "%s", f[1]; printf " -> %s", t[1] }' "$RES/moves.txt")
while read -r _ from to by; do log "move: $from -> $to (by $by)"; done < "$RES/moves.txt"
grep -E "moving |would move|not moved" "$RES/controller.log" | sed 's/^/  /' >> "$RES/summary.txt"
[[ -s $RES/moves-failed.txt ]] && log "failed moves: $(tr '\n' ' ' < "$RES/moves-failed.txt")"

if [[ -s $RES/move-starts.txt ]]; then
    report=$(ping_gap_report "$RES/move-starts.txt" "$RES/ping-10ms.txt" "$PING_START")
else
    # No move: the whole run is background; the "gap within a second of a
    # move" is then that of a move one second after the end.
    date +%s.%N > "$RES/move-starts.txt"
    report=$(ping_gap_report "$RES/move-starts.txt" "$RES/ping-10ms.txt" "$PING_START")
fi
log "ping figures: $report"
overall=$(awk '{ printf "%d", $1 }' <(sort -n "$RES/gaps.txt" | tail -1))
log "largest gap between replies over the whole run: $overall ms"
lost=$(sed -n 's/.*lost=\([0-9-]*\).*/\1/p' <<< "$report")
dup=$(sed -n 's/.*dup=\([0-9]*\).*/\1/p' <<< "$report")
max_gap=$(sed -n 's/.*max_gap_ms=\([0-9]*\).*/\1/p' <<< "$report")

disc=$(grep -c "CTRL-EVENT-DISCONNECTED" "$RES/wpa_supplicant.log")
conn=$(grep -c "CTRL-EVENT-CONNECTED" "$RES/wpa_supplicant.log")
final_bssid=$(wpacli status | sed -n 's/^bssid=//p')
log "client event log: $conn connection(s), $disc disconnection(s); BSSID $BSSID -> $final_bssid; path ${path:-ap1 (no move)}; served by $final_agent at the end"
echo "RESULT walk migrations=$migrations lost=$lost dup=$dup max_gap_ms=$max_gap pingpong=$pingpong" | tee -a "$RES/summary.txt"

[[ $disc -eq 0 && $conn -eq 1 && $final_bssid == "$BSSID" ]] || fail "the client noticed: see wpa_supplicant.log"
[[ $final_agent == ap3 ]] || fail "the client ended on ${final_agent:-nothing}, not ap3"
[[ $migrations -eq 2 ]] || fail "$migrations moves by the app, not 2"
[[ $pingpong -eq 0 ]] || fail "$pingpong move(s) back to the AP just left"
[[ $(wc -l < "$RES/handoffs-all.txt") -eq $migrations ]] || fail "handoffs by others: $(tr '\n' ';' < "$RES/handoffs-all.txt")"
for i in 1 2 3; do stop_pid "ap$i" "${PID[ap$i]}"; done
stop_pid odin-medium "${PID[medium]}"
log "PASS"
