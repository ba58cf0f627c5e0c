#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# The real path end to end, on lib.sh's wired topology (topology_up 2 3):
# odin-controller in the wired LAN's namespace "lan" (10.0.0.2:6777), the
# odin-agent daemon in namespace ap1 on phy0 and a second one in ap2 on
# phy1, each with --bridge br0 (its AP's bridge, wired to the LAN over a
# veth), and THREE real wpa_supplicant clients at once (phy2..phy4 in
# namespaces sta1..sta3, 10.0.0.101..103) on the open SSID, no BSSID
# configured. The agents' monitors hear their probes and the controller
# places an LVAP per client; each client must associate to the BSSID the
# controller assigned it (distinct ones), ping 10.0.0.1 (a host on the wired
# side) 5 times across its AP's bridge and the LAN, and the agent's
# statistics with that traffic must reach the controller. Then:
#   association time, controller path against hostapd on the same radios:
#   5 tries each, every try a fresh client (a new MAC on sta1's interface),
#   wpa_supplicant start to COMPLETED; the odin tries with both agents
#   running, the hostapd tries with the agents stopped and one hostapd per
#   AP radio (open, same SSID and channel, bridged to br0 like the LVAPs).
#   Prints `RESULT association odin_ms=<median> hostapd_ms=<median>
#   ratio=<odin/hostapd>` and every try (association-tries.txt).
# Agents and controller must stop cleanly on SIGTERM (exit 0, every
# interface of theirs deleted, no WARN/ERROR/panic in their logs).
# ODIN_ASSOC_FRESH=1: restart the controller and both agents before every
# odin try, so that no LVAP of an earlier client is on the air (by default
# they all stay, as in a network whose clients come and go; the controller
# keeps an LVAP after its client left, and its beacons carry the SSID).
# Builds nothing: the host runs
#   cargo build --profile bench -p odin-agent -p odin-controller --bins
#   hwsim-tests/vm/run.sh -r 5 -t 900 hwsim-tests/scenarios/nl80211-controller.sh
# or both in one: hwsim-tests/run-suite.sh nl80211-controller
# Results in $ODIN_RESULTS: controller.log, agent-ap1.log, agent-ap2.log (and
# controller-tryN.log, agent-apI-tryN.log with ODIN_ASSOC_FRESH=1),
# wpa_supplicant-sta{1,2,3}.log, wpa-odin-N.log, wpa-hostapd-N.log,
# hostapd-ap{1,2}.log, ping-sta{1,2,3}.txt, topology.txt, summary.txt,
# timings.txt, association-tries.txt.
# radios: 5
# timeout: 900
set -u

RES=${ODIN_RESULTS:-/tmp/nl80211-controller}
mkdir -p "$RES" /run/wpa_supplicant /run/hostapd
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
CHANNEL=1
FREQ=2412
SSID=odin
SECRET_FILE=/run/odin-secret
TRIES=5
NS=
STA=
PIDS=()
declare -A PID

NAME=nl80211-controller
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

for b in odin-controller odin-agent; do
    [[ -x $BIN/$b ]] || fail "$BIN/$b missing: run cargo build --profile bench -p odin-agent -p odin-controller --bins on the host"
done
[[ ${ODIN_RADIOS:-5} -ge 5 ]] || fail "needs 5 radios (2 APs, 3 clients), have $ODIN_RADIOS"
: > "$RES/summary.txt"
log "kernel $(uname -r); $(wpa_supplicant -v | head -1); $(hostapd -v 2>&1 | head -1)"
echo "odin-hwsim-secret" > "$SECRET_FILE"
topology_up 2 3
LISTEN=$CONTROLLER_ADDR:$CONTROLLER_PORT

