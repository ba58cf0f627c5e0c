#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# The real path end to end: odin-controller on the guest's loopback, the
# odin-agent daemon on phy0 (agent ap1) and a second one on phy1 (ap2), a
# real wpa_supplicant on phy2 (network namespace "sta") with no BSSID
# configured. The agents' monitors hear its probes, the controller places
# its LVAP and the client associates to the BSSID the controller assigned;
# then 5 pings over the LVAP and the controller's view of the client.
# Builds nothing: the host runs
#   cargo build -p odin-agent -p odin-controller --bins
#   hwsim-tests/vm/run.sh -r 3 -t 300 hwsim-tests/scenarios/nl80211-controller.sh
# Results in $ODIN_RESULTS: controller.log, agent-ap1.log, agent-ap2.log,
# wpa_supplicant.log, summary.txt, timings.txt.
set -u

RES=${ODIN_RESULTS:-/tmp/nl80211-controller}
mkdir -p "$RES" /run/wpa_supplicant
BIN="$ODIN_REPO/target/debug"
NS=sta
STA=wlan2
CHANNEL=1
FREQ=2412
SSID=odin
LISTEN=127.0.0.1:6777
SECRET_FILE=/run/odin-secret
PIDS=()
declare -A PID

NAME=nl80211-controller
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
# Stops a daemon with SIGTERM and checks it exits 0 within 10 s.
stop() {
    local name=$1 pid=${PID[$1]}
    kill -TERM "$pid"
    wait_for 10 sh -c "! kill -0 $pid" || fail "$name did not exit on SIGTERM"
    wait "$pid"; local rc=$?
    [[ $rc -eq 0 ]] || fail "$name exited with $rc"
}

for b in odin-controller odin-agent; do
    [[ -x $BIN/$b ]] || fail "$BIN/$b missing: run cargo build -p odin-agent -p odin-controller --bins on the host"
done
: > "$RES/summary.txt"
log "kernel $(uname -r); $(wpa_supplicant -v | head -1)"
ip link set lo up
echo "odin-hwsim-secret" > "$SECRET_FILE"

ip netns add "$NS" || fail "netns"
iw phy phy2 set netns name "$NS" || fail "cannot move phy2 into netns $NS"
CLIENT=$(in_ns cat /sys/class/net/$STA/address) || fail "no $STA in netns"
log "client $CLIENT (phy2, netns $NS), channel $CHANNEL"

RUST_LOG=${RUST_LOG:-info} "$BIN/odin-controller" --listen "$LISTEN" \
    --secret-file "$SECRET_FILE" --ssid "$SSID" --status-interval 2 \
    > "$RES/controller.log" 2>&1 &
PID[controller]=$!; PIDS+=($!)
wait_for 10 grep -q "odin-controller running" "$RES/controller.log" || fail "the controller did not start"

for i in 1 2; do
    phy=phy$((i - 1))
    RUST_LOG=${RUST_LOG:-info} "$BIN/odin-agent" --controller "$LISTEN" \
        --secret-file "$SECRET_FILE" --id "ap$i" --phy "$phy" --channel "$CHANNEL" \
        > "$RES/agent-ap$i.log" 2>&1 &
    PID[ap$i]=$!; PIDS+=($!)
done
for i in 1 2; do
    wait_for 20 grep -q "agent ap$i up" "$RES/controller.log" || {
        tail -n 20 "$RES/agent-ap$i.log"; fail "agent ap$i did not come up at the controller"; }
    grep -q "monitor interface up" "$RES/agent-ap$i.log" || {
        tail -n 20 "$RES/agent-ap$i.log"; fail "agent ap$i has no monitor interface"; }
done
log "controller up on $LISTEN; agents ap1 (phy0) and ap2 (phy1) up, monitors capturing"

cat > "$RES/wpa_supplicant.conf" <<CONF
ctrl_interface=/run/wpa_supplicant
network={
    ssid="$SSID"
    key_mgmt=NONE
    scan_freq=$FREQ
}
CONF
T0=$(now)
ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$RES/wpa_supplicant.conf" \
    > "$RES/wpa_supplicant.log" 2>&1 &
PID[wpa]=$!; PIDS+=($!)

