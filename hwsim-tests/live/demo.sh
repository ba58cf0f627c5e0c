#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# The live demo's guest side (scripts/demo.sh boots the VM with it; not a
# test scenario: it runs until the VM is stopped). Everything is real:
# mac80211_hwsim radios, odin-medium as the air between them, three
# odin-agents (ap1, ap2, ap3 at x = 0, 40, 80 m on channel 1, the walk
# scenario's line), odin-controller with the mobility manager and the
# load balancer enabled, and three wpa_supplicant clients that walk
# between the APs (odin-medium ctl walk) while pinging the LAN host every
# 100 ms. The controller's REST API and the dashboard (web/dist) listen
# on the guest's network card, which vm/run.sh -p forwards from the host's
# loopback; the API wants the token in $ODIN_RESULTS/api-tokens (written by
# scripts/demo.sh, or scenarios/demo.sh, which tests this script in the
# suite). Reads: ODIN_DEMO_GUEST_PORT (8080), ODIN_DEMO_WALK_S
# (seconds for a walk from one end to the other, 60), ODIN_DEMO_WEB_ROOT
# (the dashboard's files, web/dist).
set -u

RES=${ODIN_RESULTS:-/tmp/demo}
mkdir -p "$RES" /run/wpa_supplicant
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=demo
FREQ=2412
SSID=odin
API_PORT=${ODIN_DEMO_GUEST_PORT:-8080}
SECRET_FILE=/run/odin-secret
CTL=/run/odin-medium.sock
CLIENTS=3
WALK_S=${ODIN_DEMO_WALK_S:-60}
WEB_ROOT=${ODIN_DEMO_WEB_ROOT:-$ODIN_REPO/web/dist}
PIDS=()
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/../scenarios/lib.sh"
trap cleanup EXIT

[[ -x $BIN/odin-medium ]] || fail "$BIN/odin-medium missing"
[[ -f $WEB_ROOT/index.html ]] || fail "no dashboard in $WEB_ROOT (scripts/demo.sh builds it)"
[[ -s $RES/api-tokens ]] || fail "no API token file in $RES (scripts/demo.sh writes it)"

declare -A PERM
for ((r = 0; r < 3 + CLIENTS; r++)); do
    PERM[$r]=$(cat "/sys/class/ieee80211/phy$r/macaddress") || fail "no phy$r"
done
# Where each client starts, and the two ends it walks between.
STA_X0=(0 5 40 75)
STA_X1=(0 75 5 40)
STA_Y=(0 2 -3 4)
radios=("ap1=${PERM[0]}@0,0" "ap2=${PERM[1]}@40,0" "ap3=${PERM[2]}@80,0")
for ((j = 1; j <= CLIENTS; j++)); do
    radios+=("sta$j=${PERM[$((2 + j))]}@${STA_X0[j]},${STA_Y[j]}")
done
medium_toml "${radios[@]}" > "$RES/medium.toml"
log "starting odin-medium: ap1 (0,0) ap2 (40,0) ap3 (80,0); sta1 (5,2) sta2 (40,-3) sta3 (75,4)"
RUST_LOG=${RUST_LOG:-info} "$BIN/odin-medium" --config "$RES/medium.toml" --control "$CTL" \
    > "$RES/medium.log" 2>&1 &
PIDS+=($!)

odin_setup 3 "$CLIENTS"
wait_for 10 grep -q "the air is ours" "$RES/medium.log" || { cat "$RES/medium.log"; fail "odin-medium did not register"; }
medium() { "$BIN/odin-medium" ctl --control "$CTL" "$@"; }

# The network card (vm/run.sh -p) goes to the LAN namespace, where the
# controller listens: QEMU forwards the host's loopback port to 10.0.2.15.
# (ODIN_DEMO_NO_UPLINK=1: none; the test scenario scenarios/demo.sh.)
if [[ ${ODIN_DEMO_NO_UPLINK:-0} != 1 ]]; then
    modprobe -d /run/odin-kmod virtio_net 2>/dev/null || modprobe virtio_net 2>/dev/null
    wait_for 10 test -e /sys/class/net/eth0 || fail "no network card (vm/run.sh -p HOST:GUEST)"
    ip link set eth0 netns "$LAN_NS" || fail "cannot move eth0 into $LAN_NS"
    ip -n "$LAN_NS" link set eth0 name uplink
    ip -n "$LAN_NS" addr add 10.0.2.15/24 dev uplink
    ip -n "$LAN_NS" link set uplink up
