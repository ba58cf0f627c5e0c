#!/usr/bin/env bash
# Capture real 802.11 frames (radiotap, link type 127) for odin-wire's parser
# tests. Runs inside the hwsim VM (hwsim-tests/vm/run.sh) with 4 radios:
#
#   phy0/wlan0  hostapd, first BSS         02:00:00:00:00:00
#   phy1/wlan1  hostapd, second BSS (roam) 02:00:00:00:01:00
#   phy2/wlan2  wpa_supplicant client, moved to network namespace "sta"
#   phy3/mon0   monitor interface; tcpdump -s 0 writes the captures
#
# Phases (each its own capture): open, roam, wpa2-ht, csa, vht.
# Results: $ODIN_RESULTS/raw/*.pcap (full), $ODIN_RESULTS/pcap/*.pcap
# (trimmed, what goes to odin-wire/tests/data), logs/, conf/, timings.txt.
#
#   hwsim-tests/vm/run.sh -r 4 hwsim-tests/scenarios/capture-frames.sh [PHASE...]
#   hwsim-tests/run-suite.sh capture-frames     (all phases; with the
#                                               odin-wire check on the host)
# The log lines also go to $ODIN_RESULTS/summary.txt.
# radios: 4
# timeout: 450
set -u

RES=${ODIN_RESULTS:?run me through hwsim-tests/vm/run.sh}
REPO=${ODIN_REPO:?}
TRIM=$REPO/hwsim-tests/tools/pcap_trim.py
W=/tmp/odin-capture
mkdir -p "$RES"/{raw,pcap,logs,conf} "$W" /run/hostapd /run/wpa_supplicant
PHASES=("$@")
[[ ${#PHASES[@]} -gt 0 ]] || PHASES=(open roam wpa2-ht csa vht)

NS=sta
AP0=wlan0 AP1=wlan1 STA=wlan2 MONPHY=phy3 MON=mon0
FAILED=()

log() { printf '[%7.2f] capture: %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*" | tee -a "$RES/summary.txt"; }
now() { date +%s.%N; }
ms_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%d", (e - s) * 1000 }'; }
timing() { log "TIMING $*"; echo "$*" >> "$RES/timings.txt"; }

in_ns() { ip netns exec "$NS" "$@"; }
wpacli() { in_ns wpa_cli -p /run/wpa_supplicant -i "$STA" "$@"; }
hapdcli() { local ifc=$1; shift; hostapd_cli -p /run/hostapd -i "$ifc" "$@"; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
    local deadline i
    deadline=$(awk -v s="$(now)" -v d="$1" 'BEGIN { printf "%.2f", s + d }')
    shift
    while true; do
        "$@" >/dev/null 2>&1 && return 0
        i=$(now)
        awk -v a="$i" -v b="$deadline" 'BEGIN { exit !(a > b) }' && return 1
        sleep 0.1
    done
}
sta_state_is() { wpacli status 2>/dev/null | grep -qx "wpa_state=$1"; }
sta_bssid_is() { wpacli status 2>/dev/null | grep -qx "bssid=$1"; }
ap_enabled() { hapdcli "$1" status 2>/dev/null | grep -qx 'state=ENABLED'; }

# --- setup -------------------------------------------------------------------
log "hostapd: $(hostapd -v 2>&1 | head -1); wpa_supplicant: $(wpa_supplicant -v | head -1)"
log "tcpdump: $(tcpdump --version 2>&1 | head -1); kernel $(uname -r)"
{
    echo "kernel $(uname -r)"
    hostapd -v 2>&1 | head -1
    wpa_supplicant -v | head -1
    tcpdump --version 2>&1 | head -1
    iw --version
} > "$RES/versions.txt"

ip netns add "$NS"
iw phy phy2 set netns name "$NS" || { log "cannot move phy2 to netns"; exit 1; }
in_ns ip link set lo up
iw phy "$MONPHY" interface add "$MON" type monitor
ip link set "$MON" up
ip link set hwsim0 up
STA_ADDR=$(in_ns cat "/sys/class/net/$STA/address")
AP0_ADDR=$(cat /sys/class/net/$AP0/address)
AP1_ADDR=$(cat /sys/class/net/$AP1/address)
log "AP0 $AP0_ADDR, AP1 $AP1_ADDR, STA $STA_ADDR"

TCPDUMP_PIDS=()
capture_start() { # name iface [more tcpdump args]
    local name=$1 ifc=$2
    shift 2
    tcpdump -i "$ifc" -s 0 -U -Z root -w "$RES/raw/$name.pcap" "$@" \
        > "$RES/logs/tcpdump-$name.log" 2>&1 &
    TCPDUMP_PIDS+=($!)
    # tcpdump needs a moment to open the interface under emulation.
    wait_for 10 grep -q 'listening on' "$RES/logs/tcpdump-$name.log" || log "tcpdump $name not ready"
}
capture_stop() {
    local p
    sleep 0.5
    for p in "${TCPDUMP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
    for p in "${TCPDUMP_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    TCPDUMP_PIDS=()
}
mon_channel() { iw dev "$MON" set "$@" || log "iw dev $MON set $* failed"; }

HOSTAPD_PIDS=()
start_hostapd() { # name conf-file iface...
    local name=$1 conf=$2 ifc
    shift 2
    cp "$conf" "$RES/conf/"
    hostapd -t "$conf" > "$RES/logs/hostapd-$name.log" 2>&1 &
    HOSTAPD_PIDS+=($!)
    for ifc in "$@"; do
        if ! wait_for 20 ap_enabled "$ifc"; then
            log "hostapd $name: $ifc not ENABLED"
            tail -20 "$RES/logs/hostapd-$name.log"
            return 1
        fi
    done
}
WPAS_PID=
start_wpas() { # name conf-file
    cp "$2" "$RES/conf/"
    # A simple command (not the in_ns function) so that $! is wpa_supplicant.
    ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$2" \
        > "$RES/logs/wpa_supplicant-$1.log" 2>&1 &
    WPAS_PID=$!
}
stop_all() {
    local p
    [[ -n $WPAS_PID ]] && { kill "$WPAS_PID" 2>/dev/null; wait "$WPAS_PID" 2>/dev/null; }
    WPAS_PID=
    for p in "${HOSTAPD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${HOSTAPD_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    HOSTAPD_PIDS=()
    ip addr flush dev "$AP0" 2>/dev/null
    in_ns ip addr flush dev "$STA" 2>/dev/null
    in_ns ip link set "$STA" down
}
# associate NAME TIMEOUT: wait for COMPLETED, record the time since $T0.
wait_assoc() {
    if wait_for "$2" sta_state_is COMPLETED; then
        timing "$1 $(ms_since "$T0") ms"
        return 0
    fi
    log "$1: client not COMPLETED after $2 s"
    wpacli status
    return 1
}
ping_ap() { # count
    in_ns ip addr replace 10.0.0.2/24 dev "$STA"
    ip addr replace 10.0.0.1/24 dev "$AP0"
    in_ns ping -c "$1" -i 0.2 -W 2 10.0.0.1 | tail -2
}
trim() { # name [pcap_trim options]
    local name=$1
    shift
    python3 "$TRIM" "$RES/raw/$name.pcap" "$RES/pcap/$name.pcap" "$@"
}

SCAN_FREQ=2412
write_wpas_conf() { # file ssid [network lines...]
    local f=$1 ssid=$2
    shift 2
    {
        echo "ctrl_interface=/run/wpa_supplicant"
        echo "ap_scan=1"
        echo "network={"
        echo "    ssid=\"$ssid\""
        echo "    scan_ssid=1"
        echo "    scan_freq=$SCAN_FREQ"
        printf '    %s\n' "$@"
        echo "}"
    } > "$f"
}

# --- phase: open network, legacy 802.11g -------------------------------------
# beacons, wildcard + directed probe requests, probe responses, open system
# authentication, association, data, deauth (client and AP), disassoc (AP).
phase_open() {
    local c=$W/open-hostapd.conf s=$W/open-wpas.conf
    cat > "$c" <<EOF
interface=$AP0
driver=nl80211
ctrl_interface=/run/hostapd
ssid=odin-open
hw_mode=g
channel=1
beacon_int=100
EOF
    write_wpas_conf "$s" odin-open "key_mgmt=NONE"
    mon_channel channel 1
    capture_start hwsim-open-assoc "$MON"
    capture_start hwsim-open-hwsim0 hwsim0
    start_hostapd open "$c" "$AP0" || return 1
    # An explicit wildcard scan and a directed one before wpa_supplicant runs.
    in_ns ip link set "$STA" up
    in_ns iw dev "$STA" scan freq 2412 > /dev/null
    in_ns iw dev "$STA" scan freq 2412 ssid odin-open > /dev/null
    in_ns ip link set "$STA" down
    T0=$(now)
    start_wpas open "$s"
    wait_assoc "open-assoc" 20 || return 1
    ping_ap 3
    log "client disconnect (client sends deauth)"
    wpacli disconnect
    wait_for 5 sta_state_is DISCONNECTED
    sleep 0.5
    T0=$(now)
    wpacli reconnect
    wait_assoc "open-reconnect" 20 || return 1
    log "AP disassociates the client"
    hapdcli "$AP0" disassociate "$STA_ADDR"
    sleep 0.3
    T0=$(now)
    wait_assoc "open-after-disassoc" 20
    log "AP deauthenticates the client"
    hapdcli "$AP0" deauthenticate "$STA_ADDR"
    sleep 0.3
    T0=$(now)
    wait_assoc "open-after-deauth" 20
    stop_all
    capture_stop
    trim hwsim-open-assoc --beacons 3
    trim hwsim-open-hwsim0 --beacons 2 --probes 2 --data 2
}

# --- phase: roam between two BSSes (reassociation) ----------------------------
phase_roam() {
    local c0=$W/roam-hostapd0.conf c1=$W/roam-hostapd1.conf s=$W/roam-wpas.conf ifc
    for ifc in "$AP0" "$AP1"; do
        cat > "$W/roam-hostapd${ifc#wlan}.conf" <<EOF
interface=$ifc
driver=nl80211
ctrl_interface=/run/hostapd
ssid=odin-roam
hw_mode=g
channel=1
EOF
    done
    write_wpas_conf "$s" odin-roam "key_mgmt=NONE" "bssid=$AP0_ADDR"
    mon_channel channel 1
    capture_start hwsim-reassoc "$MON"
    start_hostapd roam0 "$c0" "$AP0" || return 1
    start_hostapd roam1 "$c1" "$AP1" || return 1
    T0=$(now)
    start_wpas roam "$s"
    wait_assoc "roam-first-assoc" 20 || return 1
    # Drop the BSSID pin so that roaming is allowed, make sure both BSSes
    # are in the scan table, then roam there and back.
    wpacli set_network 0 bssid any > /dev/null
    wpacli scan > /dev/null
    wait_for 10 sh -c "ip netns exec $NS wpa_cli -p /run/wpa_supplicant -i $STA scan_results | grep -q $AP1_ADDR"
    sleep 1
    T0=$(now)
    wpacli roam "$AP1_ADDR"
    if wait_for 10 sta_bssid_is "$AP1_ADDR" && wait_assoc "roam-to-ap1" 10; then :; else log "roam to AP1 failed"; return 1; fi
    sleep 0.5
    T0=$(now)
    wpacli roam "$AP0_ADDR"
    if wait_for 10 sta_bssid_is "$AP0_ADDR" && wait_assoc "roam-to-ap0" 10; then :; else log "roam to AP0 failed"; return 1; fi
    stop_all
    capture_stop
    trim hwsim-reassoc --beacons 2
}

# --- phase: WPA2-PSK, HT20, WMM, BTM / RRM action frames -----------------------
phase_wpa2_ht() {
    local c=$W/wpa2-hostapd.conf s=$W/wpa2-wpas.conf
    cat > "$c" <<EOF
interface=$AP0
driver=nl80211
ctrl_interface=/run/hostapd
ssid=odin-wpa2
hw_mode=g
channel=6
ieee80211n=1
wmm_enabled=1
ht_capab=[SHORT-GI-20]
wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=odin-test-passphrase
bss_transition=1
rrm_neighbor_report=1
rrm_beacon_report=1
EOF
    SCAN_FREQ=2437 write_wpas_conf "$s" odin-wpa2 "key_mgmt=WPA-PSK" 'psk="odin-test-passphrase"' "ieee80211w=0"
    mon_channel channel 6
    capture_start hwsim-wpa2-ht "$MON"
    start_hostapd wpa2 "$c" "$AP0" || return 1
    T0=$(now)
    start_wpas wpa2 "$s"
    wait_assoc "wpa2-ht-assoc" 20 || return 1
    # QoS data under minstrel_ht makes mac80211 start block-ack sessions
    # (ADDBA request/response action frames).
    ping_ap 20
    log "action frames: neighbor report, beacon report, BSS transition"
    wpacli neighbor_rep_request
    sleep 1
    hapdcli "$AP0" req_beacon "$STA_ADDR" 51000000000002ffffffffffff
    sleep 1
    wpacli wnm_bss_query 0
    sleep 1
    hapdcli "$AP0" bss_tm_req "$STA_ADDR" pref=1 valid_int=255
    sleep 1
    stop_all
    capture_stop
    trim hwsim-wpa2-ht --beacons 3
    python3 "$TRIM" --only-actions "$RES/raw/hwsim-wpa2-ht.pcap" "$RES/pcap/hwsim-action.pcap"
}

# --- phase: channel switch announcement ----------------------------------------
phase_csa() {
    local c=$W/csa-hostapd.conf s=$W/csa-wpas.conf
    cat > "$c" <<EOF
interface=$AP0
driver=nl80211
ctrl_interface=/run/hostapd
ssid=odin-csa
hw_mode=g
channel=1
ieee80211n=1
wmm_enabled=1
EOF
    SCAN_FREQ="2412 2437" write_wpas_conf "$s" odin-csa "key_mgmt=NONE"
    mon_channel channel 1
    capture_start hwsim-csa "$MON"
    start_hostapd csa "$c" "$AP0" || return 1
    T0=$(now)
    start_wpas csa "$s"
    wait_assoc "csa-assoc" 20 || return 1
    log "chan_switch to channel 6 (2437 MHz) in 5 beacons"
    T0=$(now)
    hapdcli "$AP0" chan_switch 5 2437 ht
    wait_for 10 sh -c "hostapd_cli -p /run/hostapd -i $AP0 status | grep -qx freq=2437" \
        && timing "csa-switch $(ms_since "$T0") ms"
    # Follow the AP to the new channel to see its beacons and the client there.
    mon_channel channel 6
    sleep 1
    ping_ap 3
    wpacli status | grep -E '^(freq|wpa_state)='
    stop_all
    capture_stop
    trim hwsim-csa --beacons 2 --csa-beacons 5
}

# --- phase: 5 GHz, VHT80 (and HE if hostapd takes it) --------------------------
phase_vht() {
    local c=$W/vht-hostapd.conf s=$W/vht-wpas.conf
    write_vht_conf() {
        cat > "$c" <<EOF
interface=$AP0
driver=nl80211
ctrl_interface=/run/hostapd
ssid=odin-vht
country_code=US
ieee80211d=1
hw_mode=a
channel=36
ieee80211n=1
ht_capab=[HT40+][SHORT-GI-20][SHORT-GI-40]
ieee80211ac=1
vht_oper_chwidth=1
vht_oper_centr_freq_seg0_idx=42
vht_capab=[SHORT-GI-80]
wmm_enabled=1
EOF
        if [[ $1 == he ]]; then
            printf '%s\n' ieee80211ax=1 he_oper_chwidth=1 he_oper_centr_freq_seg0_idx=42 >> "$c"
        fi
    }
    write_vht_conf he
    SCAN_FREQ=5180 write_wpas_conf "$s" odin-vht "key_mgmt=NONE"
    iw reg set US
    sleep 0.5
    mon_channel freq 5180 80 5210
    capture_start hwsim-vht "$MON"
    if ! start_hostapd vht-he "$c" "$AP0"; then
        log "hostapd refused HE: retrying with VHT only"
        stop_all
        write_vht_conf vht
        start_hostapd vht "$c" "$AP0" || return 1
    fi
    T0=$(now)
    start_wpas vht "$s"
    wait_assoc "vht-assoc" 30 || return 1
    ping_ap 3
    wpacli status | grep -E '^(freq|wpa_state|wifi_generation)='
    stop_all
    capture_stop
    trim hwsim-vht --beacons 3
}

for ph in "${PHASES[@]}"; do
    log "=== phase $ph ==="
    T_PHASE=$(now)
    if "phase_${ph//-/_}"; then
        timing "phase-$ph $(ms_since "$T_PHASE") ms"
    else
        log "phase $ph FAILED"
        FAILED+=("$ph")
        stop_all
        capture_stop
    fi
done

# Summaries of the trimmed captures (tcpdump's view; link type check).
for f in "$RES"/pcap/*.pcap; do
    [[ -f $f ]] || continue
    {
        echo "== $(basename "$f") ($(stat -c %s "$f") bytes)"
        tcpdump -r "$f" -nn -e -vvv 2>&1
    } >> "$RES/pcap-summary.txt"
done
log "timings:"
if [[ -f $RES/timings.txt ]]; then
    while IFS= read -r t; do log "  $t"; done < "$RES/timings.txt"
fi
if [[ ${#FAILED[@]} -gt 0 ]]; then
    log "failed phases: ${FAILED[*]}"
    exit 1
fi
log "all phases passed"