wait_for 20 grep -q "client $CLIENT heard by" "$RES/controller.log" || fail "no agent reported the client's probe (ClientHeard)"
HEARD_MS=$(ms_since "$T0")
log "ClientHeard $(grep -m1 "client $CLIENT heard by" "$RES/controller.log" | sed 's/.*event: //') after ${HEARD_MS} ms"
sta_done() { wpacli status 2>/dev/null | grep -qx "wpa_state=COMPLETED"; }
if ! wait_for 60 sta_done; then
    wpacli status >> "$RES/summary.txt" 2>&1
    tail -n 30 "$RES/controller.log"
    fail "no association within 60 s"
fi
ASSOC_MS=$(ms_since "$T0")
STATUS=$(wpacli status)
echo "$STATUS" > "$RES/wpa-status.txt"
BSSID=$(sed -n 's/^bssid=//p' <<< "$STATUS")
PLACED=$(grep -m1 "LvapPlaced client $CLIENT " "$RES/controller.log" | sed 's/.*event: //')
[[ -n $PLACED ]] || fail "associated to $BSSID, but the controller logged no LvapPlaced for $CLIENT"
ASSIGNED=$(awk '{ for (i = 1; i < NF; i++) if ($i == "bssid") print $(i + 1) }' <<< "$PLACED")
[[ $BSSID == "$ASSIGNED" ]] || fail "associated to $BSSID, but the controller assigned $ASSIGNED ($PLACED)"
log "$PLACED"
log "ASSOCIATED to $BSSID (the controller's BSSID) in ${ASSOC_MS} ms (wpa_supplicant start to COMPLETED)"
# wpa_supplicant -t stamps its lines with the same clock as $T0.
AUTH_AT=$(awk -F: '/SME: Trying to authenticate/ { print $1; exit }' "$RES/wpa_supplicant.log")
AUTH_MS=$(awk -v s="$T0" -v e="$AUTH_AT" 'BEGIN { printf "%d", (e - s) * 1000 }')
log "first authentication attempt ${AUTH_MS} ms after start (the probes of the first scan precede the LVAP; wpa_supplicant rescans)"
{ echo "client_heard_ms=$HEARD_MS"; echo "first_auth_ms=$AUTH_MS"; echo "association_ms=$ASSOC_MS"; } > "$RES/timings.txt"

IFACE=$(iw dev | awk -v b="$BSSID" '/Interface/ { i = $2 } $1 == "addr" && $2 == b { print i }')
[[ -n $IFACE ]] || fail "no interface with address $BSSID"
log "LVAP interface $IFACE: $(iw dev "$IFACE" info | tr '\n' ' ')"
ping_over_lvap "$IFACE" 10.98.0.1 10.98.0.2

# The controller's view: the client's events and the agent's statistics.
grep -q "client $CLIENT associated at" "$RES/controller.log" || fail "no ClientJoined for $CLIENT in controller.log"
grep -q "client $CLIENT authorized at" "$RES/controller.log" || fail "no ClientAuthorized for $CLIENT in controller.log"
log "controller: $(grep -m1 "client $CLIENT associated at" "$RES/controller.log" | sed 's/.*event: //'); $(grep -m1 "client $CLIENT authorized at" "$RES/controller.log" | sed 's/.*event: //')"
served() { grep "status: client $CLIENT " "$RES/controller.log" | tail -n 1 | grep -q "served true, rx [1-9]"; }
wait_for 10 served || fail "no statistics with traffic for $CLIENT in controller.log"
log "controller $(grep "status: client $CLIENT " "$RES/controller.log" | tail -n 1 | sed 's/.*status: //')"

# Teardown: the agents stop their APs and delete every interface.
stop ap1
stop ap2
for i in 1 2; do
    grep -q "odin-agent stopped" "$RES/agent-ap$i.log" || fail "ap$i: no clean stop in its log"
done
if ip link show "$IFACE" > /dev/null 2>&1; then fail "$IFACE still exists after the agents stopped"; fi
if ip link show odinmon0 > /dev/null 2>&1; then fail "odinmon0 still exists after the agents stopped"; fi
wait_for 10 grep -q "agent ap1 down" "$RES/controller.log" || fail "the controller did not see ap1 go"
stop controller
grep -hE "WARN|ERROR|panicked" "$RES"/agent-ap*.log && fail "warnings in the agents' logs"
grep -hE "ERROR|panicked" "$RES/controller.log" && fail "errors in controller.log"
log "teardown: agents stopped (APs stopped, interfaces deleted), controller stopped"
log "PASS"
exit 0
