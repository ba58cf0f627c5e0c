#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# Handoff with standard roaming, the reference for migration.sh's odin
# figures, measured the same way on the same topology (topology_up 2 1):
# one hostapd per AP radio (ap1 on phy0, ap2 on phy1, in their namespaces,
# bridged to br0 like the odin LVAPs: same SSID, channel 1, HT, WMM, two
# BSSIDs), one wpa_supplicant client (sta1) associated to ap1, pinging the
# LAN host every 10 ms. After BACKGROUND seconds without a roam, the client
# roams MIGRATIONS times between the two BSSIDs, one second apart, with
# `wpa_cli roam <BSSID>`. Two methods, each with fresh hostapds and a fresh
# client:
#   hostapd-roam  open network, a full reassociation (authentication and
#                 association) to the other AP
#   hostapd-ft    802.11r FT-PSK (one mobility domain, ft_psk_generate_local:
#                 each AP derives the PMK-R0/R1 from the passphrase, no key
#                 holder talks over the wired LAN), over-the-air FT
# Each roam's start time is wpa_supplicant's own (-t timestamp of its
# "SME: Trying to authenticate" line; starting wpa_cli in the emulated VM
# takes long, as migration.sh takes the controller's log); lost and
# duplicated replies and the gaps come from lib.sh's ping_gap_report, the
# analysis migration.sh uses:
#   RESULT handoff method=hostapd-roam lost=.. dup=.. max_gap_ms=.. background_gap_ms=.. median_gap_ms=..
#   RESULT handoff method=hostapd-ft lost=.. dup=.. max_gap_ms=.. background_gap_ms=.. median_gap_ms=..
# Reference figures: loss does not fail the scenario; failing to set up
# (hostapd, association, the other BSS unknown to the client) does.
# Results in $ODIN_RESULTS, per method M: M-hostapd-ap{1,2}.{conf,log},
# M-wpa_supplicant.{conf,log} (wpa_supplicant -d: the FT exchange is
# visible), M-ping-10ms.txt, M-client-events.txt (ip monitor neigh link in
# the client's namespace), M-roams.txt (each wpa_cli roam: when the
# scenario issued it, from, to, the answer), M-roam-starts.txt, M-gaps.txt.
# radios: 3
# timeout: 600
set -u

RES=${ODIN_RESULTS:-/tmp/roam-hostapd}
mkdir -p "$RES" /run/wpa_supplicant /run/hostapd
NAME=roam-hostapd
CHANNEL=1
FREQ=2412
SSID=odin
PASSPHRASE=odin-hwsim-roaming
MOBILITY_DOMAIN=a1b2
# The R0KH/R1KH key (hex, 256 bits): unused with ft_psk_generate_local.
KH_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
MIGRATIONS=${ODIN_MIGRATIONS:-20}
BACKGROUND=${ODIN_BACKGROUND_S:-10}
PIDS=()
declare -A PID
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

: > "$RES/summary.txt"
log "kernel $(uname -r); $(wpa_supplicant -v | head -1); $(hostapd -v 2>&1 | head -1)"
topology_up 2 1
use_client 1
declare -a BSSID_AP
for i in 1 2; do
    BSSID_AP[i]=$(ip netns exec "${AP_NS[i]}" cat "/sys/class/net/${AP_IFACE[i]}/address")
done

# start_hostapd METHOD: one hostapd per AP radio, bridged to br0, HT and
# WMM like the LVAPs; FT-PSK for hostapd-ft.
start_hostapd() {
    local m=$1 i j conf
    for i in 1 2; do
        conf=$RES/$m-hostapd-ap$i.conf
        hostapd_conf "$i" 1 > "$conf"
        cat >> "$conf" <<HOSTAPD
logger_stdout=-1
logger_stdout_level=0
HOSTAPD
        if [[ $m == hostapd-ft ]]; then
            cat >> "$conf" <<HOSTAPD
wpa=2
wpa_key_mgmt=FT-PSK
wpa_passphrase=$PASSPHRASE
rsn_pairwise=CCMP
mobility_domain=$MOBILITY_DOMAIN
nas_identifier=ap$i.odin.test
ft_over_ds=0
ft_psk_generate_local=1
pmk_r1_push=0
HOSTAPD
            for j in 1 2; do
                echo "r0kh=${BSSID_AP[j]} ap$j.odin.test $KH_KEY" >> "$conf"
                echo "r1kh=${BSSID_AP[j]} ${BSSID_AP[j]} $KH_KEY" >> "$conf"
            done
        fi
        # A simple command, so that $! is hostapd itself.
        ip netns exec "${AP_NS[i]}" hostapd -t "$conf" > "$RES/$m-hostapd-ap$i.log" 2>&1 &
        PID[hostapd$i]=$!; PIDS+=($!)
    done
    for i in 1 2; do
        wait_for 20 grep -q "AP-ENABLED" "$RES/$m-hostapd-ap$i.log" || {
            tail -n 20 "$RES/$m-hostapd-ap$i.log"; fail "$m: hostapd on ap$i did not start"; }
        ip -n "${AP_NS[i]}" -o link show dev "${AP_IFACE[i]}" | grep -q " master br0 " ||
            fail "$m: ${AP_IFACE[i]} is not a port of ap$i's br0"
    done
    log "$m: hostapd on ${AP_IFACE[1]} (ap1, ${BSSID_AP[1]}) and ${AP_IFACE[2]} (ap2, ${BSSID_AP[2]}), bridged to br0"
}