fi

# The mobility manager as in the walk scenario (lib.sh's mobility_toml);
# the balancer moves a client only to an AP that hears it at -55 dBm or
# better, above the mobility manager's -60 dBm trigger, so the two never
# pull a client back and forth.
{
    echo "# Written by hwsim-tests/live/demo.sh"
    mobility_toml
    cat <<TOML

[apps.balancer]
enabled = true
min_signal_dbm = -55
max_age_ms = 5000
min_difference = 2
interval_ms = 5000
client_cooldown_ms = 30000
TOML
} > "$RES/controller.toml"
log "starting odin-controller (mobility manager and load balancer enabled)"
RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" --config "$RES/controller.toml" \
    --listen "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" --ssid "$SSID" \
    --api-listen "0.0.0.0:$API_PORT" --api-tokens "$RES/api-tokens" --web-root "$WEB_ROOT" \
    > "$RES/controller.log" 2>&1 &
PIDS+=($!)
wait_for 20 grep -q "odin-controller running" "$RES/controller.log" || { tail -5 "$RES/controller.log"; fail "the controller did not start"; }
for i in 1 2 3; do
    log "starting agent ap$i on ${AP_PHY[i]}"
    RUST_LOG=${RUST_LOG:-info} ip netns exec "ap$i" "$BIN/odin-agent" \
        --controller "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" \
        --id "ap$i" --phy "${AP_PHY[i]}" --channel 1 --bridge br0 \
        > "$RES/agent-ap$i.log" 2>&1 &
    PIDS+=($!)
    wait_for 20 grep -q "agent ap$i up" "$RES/controller.log" || fail "agent ap$i did not come up"
done

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
for ((j = 1; j <= CLIENTS; j++)); do
    log "starting wpa_supplicant on sta$j (${STA_MAC[j]})"
    ip netns exec "${STA_NS[j]}" wpa_supplicant -t -D nl80211 -i "${STA_IFACE[j]}" \
        -c "$RES/wpa_supplicant.conf" > "$RES/wpa_supplicant-sta$j.log" 2>&1 &
    PIDS+=($!)
done
for ((j = 1; j <= CLIENTS; j++)); do
    use_client "$j"
    wait_for 90 sta_done || fail "sta$j did not associate within 90 s"
    log "sta$j associated ($(wpacli status | sed -n 's/^bssid=//p'))"
    ip netns exec "${STA_NS[j]}" ping -q -i 0.1 "$LAN_HOST" > "$RES/ping-sta$j.txt" 2>&1 &
    PIDS+=($!)
done

# Each client walks to its other end and back, for ever (the three start
# a third of a walk apart, so the APs see them come and go in turn).
walker() {
    local j=$1 x0=${STA_X0[$1]} x1=${STA_X1[$1]} y=${STA_Y[$1]}
    sleep $((WALK_S * (j - 1) / 3))
    while true; do
        medium "walk sta$j $x0 $y $x1 $y $WALK_S" > /dev/null || return
        sleep "$WALK_S"; sleep 10
        medium "walk sta$j $x1 $y $x0 $y $WALK_S" > /dev/null || return
        sleep "$WALK_S"; sleep 10
    done
}
for ((j = 1; j <= CLIENTS; j++)); do
    walker "$j" &
    PIDS+=($!)
done
echo "odin-demo: READY"
log "dashboard ready (the host's loopback port forwarded to $API_PORT); the clients walk ${WALK_S} s each way"

# Every 10 s: where each client is, who serves it, and the handoffs so
# far by app.
TOKEN=$(cat "$RES/api-token")
API="http://$CONTROLLER_ADDR:$API_PORT/api/v1"
get() { ip netns exec "$LAN_NS" curl -s --max-time 5 -H "Authorization: Bearer $TOKEN" "$API/$1"; }
while true; do
    sleep 10
    line=
    for ((j = 1; j <= CLIENTS; j++)); do
        at=$(medium show | awk -v n="sta$j" '$1 == n { print $3 }')
        by=$(get "clients/${STA_MAC[j]}" | jq -r '.lvap.agent // "-"')
        line+="sta$j at $at on $by; "
    done
    moves=$(get "events?kind=handoff_completed&limit=1000" |
        jq -r '[.events[] | .app // "api"] | group_by(.) | map("\(.[0]) \(length)") | join(", ")')
    log "${line}handoffs: ${moves:-none}"
done
