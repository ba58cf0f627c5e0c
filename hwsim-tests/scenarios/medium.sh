#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup runs from a trap
# odin-medium as the air between two hwsim radios: a hostapd AP (phy0,
# netns medium-ap, 10.0.9.1) and a wpa_supplicant client (phy1, netns
# medium-sta, 10.0.9.2), with the medium's model: 20 dBm, 40 dB at 1 m,
# exponent 3, noise -95 dBm. The client starts 5 m from the AP, is put at
# 20 m, then walks to 40 m; at each place the signal both sides report
# in `iw station dump` (the last frame's) must be the model's (odin-medium
# ctl signal) within SIGNAL_TOLERANCE dB, the client must stay associated
# (no disconnection in its log) and its pings must come back. The
# medium records its first datagrams (medium.rec: the replay fixture of
# hwsim-tests/medium/testdata). Reported:
#   RESULT medium d5=MODEL/AP/STA d20=... d40=... lost=N/M
# Builds nothing: the host builds the binaries (hwsim-tests/run-suite.sh).
# radios: 2
# timeout: 180
set -u

RES=${ODIN_RESULTS:-/tmp/medium}
mkdir -p "$RES" /run/wpa_supplicant /run/hostapd
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=medium
FREQ=2412
SSID=odin-medium
SIGNAL_TOLERANCE=${ODIN_SIGNAL_TOLERANCE:-2}
CTL=/run/odin-medium.sock
APNS=medium-ap
NS=medium-sta
STA=
PIDS=()
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

: > "$RES/summary.txt"
[[ -x $BIN/odin-medium ]] || fail "$BIN/odin-medium missing"
log "kernel $(uname -r); $(wpa_supplicant -v | head -1)"

AP_PERM=$(cat /sys/class/ieee80211/phy0/macaddress) || fail "no phy0"
STA_PERM=$(cat /sys/class/ieee80211/phy1/macaddress) || fail "no phy1"
AP_IF=$(phy_iface phy0) || fail "no interface on phy0"
STA=$(phy_iface phy1) || fail "no interface on phy1"
medium_toml "ap=$AP_PERM@0,0" "sta=$STA_PERM@5,0" > "$RES/medium.toml"

RUST_LOG=${RUST_LOG:-info} "$BIN/odin-medium" --config "$RES/medium.toml" --control "$CTL" \
    --record "$RES/medium.rec" --record-limit 400 > "$RES/medium.log" 2>&1 &
MEDIUM_PID=$!; PIDS+=("$MEDIUM_PID")
wait_for 10 grep -q "the air is ours" "$RES/medium.log" || { cat "$RES/medium.log"; fail "odin-medium did not register"; }
medium() { "$BIN/odin-medium" ctl --control "$CTL" "$@"; }
log "odin-medium registered: ap $AP_PERM at (0,0), sta $STA_PERM at (5,0)"

ip netns add "$APNS" || fail "netns $APNS"
ip netns add "$NS" || fail "netns $NS"
iw phy phy0 set netns name "$APNS" || fail "phy0 -> $APNS"
iw phy phy1 set netns name "$NS" || fail "phy1 -> $NS"
ip -n "$APNS" link set lo up
in_ns ip link set lo up
cat > "$RES/hostapd.conf" <<HOSTAPD
interface=$AP_IF
driver=nl80211
ctrl_interface=/run/hostapd
ssid=$SSID
hw_mode=g
channel=1
HOSTAPD
ip netns exec "$APNS" hostapd -t "$RES/hostapd.conf" > "$RES/hostapd.log" 2>&1 &
PIDS+=($!)
wait_for 15 grep -q "AP-ENABLED" "$RES/hostapd.log" || { cat "$RES/hostapd.log"; fail "hostapd did not start"; }
ip -n "$APNS" addr add 10.0.9.1/24 dev "$AP_IF"

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$RES/wpa_supplicant.conf" \
    > "$RES/wpa_supplicant.log" 2>&1 &
PIDS+=($!)
wait_for 30 sta_done || { wpacli status; cat "$RES/medium.log"; fail "the client did not associate through odin-medium"; }
in_ns ip addr add 10.0.9.2/24 dev "$STA"
log "client associated: $(wpacli status | grep -E '^(bssid|freq)=' | tr '\n' ' ')"

# Traffic both ways for the whole test (each side's last signal is its
# last frame from the other).
ip netns exec "$NS" ping -i 0.1 10.0.9.1 > "$RES/ping.txt" 2>&1 &
PING_PID=$!; PIDS+=("$PING_PID")

# last_signal NS IFACE: the signal of the last frame from the peer.
last_signal() { ip netns exec "$1" iw dev "$2" station dump | awk '$1 == "signal:" { print $2; exit }'; }
declare -A RESULTS
# check LABEL: compares both sides' signal with the model's.
check() {
    local label=$1 model ap sta
    sleep 2
    model=$(medium "signal sta ap") || fail "odin-medium ctl"
    ap=$(last_signal "$APNS" "$AP_IF")
    sta=$(last_signal "$NS" "$STA")
    log "SIGNAL $label: model $model dBm, at the AP $ap dBm, at the client $sta dBm"
    [[ -n $ap && -n $sta ]] || fail "$label: no station in a station dump"
    for v in "$ap" "$sta"; do
        (( v - model <= SIGNAL_TOLERANCE && model - v <= SIGNAL_TOLERANCE )) ||
            fail "$label: signal $v dBm, the model says $model dBm (tolerance $SIGNAL_TOLERANCE)"
    done
    RESULTS[$label]="$model/$ap/$sta"
}

check d5
medium "pos sta 20 0" > /dev/null || fail "pos"
check d20
medium "walk sta 20 0 40 0 3" > /dev/null || fail "walk"
sleep 1
mid=$(medium "signal sta ap")
log "walking: after 1 s of 3 the model says $mid dBm"
sleep 2
check d40
medium show > "$RES/medium-show.txt"
kill -INT "$PING_PID"
wait "$PING_PID" 2>/dev/null
summary=$(grep -E 'packets transmitted' "$RES/ping.txt")
log "PING $summary"
sent=$(awk '{ print $1 }' <<< "$summary")
received=$(awk '{ print $4 }' <<< "$summary")
[[ -n $sent && -n $received && $sent -gt 0 ]] || fail "no ping summary"
(( received * 100 >= sent * 95 )) || fail "only $received of $sent pings came back"
if grep -q "CTRL-EVENT-DISCONNECTED" "$RES/wpa_supplicant.log"; then
    fail "the client was disconnected"
fi
sta_done || fail "the client is no longer associated"
log "medium: $(tail -n 1 "$RES/medium-show.txt")"
stop_pid odin-medium "$MEDIUM_PID"
log "RESULT medium d5=${RESULTS[d5]} d20=${RESULTS[d20]} d40=${RESULTS[d40]} lost=$((sent - received))/$sent"
log "PASS"