# run_method METHOD: hostapds, a fresh client associated to ap1, the ping,
# the roams, the analysis, the RESULT line, then everything stopped.
run_method() {
    local m=$1 conf wlog bssid from to k at answer n report conn disc final ft_auth
    start_hostapd "$m"
    conf=$RES/$m-wpa_supplicant.conf
    wlog=$RES/$m-wpa_supplicant.log
    {
        echo "ctrl_interface=/run/wpa_supplicant"
        echo "network={"
        echo "    ssid=\"$SSID\""
        if [[ $m == hostapd-ft ]]; then
            echo "    key_mgmt=FT-PSK"
            echo "    psk=\"$PASSPHRASE\""
            echo "    proto=RSN"
            echo "    pairwise=CCMP"
        else
            echo "    key_mgmt=NONE"
        fi
        echo "    scan_freq=$FREQ"
        echo "    bssid_hint=${BSSID_AP[1]}"
        echo "}"
    } > "$conf"
    # A fresh client: no BSS of an earlier run remembered.
    in_ns ip link set "$STA" up
    in_ns iw dev "$STA" scan flush freq "$FREQ" passive > /dev/null 2>&1
    in_ns ip link set "$STA" down
    ip netns exec "$NS" wpa_supplicant -t -d -D nl80211 -i "$STA" -c "$conf" > "$wlog" 2>&1 &
    PID[wpa]=$!; PIDS+=($!)
    wait_for 60 sta_done || { wpacli status; fail "$m: the client did not associate within 60 s"; }
    bssid=$(wpacli status | sed -n 's/^bssid=//p')
    # wpa_cli roam needs the other BSS in the client's scan results.
    if ! wpacli scan_results | grep -qi "^${BSSID_AP[2]}"; then
        wpacli scan > /dev/null
        wait_for 20 sh -c "ip netns exec $NS wpa_cli -p /run/wpa_supplicant -i $STA scan_results | grep -qi '^${BSSID_AP[2]}'" ||
            fail "$m: the client does not see ap2's BSS ${BSSID_AP[2]}"
    fi
    if [[ $bssid != "${BSSID_AP[1]}" ]]; then
        # bssid_hint is only a hint: move to ap1 before measuring.
        log "$m: the client chose $bssid; roaming it to ap1 (${BSSID_AP[1]}) first"
        wpacli roam "${BSSID_AP[1]}" > /dev/null
        wait_for 30 sh -c "ip netns exec $NS wpa_cli -p /run/wpa_supplicant -i $STA status | grep -qx 'bssid=${BSSID_AP[1]}'" ||
            fail "$m: the client did not move to ap1"
        wait_for 10 sta_done || fail "$m: the client did not complete its move to ap1"
        bssid=${BSSID_AP[1]}
    fi
    log "$m: client ${STA_MAC[1]} associated to $bssid ($(wpacli status | grep -E '^key_mgmt=')); both BSSes in its scan results"
    ping_lan 1

    # The client's neighbour and link events, timestamped (every roam takes
    # the carrier down and up, which flushes the ARP entry of the LAN host).
    ip -n "$NS" -ts monitor neigh link > "$RES/$m-client-events.txt" 2>&1 &
    PID[monitor]=$!; PIDS+=($!)
    # The measurement, as migration.sh: ping every 10 ms for the whole run
    # (stopped with SIGINT, on which ping prints its summary).
    ip netns exec "$NS" ping -D -i 0.01 -W 1 "$LAN_HOST" > "$RES/$m-ping-10ms.txt" 2>&1 &
    PING_PID=$!; PIDS+=($!)
    PING_START=$(now)
    sleep "$BACKGROUND"
    from=$bssid
    : > "$RES/$m-roams.txt"
    for ((k = 1; k <= MIGRATIONS; k++)); do
        to=${BSSID_AP[1]}; [[ $from == "${BSSID_AP[1]}" ]] && to=${BSSID_AP[2]}
        at=$(now)
        answer=$(wpacli roam "$to" 2>&1)
        echo "$at $from $to $answer" >> "$RES/$m-roams.txt"
        from=$to
        # One second apart, whatever the roam took.
        sleep_until "$at" 1
    done
    sleep 2
    kill -INT "$PING_PID"
    wait "$PING_PID"
    log "$m: ping: $(grep -E 'packets transmitted' "$RES/$m-ping-10ms.txt");" \
        "$(grep -c 'sendmsg: No buffer space available' "$RES/$m-ping-10ms.txt") sends refused (ENOBUFS: no ARP entry yet, its queue full)"
    n=$(awk '$4 != "OK"' "$RES/$m-roams.txt" | wc -l)
    [[ $n -eq 0 ]] || log "$m: note: $n wpa_cli roam answer(s) other than OK (see $m-roams.txt)"

    # Each roam's start, by wpa_supplicant's clock (the same clock: one
    # VM): its first authentication attempt after the roam command reached
    # it (the command's own arrival when it made none before the next).
    awk -v ps="$PING_START" '
        { t = $1; sub(/:$/, "", t) }
        /Control interface command .ROAM / && t + 0 > ps { if (c != "") print c; c = t; next }
        /SME: Trying to authenticate with/ && c != "" { print t; c = "" }
        END { if (c != "") print c }' "$wlog" > "$RES/$m-roam-starts.txt"
    n=$(wc -l < "$RES/$m-roam-starts.txt")
    [[ $n -eq $MIGRATIONS ]] || fail "$m: wpa_supplicant logged $n roam commands of $MIGRATIONS"
    log "$m: $(grep -c 'SME: Trying to authenticate with' "$wlog") authentication attempt(s) in all," \
        "for $(grep -c "Control interface command .ROAM " "$wlog") roam command(s) and the first association"
    report=$(ping_gap_report "$RES/$m-roam-starts.txt" "$RES/$m-ping-10ms.txt" "$PING_START" "$RES/$m-gaps.txt")

    conn=$(grep -c "CTRL-EVENT-CONNECTED" "$wlog")
    disc=$(grep -c "CTRL-EVENT-DISCONNECTED" "$wlog")
    final=$(wpacli status | sed -n 's/^bssid=//p')
    log "$m: client event log: $conn connection(s), $disc disconnection(s); BSSID $bssid -> $final"
    if [[ $m == hostapd-ft ]]; then
        ft_auth=$(cat "$RES/$m-hostapd-ap1.log" "$RES/$m-hostapd-ap2.log" | grep -c "authentication OK (FT)")
        log "$m: FT: $(grep -c 'SME: FT mobility domain' "$wlog") FT authentication(s) in wpa_supplicant.log," \
            "$(grep -c 'FT: Completed successfully' "$wlog") 'FT: Completed successfully', $ft_auth 'authentication OK (FT)' at the hostapds;" \
            "$(grep -c 'WPA: RX message 1 of 4-Way Handshake' "$wlog") 4-way handshake message 1 received (the first association's and any fallback's, retransmissions included)"
        [[ $ft_auth -ge 1 ]] || fail "$m: no FT authentication at either hostapd: the roams were not FT"
    fi
    echo "RESULT handoff method=$m $report" | tee -a "$RES/summary.txt"

    # Teardown: the client, then the APs, each cleanly.
    kill "${PID[monitor]}"; wait "${PID[monitor]}" 2>/dev/null
    wpacli terminate > /dev/null 2>&1
    wait_for 10 sh -c "! kill -0 ${PID[wpa]}" || fail "$m: wpa_supplicant did not terminate"
    wait "${PID[wpa]}" 2>/dev/null
    for i in 1 2; do stop_pid "$m: hostapd ap$i" "${PID[hostapd$i]}"; done
}

run_method hostapd-roam
run_method hostapd-ft
log "PASS"
exit 0