# --- controller and agents -----------------------------------------------------
# start_controller LOG / start_agents SUFFIX: the daemons, logging to LOG and
# to agent-ap<i>SUFFIX.log; stop_agents / stop_controller: SIGTERM, exit 0,
# clean stop in the log, no interface of theirs left. Simple commands, so
# that $! is the daemon itself (ip netns exec execs it).
AGENT_LOGS=()
start_controller() {
    CTL_LOG=$1
    RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" --listen "$LISTEN" \
        --secret-file "$SECRET_FILE" --ssid "$SSID" --status-interval 2 \
        > "$CTL_LOG" 2>&1 &
    PID[controller]=$!; PIDS+=($!)
    wait_for 10 grep -q "odin-controller running" "$CTL_LOG" || fail "the controller did not start"
}
start_agents() {
    local i alog
    for i in 1 2; do
        alog=$RES/agent-ap$i$1.log
        AGENT_LOG[i]=$alog; AGENT_LOGS+=("$alog")
        RUST_LOG=${RUST_LOG:-info} ip netns exec "${AP_NS[i]}" "$BIN/odin-agent" --controller "$LISTEN" \
            --secret-file "$SECRET_FILE" --id "ap$i" --phy "${AP_PHY[i]}" --channel "$CHANNEL" \
            --bridge br0 > "$alog" 2>&1 &
        PID[ap$i]=$!; PIDS+=($!)
    done
    for i in 1 2; do
        wait_for 20 grep -q "agent ap$i up" "$CTL_LOG" || {
            tail -n 20 "${AGENT_LOG[i]}"; fail "agent ap$i did not come up at the controller"; }
        grep -q "monitor interface up" "${AGENT_LOG[i]}" || {
            tail -n 20 "${AGENT_LOG[i]}"; fail "agent ap$i has no monitor interface"; }
    done
}
stop_agents() {
    local i left
    for i in 1 2; do
        stop_pid "agent ap$i" "${PID[ap$i]}"
        grep -q "odin-agent stopped" "${AGENT_LOG[i]}" || fail "ap$i: no clean stop in its log"
        left=$(ip -n "${AP_NS[i]}" -o link show | awk -F': ' '$2 ~ /^odin/ { print $2 }')
        [[ -z $left ]] || fail "interfaces of agent ap$i left after it stopped: $left"
    done
    wait_for 10 grep -q "agent ap2 down" "$CTL_LOG" || fail "the controller did not see ap2 go"
}
stop_controller() {
    stop_pid controller "${PID[controller]}"
    grep -hE "ERROR|panicked" "$CTL_LOG" && fail "errors in $(basename "$CTL_LOG")"
    grep -q "odin-controller stopped" "$CTL_LOG" || fail "no clean stop in $(basename "$CTL_LOG")"
}
AGENT_LOG=()
start_controller "$RES/controller.log"
start_agents ""
log "controller up on $LISTEN (netns $LAN_NS); agents ap1 (${AP_PHY[1]}) and ap2 (${AP_PHY[2]}) up in their namespaces with --bridge br0, monitors capturing"

# --- three clients at once -------------------------------------------------------
write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
declare -A T0 ASSOC_MS
for j in 1 2 3; do
    T0[$j]=$(now)
    ip netns exec "${STA_NS[j]}" wpa_supplicant -t -D nl80211 -i "${STA_IFACE[j]}" \
        -c "$RES/wpa_supplicant.conf" > "$RES/wpa_supplicant-sta$j.log" 2>&1 &
    PID[sta$j]=$!; PIDS+=($!)
done
# Poll all three, each one's time taken when it is first seen COMPLETED.
deadline=$(( ${EPOCHREALTIME/./} + 60000000 ))
while true; do
    pending=0
    for j in 1 2 3; do
        [[ -n ${ASSOC_MS[$j]:-} ]] && continue
        use_client "$j"
        if sta_done; then ASSOC_MS[$j]=$(ms_since "${T0[$j]}"); else pending=1; fi
    done
    [[ $pending -eq 0 ]] && break
    if (( ${EPOCHREALTIME/./} > deadline )); then
        for j in 1 2 3; do
            use_client "$j"
            log "sta$j: $(wpacli status 2>&1 | grep -E '^(wpa_state|bssid)=' | tr '\n' ' ')"
        done
        tail -n 30 "$CTL_LOG"
        fail "not every client associated within 60 s"
    fi
    sleep 0.1
done

