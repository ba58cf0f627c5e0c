# shellcheck shell=bash
# Helpers shared by the hwsim scenarios; source it after setting RES (the
# results folder), NAME (the scenario's name for log lines), NS (the
# client's network namespace), STA (the client's interface) and FREQ (the
# channel's frequency, MHz). NS and STA are read whenever a helper runs: a
# scenario with several clients switches with use_client.

# The controller's store: a fresh SQLite file on the guest's tmpfs per
# scenario (the root filesystem is read-only; SQLite's locking on the 9p
# results share is not to be trusted).
export ODIN_DATABASE=${ODIN_DATABASE:-sqlite:///tmp/odin-controller-${NAME:-scenario}.db}
rm -f "${ODIN_DATABASE#sqlite://}"*
log() { echo "[$NAME] $*" | tee -a "$RES/summary.txt"; }
fail() { log "FAIL: $*"; exit 1; }
# Clock readings without a fork (bash's EPOCHREALTIME, microseconds; every
# fork is slow under emulation): now prints seconds.microseconds.
now() { echo "$EPOCHREALTIME"; }
# sleep_until T S: sleeps until S seconds after T (a reading of now); at
# once when that is past. Paces a series of migrations or roams.
sleep_until() {
    sleep "$(awk -v t="$1" -v s="$2" -v n="$(now)" 'BEGIN { d = t + s - n; if (d < 0) d = 0; printf "%.3f", d }')"
}
# ms_since T: milliseconds since T (a reading of now).
ms_since() {
    local t=$1 frac
    frac=${t#*.}000000
    echo $(( (${EPOCHREALTIME/./} - ${t%.*}${frac:0:6}) / 1000 ))
}
in_ns() { ip netns exec "$NS" "$@"; }
wpacli() { in_ns wpa_cli -p /run/wpa_supplicant -i "$STA" "$@"; }
sta_done() { wpacli status 2>/dev/null | grep -qx "wpa_state=COMPLETED"; }
# median N...: the middle value (the lower one of the two middle values).
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# wait_for SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds
# (0) or SECONDS (a whole number) pass (1).
wait_for() {
    local deadline=$(( ${EPOCHREALTIME/./} + $1 * 1000000 ))
    shift
    while true; do
        "$@" >/dev/null 2>&1 && return 0
        (( ${EPOCHREALTIME/./} > deadline )) && return 1
        sleep 0.05
    done
}
# Kills every process in PIDS (TERM, then KILL) and records the links (of
# every network namespace).
cleanup() {
    local p ns
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 1
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    {
        echo "== root namespace"
        ip -d link
        for ns in $(ip netns list | awk '{ print $1 }'); do
            echo "== netns $ns"
            ip -n "$ns" -d link
        done
    } > "$RES/links-at-exit.txt" 2>&1
}
# stop_pid LABEL PID: SIGTERM, then checks that PID (a child of the
# scenario) exits with 0 within 10 s.
stop_pid() {
    local label=$1 pid=$2 rc
    kill -TERM "$pid"
    wait_for 10 sh -c "! kill -0 $pid" || fail "$label did not exit on SIGTERM"
    wait "$pid"; rc=$?
    [[ $rc -eq 0 ]] || fail "$label exited with $rc"
}
# ping_over_lvap IFACE AP_ADDR CLIENT_ADDR: puts AP_ADDR/24 on the LVAP's
# interface and CLIENT_ADDR/24 on the client (addresses inside the VM's own
# namespaces only), pings 5 times from the client, logs the result, fails
# the scenario when it does not get through.
ping_over_lvap() {
    local iface=$1 ap=$2 client=$3
    ip addr add "$ap/24" dev "$iface" || fail "ip addr on $iface"
    in_ns ip addr add "$client/24" dev "$STA" || fail "ip addr on $STA"
    in_ns ip link set lo up
    if in_ns ping -c 5 -i 0.2 -W 2 "$ap" > "$RES/ping.txt" 2>&1; then
        log "PING $(grep -E 'packets transmitted' "$RES/ping.txt")"
        log "PING $(grep -E '^rtt' "$RES/ping.txt")"
    else
        cat "$RES/ping.txt"
        iw dev "$iface" station dump
        fail "ping over the LVAP failed"
    fi
    iw dev "$iface" station dump > "$RES/station-dump.txt" 2>&1
}

# --- timed associations ------------------------------------------------------
# associate_once CONF LOG [SECONDS]: one association from scratch: starts
# wpa_supplicant (-t) with CONF on $STA in $NS, waits up to SECONDS (30)
# for wpa_state=COMPLETED, keeps `wpa_cli status` in LOG.status, terminates
# wpa_supplicant. Prints "WPA_MS WALL_MS BSSID". WPA_MS is wpa_supplicant's
# own time from "Successfully initialized" to CTRL-EVENT-CONNECTED (its -t
# timestamps: the emulated machine's process start-up and our polling stay
# out of it, the same for every path compared); WALL_MS is the scenario's
# clock from starting wpa_supplicant to seeing COMPLETED. Returns 1 when the
# client did not associate.
associate_once() {
    local conf=$1 wlog=$2 limit=${3:-30} pid t0 wall bssid ms
    # Forget the BSSes of the previous try (cfg80211 keeps scan results for
    # 30 s and wpa_supplicant would try a vanished one first). The scan is
    # passive: no probe request goes out, nobody hears the client before
    # wpa_supplicant starts.
    in_ns ip link set "$STA" up
    in_ns iw dev "$STA" scan flush freq "$FREQ" passive > /dev/null 2>&1
    in_ns ip link set "$STA" down
    t0=$(now)
    # A simple command, so that $! is wpa_supplicant itself.
    ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$conf" > "$wlog" 2>&1 &
    pid=$!
    if ! wait_for "$limit" sta_done; then
        wpacli status > "$wlog.status" 2>&1
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 1
    fi
    wall=$(ms_since "$t0")
    wpacli status > "$wlog.status" 2>&1
    bssid=$(sed -n 's/^bssid=//p' "$wlog.status")
    wpacli terminate > /dev/null 2>&1
    wait_for 5 sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    ms=$(awk '/Successfully initialized wpa_supplicant/ && !s { s = $1 + 0 }
              /CTRL-EVENT-CONNECTED/ && !c { c = $1 + 0 }
              END { if (s && c) printf "%d\n", (c - s) * 1000; else exit 1 }' "$wlog") || return 1
    echo "$ms $wall $bssid"
}
# write_open_wpa_conf FILE SSID: an open network on $FREQ only, any BSSID.
write_open_wpa_conf() {
    cat > "$1" <<WPACONF
ctrl_interface=/run/wpa_supplicant
network={
    ssid="$2"
    key_mgmt=NONE
    scan_freq=$FREQ
}
WPACONF
}

# --- a wired LAN behind the access points --------------------------------------
# topology_up APS CLIENTS: radios phy0..phy(APS-1) become access points,
# the next CLIENTS radios clients, each in a network namespace of its own:
#
#   ap$i   (i = 1..APS)   radio phy$((i-1)); bridge br0 with the AP's
#                         management address 10.0.0.1$i/24 (10.0.0.11, ...)
#                         and veth eth0 (the AP's wired port); the agent runs
#                         here with --bridge br0, so its LVAPs join br0
#   lan                   the wired LAN: bridge br0 with the other end of
#                         every AP's veth (named ap$i), LAN_HOST 10.0.0.1/24
#                         (the host behind the APs: clients ping it) and
#                         CONTROLLER_ADDR 10.0.0.2/24 (odin-controller
#                         listens on CONTROLLER_ADDR:CONTROLLER_PORT, 6777)
#   sta$j  (j = 1..CLIENTS)  radio phy$((APS+j-1)); 10.0.0.10$j/24 on its
#                         wlan interface (10.0.0.101, ...)
#
# client sta$j -> its LVAP on ap$i (in ap$i's br0) -> eth0 -> lan's br0 ->
# 10.0.0.1: traffic never leaves the VM's namespaces. The bridges get fixed
# MAC addresses (02:00:b0:00:00:0N; a bridge otherwise takes its lowest
# port's, which changes as LVAPs come and go).
#
# Headroom: lan's br0 also holds hr0, a VXLAN port that is never up, only
# so that br0 (and every veth port, by the bridge's headroom propagation)
# asks for 64 bytes of headroom. Without it the frames the LAN host sends
# (built by this VM's own IP stack with the 16 bytes a bare bridge asks
# for, and handed through the veths without a copy) reach the AP radio with
# so little headroom that mac80211 cannot prepend the radiotap header to
# the TX status copy it gives a monitor interface on that radio: Debian
# 6.1's mac80211 logs "ieee80211_tx_status: headroom too small" and a
# WARNING (net/mac80211/status.c, ieee80211_tx_monitor) and drops that
# copy. Any monitor interface does it (the agent's odinmon<N>, or one next
# to hostapd); frames from a real wired host come through a NIC with
# NET_SKB_PAD (64) bytes or more and do not. ODIN_LAN_HEADROOM=0
# leaves hr0 out (and reproduces the warning). Sets AP_NS[i], AP_PHY[i],
# AP_IFACE[i], AP_ADDR[i], STA_NS[j], STA_PHY[j], STA_IFACE[j], STA_IP[j],
# STA_MAC[j] (index from 1) and writes $RES/topology.txt.
LAN_NS=lan
LAN_HOST=10.0.0.1
CONTROLLER_ADDR=10.0.0.2
CONTROLLER_PORT=6777
AP_NS=() AP_PHY=() AP_IFACE=() AP_ADDR=()
STA_NS=() STA_PHY=() STA_IFACE=() STA_IP=() STA_MAC=()
# phy_iface PHY: the network interface mac80211_hwsim created on PHY.
phy_iface() {
    local d
    for d in /sys/class/ieee80211/"$1"/device/net/*; do
        [[ -e $d ]] && { basename "$d"; return 0; }
    done
    return 1
}
topology_up() {
    local aps=$1 stas=$2 i j ns phy iface
    [[ $aps -ge 1 && $aps -le 9 && $stas -le 9 ]] || fail "topology_up: 1-9 APs, 0-9 clients"
    ip netns add "$LAN_NS" || fail "netns $LAN_NS"
    ip -n "$LAN_NS" link set lo up
    ip -n "$LAN_NS" link add br0 address 02:00:b0:00:00:00 type bridge || fail "bridge in $LAN_NS"
    ip -n "$LAN_NS" addr add "$LAN_HOST/24" dev br0
    ip -n "$LAN_NS" addr add "$CONTROLLER_ADDR/24" dev br0
    ip -n "$LAN_NS" link set br0 up
    if [[ ${ODIN_LAN_HEADROOM:-1} != 0 ]]; then
        if ! { ip -n "$LAN_NS" link add hr0 type vxlan id 1 dstport 4789 &&
            ip -n "$LAN_NS" link set hr0 master br0; }; then
            log "note: no VXLAN headroom port in $LAN_NS (see lib.sh): expect mac80211 headroom warnings"
        fi
    fi
    for ((i = 1; i <= aps; i++)); do
        ns=ap$i phy=phy$((i - 1))
        iface=$(phy_iface "$phy") || fail "no radio $phy"
        ip netns add "$ns" || fail "netns $ns"
        iw phy "$phy" set netns name "$ns" || fail "cannot move $phy into netns $ns"
        ip -n "$ns" link set lo up
        ip -n "$ns" link add br0 address "02:00:b0:00:00:0$i" type bridge || fail "bridge in $ns"
        ip -n "$ns" link add eth0 type veth peer name "$ns" netns "$LAN_NS" || fail "veth $ns"
        ip -n "$ns" link set eth0 master br0
        ip -n "$LAN_NS" link set "$ns" master br0
        ip -n "$ns" link set eth0 up
        ip -n "$LAN_NS" link set "$ns" up
        ip -n "$ns" addr add "10.0.0.1$i/24" dev br0
        ip -n "$ns" link set br0 up
        AP_NS[i]=$ns AP_PHY[i]=$phy AP_IFACE[i]=$iface AP_ADDR[i]=10.0.0.1$i
    done
    for ((j = 1; j <= stas; j++)); do
        ns=sta$j phy=phy$((aps + j - 1))
        iface=$(phy_iface "$phy") || fail "no radio $phy"
        ip netns add "$ns" || fail "netns $ns"
        iw phy "$phy" set netns name "$ns" || fail "cannot move $phy into netns $ns"
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "10.0.0.10$j/24" dev "$iface"
        STA_NS[j]=$ns STA_PHY[j]=$phy STA_IFACE[j]=$iface STA_IP[j]=10.0.0.10$j
        STA_MAC[j]=$(ip netns exec "$ns" cat "/sys/class/net/$iface/address")
    done
    # The wired side works before any radio does.
    for ((i = 1; i <= aps; i++)); do
        ip netns exec "ap$i" ping -c 1 -W 5 "$CONTROLLER_ADDR" > /dev/null ||
            fail "ap$i cannot reach $CONTROLLER_ADDR over the wired LAN"
    done
    {
        for ns in "$LAN_NS" "${AP_NS[@]}" "${STA_NS[@]}"; do
            echo "== netns $ns"
            ip -n "$ns" -br link
            ip -n "$ns" -br addr
        done
    } > "$RES/topology.txt" 2>&1
    log "topology: lan (br0 $LAN_HOST, controller $CONTROLLER_ADDR:$CONTROLLER_PORT);" \
        "$(for ((i = 1; i <= aps; i++)); do printf '%s (%s %s, br0 %s) ' "${AP_NS[i]}" "${AP_PHY[i]}" "${AP_IFACE[i]}" "${AP_ADDR[i]}"; done)" \
        "$(for ((j = 1; j <= stas; j++)); do printf '%s (%s %s %s %s) ' "${STA_NS[j]}" "${STA_PHY[j]}" "${STA_IFACE[j]}" "${STA_MAC[j]}" "${STA_IP[j]}"; done)"
}
# use_client J: the helpers above (in_ns, wpacli, associate_once) act on
# client J of the topology.
use_client() { NS=${STA_NS[$1]}; STA=${STA_IFACE[$1]}; }
# hostapd_conf I HT: the configuration of an open hostapd BSS on AP I's
# radio as the LVAPs are (bridged to its br0, $SSID on $CHANNEL, WMM; HT
# when HT is 1), on stdout; a scenario appends what it needs more.
hostapd_conf() {
    cat <<HOSTAPD
interface=${AP_IFACE[$1]}
bridge=br0
driver=nl80211
ctrl_interface=/run/hostapd
ssid=$SSID
hw_mode=g
channel=$CHANNEL
ieee80211n=$2
wmm_enabled=1
HOSTAPD
}
# odin_setup APS CLIENTS: the start of a scenario running odin against
# the wired topology: the binaries are there, a fresh summary, the kernel
# and wpa_supplicant in the log, the shared secret in $SECRET_FILE,
# topology_up APS CLIENTS, client 1 in use; sets CLIENT and API (the
# controller's REST API, on $CONTROLLER_ADDR:$API_PORT).
odin_setup() {
    local b
    for b in odin-controller odin-agent; do
        [[ -x $BIN/$b ]] || fail "$BIN/$b missing"
    done
    : > "$RES/summary.txt"
    log "kernel $(uname -r); $(wpa_supplicant -v | head -1)"
    echo "odin-hwsim-secret" > "$SECRET_FILE"
    topology_up "$1" "$2"
    use_client 1
    # shellcheck disable=SC2034 # for the scenario
    CLIENT=${STA_MAC[1]}
    # shellcheck disable=SC2034 # for the scenario
    API="http://$CONTROLLER_ADDR:$API_PORT/api/v1"
}
# api ARGS...: curl from the LAN namespace (where the controller is),
# giving up after $API_TIMEOUT seconds (10).
api() { ip netns exec "$LAN_NS" curl -sS --max-time "${API_TIMEOUT:-10}" "$@"; }
# ping_lan J: 5 pings from client J to LAN_HOST across its AP's bridge and
# the wired LAN; all 5 must come back. Output in $RES/ping-sta$J.txt.
ping_lan() {
    local j=$1 out=$RES/ping-sta$1.txt
    ip netns exec "${STA_NS[j]}" ping -c 5 -i 0.2 -W 2 "$LAN_HOST" > "$out" 2>&1
    if ! grep -q "5 packets transmitted, 5 received" "$out"; then
        cat "$out"
        fail "sta$j: not every ping to $LAN_HOST came back"
    fi
    log "PING sta$j -> $LAN_HOST: $(grep -E 'packets transmitted' "$out"); $(grep -E '^rtt' "$out")"
}

# --- handoff measurement ---------------------------------------------------------
# ping_gap_report STARTS_FILE PING_FILE PING_START [GAPS_FILE]: the handoff
# figures of a `ping -D -i 0.01` run (PING_FILE, stopped with SIGINT so that
# it holds ping's summary) started at PING_START (a reading of now), with
# the handoffs' start times in STARTS_FILE (seconds since the epoch, one a
# line, in order, the same clock). Lost and duplicated replies come from
# ping's own summary; the gaps between consecutive replies: the largest
# within a second after a handoff started, the largest over the background
# stretch (from 1 s after PING_START to 0.5 s before the first handoff), and
# the median of all (every gap written to GAPS_FILE, default
# $RES/gaps.txt). Prints
#   lost=.. dup=.. max_gap_ms=.. background_gap_ms=.. median_gap_ms=..
ping_gap_report() {
    local starts=$1 pings=$2 ps=$3 gaps=${4:-$RES/gaps.txt}
    local summary sent received dup lost first max_gap bg_gap median_gap
    summary=$(grep -E 'packets transmitted' "$pings")
    sent=$(awk '{ print $1 }' <<< "$summary")
    received=$(awk '{ print $4 }' <<< "$summary")
    dup=$(sed -n 's/.* +\([0-9]*\) duplicates.*/\1/p' <<< "$summary"); dup=${dup:-0}
    lost=$((sent - received))
    first=$(head -1 "$starts")
    read -r max_gap bg_gap < <(
        awk -v ps="$ps" -v fm="$first" -v out="$gaps" '
            FNR == NR { m[++nm] = $1; next }
            /bytes from/ && !/DUP!/ { t = substr($1, 2, length($1) - 2) + 0; r[++nr] = t }
            END {
                for (i = 2; i <= nr; i++) {
                    a = r[i - 1]; b = r[i]; g = (b - a) * 1000
                    printf "%.3f\n", g > out
                    for (k = 1; k <= nm; k++) if (a < m[k] + 1 && b > m[k]) { if (g > mg) mg = g; break }
                    if (a >= ps + 1 && b <= fm - 0.5 && g > bg) bg = g
                }
                printf "%d %d\n", mg, bg
            }' "$starts" "$pings")
    median_gap=$(sort -n "$gaps" | awk '{ v[NR] = $1 } END { printf "%d", v[int((NR + 1) / 2)] }')
    echo "lost=$lost dup=$dup max_gap_ms=$max_gap background_gap_ms=$bg_gap median_gap_ms=$median_gap"
}

# --- odin-medium and the apps' settings ----------------------------------------
# medium_toml NAME=ADDR@X,Y...: an odin-medium configuration, on stdout:
# the model every scenario uses (seed 1, noise floor -95 dBm, 20 dBm
# transmit power, 40 dB at 1 m and exponent 3: -60 dBm at 21.5 m, -70 dBm
# at 46 m; loss over a 1 dB wide edge) and one radio per argument (its
# permanent address names it; X and Y in metres).
medium_toml() {
    local spec name rest pos
    cat <<TOML
# Written by ${ODIN_SCENARIO:-a hwsim scenario} (lib.sh medium_toml)
seed = 1
noise_floor_dbm = -95.0
tx_power_dbm = 20.0

[path_loss]
loss_at_1m_db = 40.0
exponent = 3.0

[loss]
width_db = 1.0
TOML
    for spec in "$@"; do
        name=${spec%%=*} rest=${spec#*=}
        pos=${rest#*@}
        printf '\n[[radio]]\nname = "%s"\naddr = "%s"\nx = %.2f\ny = %.2f\n' \
            "$name" "${rest%@*}" "${pos%,*}" "${pos#*,}"
    done
}
# mobility_toml: the mobility manager's [apps.mobility] section for
# clients walking through medium_toml's model at about 1.5 m/s under this
# VM's emulation (walk.sh, the live demo), on stdout:
# - trigger_dbm -60: the default -70 dBm is 46 m out; with APs 40 m apart
#   a client would leave the middle one only 6 m past the next;
# - alpha 0.5, min_reports 3: a non-serving agent reports the client's
#   signal once a second (its statistics); with the default 0.3 a mean
#   trails the walk by about 2.3 reports (3.5 m at 1.5 m/s); 0.5 halves
#   that, and 3 reports still smooth over a single odd sample;
# - max_age_ms 4000: under emulation a statistics message can come a
#   second or two late; 3000 could leave a mean without a fresh report
#   between two checks and delay a move by a whole watch;
# - check_ms 500, hysteresis_db 6, trigger_hysteresis_db 3, dwell_ms
#   5000: the defaults (the moves come about 27 s apart at 1.5 m/s, and
#   the dwell keeps a client placed at the start in place for 5 s).
mobility_toml() {
    cat <<TOML
[apps.mobility]
enabled = true
trigger_dbm = -60.0
trigger_hysteresis_db = 3.0
hysteresis_db = 6.0
alpha = 0.5
min_reports = 3
dwell_ms = 5000
check_ms = 500
max_age_ms = 4000
backoff_ms = 10000
TOML
}