declare -A BSSID AT_NS
: > "$RES/timings.txt"
for j in 1 2 3; do
    use_client "$j"
    mac=${STA_MAC[j]}
    status=$(wpacli status)
    echo "$status" > "$RES/wpa-status-sta$j.txt"
    bssid=$(sed -n 's/^bssid=//p' <<< "$status")
    placed=$(grep "LvapPlaced client $mac " "$CTL_LOG" | tail -n 1 | sed 's/.*event: //')
    [[ -n $placed ]] || fail "sta$j ($mac) associated to $bssid, but the controller logged no LvapPlaced for it"
    assigned=$(awk '{ for (i = 1; i < NF; i++) if ($i == "bssid") print $(i + 1) }' <<< "$placed")
    [[ $bssid == "$assigned" ]] || fail "sta$j ($mac) associated to $bssid, but the controller assigned $assigned ($placed)"
    at=$(awk '{ for (i = 1; i < NF; i++) if ($i == "at") print $(i + 1) }' <<< "$placed")
    BSSID[$j]=$bssid AT_NS[$j]=${at%%/*}
    wpa_ms=$(awk '/Successfully initialized wpa_supplicant/ && !s { s = $1 + 0 }
                  /CTRL-EVENT-CONNECTED/ && !c { c = $1 + 0 }
                  END { if (s && c) printf "%d", (c - s) * 1000 }' "$RES/wpa_supplicant-sta$j.log")
    log "$placed"
    log "sta$j ($mac) ASSOCIATED to $bssid (the controller's BSSID) in ${ASSOC_MS[$j]} ms (wpa_supplicant's own: ${wpa_ms:-?} ms)"
    echo "sta$j association_ms=${ASSOC_MS[$j]} wpa_ms=${wpa_ms:-}" >> "$RES/timings.txt"
done
[[ $(printf '%s\n' "${BSSID[@]}" | sort -u | wc -l) -eq 3 ]] || fail "the clients share a BSSID: ${BSSID[*]}"

# Each LVAP is an AP interface in its agent's namespace, a port of br0.
LVAP_HT=
for j in 1 2 3; do
    ns=${AT_NS[$j]}
    iface=$(ip netns exec "$ns" iw dev | awk -v b="${BSSID[$j]}" '/Interface/ { i = $2 } $1 == "addr" && $2 == b { print i }')
    [[ -n $iface ]] || fail "no interface with address ${BSSID[$j]} in netns $ns"
    ip -n "$ns" -o link show dev "$iface" | grep -q " master br0 " ||
        fail "the LVAP interface $iface of sta$j is not in $ns's br0: $(ip -n "$ns" -o link show dev "$iface")"
    info=$(ip netns exec "$ns" iw dev "$iface" info)
    log "sta$j: LVAP $iface in $ns, port of br0: $(grep -E 'type|channel' <<< "$info" | tr -s '\t\n' '  ')"
    # hostapd below advertises HT exactly when the LVAPs do.
    if grep -q 'no HT' <<< "$info"; then LVAP_HT=${LVAP_HT:-0}; else LVAP_HT=1; fi
done

for j in 1 2 3; do ping_lan "$j"; done

# The controller's view: the clients' events and the agents' statistics.
served() { grep "status: client $1 " "$CTL_LOG" | tail -n 1 | grep -q "served true, rx [1-9]"; }
for j in 1 2 3; do
    mac=${STA_MAC[j]}
    grep -q "client $mac associated at" "$CTL_LOG" || fail "no ClientJoined for $mac in controller.log"
    grep -q "client $mac authorized at" "$CTL_LOG" || fail "no ClientAuthorized for $mac in controller.log"
    wait_for 10 served "$mac" || fail "no statistics with traffic for sta$j ($mac) in controller.log"
    log "controller: $(grep -m1 "client $mac associated at" "$CTL_LOG" | sed 's/.*event: //');" \
        "$(grep "status: client $mac " "$CTL_LOG" | tail -n 1 | sed 's/.*status: //')"
done

for j in 1 2 3; do
    use_client "$j"
    wpacli terminate > /dev/null 2>&1
    wait_for 5 sh -c "! kill -0 ${PID[sta$j]}" || kill -9 "${PID[sta$j]}" 2>/dev/null
    wait "${PID[sta$j]}" 2>/dev/null
done
log "three clients served at once; their wpa_supplicants stopped"

# --- association time: the controller's path ---------------------------------------
# Every try a client the controller has never heard of: a new MAC address on
# sta1's interface (set while it is down), so that each goes through
# ClientHeard -> placement -> LVAP -> association.
use_client 1
TRY_TABLE=$RES/association-tries.txt
printf '%-8s %3s  %-17s  %-17s  %7s  %7s\n' path try client bssid wpa_ms wall_ms > "$TRY_TABLE"
odin_times=()
# A try that does not associate within 60 s is recorded and the others are
# still made (and hostapd's), so that the table shows everything; the
# scenario fails at the end.
FAILED_TRIES=()
if [[ ${ODIN_ASSOC_FRESH:-0} == 1 ]]; then
    log "ODIN_ASSOC_FRESH=1: the controller and both agents are restarted before every odin try"
fi
for ((k = 1; k <= TRIES; k++)); do
    if [[ ${ODIN_ASSOC_FRESH:-0} == 1 ]]; then
        stop_agents
        stop_controller
        start_controller "$RES/controller-try$k.log"
        start_agents "-try$k"
    fi
    mac=$(printf '02:00:0a:00:01:%02x' "$k")
    in_ns ip link set dev "$STA" down
    in_ns ip link set dev "$STA" address "$mac" || fail "cannot set $mac on $STA"
    if ! out=$(associate_once "$RES/wpa_supplicant.conf" "$RES/wpa-odin-$k.log" 60); then
        FAILED_TRIES+=("odin try $k ($mac): no association within 60 s, $(grep -c 'Trying to authenticate' "$RES/wpa-odin-$k.log") authentication attempts (wpa-odin-$k.log)")
        printf '%-8s %3d  %-17s  %-17s  %7s  %7s\n' odin "$k" "$mac" "-" FAILED ">60000" >> "$TRY_TABLE"
        log "odin try $k: $mac did not associate within 60 s: $(grep -o 'Trying to authenticate with [0-9a-f:]*' "$RES/wpa-odin-$k.log" | awk '{ print $NF }' | tr '\n' ' ')tried"
        continue
    fi
    read -r ms wall bssid <<< "$out"
    assigned=$(grep "LvapPlaced client $mac " "$CTL_LOG" | tail -n 1 |
        awk '{ for (i = 1; i < NF; i++) if ($i == "bssid") print $(i + 1) }')
    [[ $bssid == "$assigned" ]] || fail "odin try $k: $mac associated to $bssid, the controller assigned '${assigned}'"
    odin_times+=("$ms")
    printf '%-8s %3d  %-17s  %-17s  %7d  %7d\n' odin "$k" "$mac" "$bssid" "$ms" "$wall" >> "$TRY_TABLE"
    log "odin try $k: $mac -> $bssid in $ms ms (wall $wall ms; $(grep -c 'Trying to authenticate' "$RES/wpa-odin-$k.log") authentication attempts)"
done

# --- clean stop of the agents ---------------------------------------------------------
stop_agents
grep -hE "WARN|ERROR|panicked" "${AGENT_LOGS[@]}" && fail "warnings in the agents' logs"
log "agents stopped on SIGTERM: exit 0, APs stopped, every odin interface deleted, logs clean"

# --- association time: hostapd on the same radios ------------------------------------
HOSTAPD_BSSIDS=
for i in 1 2; do
    hostapd_conf "$i" "${LVAP_HT:-0}" > "$RES/hostapd-ap$i.conf"
    HOSTAPD_BSSIDS+=" $(ip netns exec "${AP_NS[i]}" cat "/sys/class/net/${AP_IFACE[i]}/address")"
    ip netns exec "${AP_NS[i]}" hostapd -t "$RES/hostapd-ap$i.conf" > "$RES/hostapd-ap$i.log" 2>&1 &
    PID[hostapd$i]=$!; PIDS+=($!)
done
for i in 1 2; do
    wait_for 20 grep -q "AP-ENABLED" "$RES/hostapd-ap$i.log" || { tail -n 20 "$RES/hostapd-ap$i.log"; fail "hostapd on ap$i did not start"; }
done
log "hostapd on ${AP_IFACE[1]} (ap1) and ${AP_IFACE[2]} (ap2), BSSIDs$HOSTAPD_BSSIDS, bridged to br0, HT ${LVAP_HT:-0} like the LVAPs"
hostapd_times=()
for ((k = 1; k <= TRIES; k++)); do
    mac=$(printf '02:00:0a:00:02:%02x' "$k")
    in_ns ip link set dev "$STA" down
    in_ns ip link set dev "$STA" address "$mac" || fail "cannot set $mac on $STA"
    out=$(associate_once "$RES/wpa_supplicant.conf" "$RES/wpa-hostapd-$k.log" 60) ||
        fail "hostapd try $k: client $mac did not associate within 60 s (see wpa-hostapd-$k.log)"
    read -r ms wall bssid <<< "$out"
    [[ " $HOSTAPD_BSSIDS " == *" $bssid "* ]] || fail "hostapd try $k: $mac associated to $bssid, not to a hostapd BSS"
    hostapd_times+=("$ms")
    printf '%-8s %3d  %-17s  %-17s  %7d  %7d\n' hostapd "$k" "$mac" "$bssid" "$ms" "$wall" >> "$TRY_TABLE"
    log "hostapd try $k: $mac -> $bssid in $ms ms (wall $wall ms)"
done
for i in 1 2; do stop_pid "hostapd ap$i" "${PID[hostapd$i]}"; done

stop_controller
log "controller stopped on SIGTERM, log clean"

log "association times (ms; wpa_ms: wpa_supplicant's own, 'Successfully initialized' to CTRL-EVENT-CONNECTED; wall_ms: the scenario's clock, start to COMPLETED seen):"
while IFS= read -r line; do log "  $line"; done < "$TRY_TABLE"
if [[ ${#FAILED_TRIES[@]} -gt 0 ]]; then
    for f in "${FAILED_TRIES[@]}"; do log "$f"; done
    fail "${#FAILED_TRIES[@]} of $TRIES clients did not associate through the controller's path"
fi
ODIN_MS=$(median "${odin_times[@]}")
HOSTAPD_MS=$(median "${hostapd_times[@]}")
RATIO=$(awk -v a="$ODIN_MS" -v b="$HOSTAPD_MS" 'BEGIN { printf "%.2f", a / b }')
log "RESULT association odin_ms=$ODIN_MS hostapd_ms=$HOSTAPD_MS ratio=$RATIO"
log "PASS"
exit 0
