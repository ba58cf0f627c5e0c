#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# Channel selection (apps/channel) on real radios, with odin-medium as the
# air: a busy neighbour network that is not ours (hostapd on nb, an
# 802.11b BSS on channel 1, and its wpa_supplicant client on nbsta
# sending a steady UDP stream of 1000-byte datagrams to the AP's own
# address), and our agents ap1 and ap2, also on channel 1, each serving one
# wpa_supplicant client (sta1 on ap1, sta2 on ap2) that pings the LAN
# host every 10 ms. Once the controller has both radios' utilisation,
# the channel app is enabled over REST (POST /api/v1/apps/channel/enable,
# its intervals shortened, `retune_served`, `alone_busy_pct`); it moves
# both radios off channel 1 by channel switch announcements, one after
# the other, their clients along. Reported (one line):
#   RESULT channels before=2412/2412 after=F1/F2 lost=N switches=N neighbour=2412 utilization=U1/U2
# (ap1's and ap2's frequencies before the app and at the end; lost: our
# two clients' ping replies lost over the whole run; switches: the app's
# channel changes from REST /api/v1/events; utilization: ap1's and ap2's
# in % as the controller had them when the app was enabled). What the
# app does: the radio with the larger gain (a tie: fewer clients, then
# the name) goes to channel 6 (6 and 11 are both unmeasured, counted
# idle: the first in its list); 10 s later the other, now alone of ours
# on 2412, goes to 11 under `alone_busy_pct` (6 is as quiet but has a
# neighbour on it). So `after=2437/2462` (or 2462/2437). Fails when a
# radio is still on 2412, when a client is not on its radio's frequency
# at the end, or when a client's wpa_supplicant log shows a
# disconnection (one connection each, the same BSSID at the end).
#
# What mac80211_hwsim's survey measures (kernel 6.1, one channel per
# radio): nothing real. The scenario dumps `iw dev X survey dump` on
# ap1's monitor and on the neighbour's client (after it scanned channel
# 6) twice, 5 s apart, while the neighbour's traffic keeps 2412 MHz about
# 40-50 % busy (survey-*.txt, and the log line "hwsim survey"). hwsim
# records survey data only when a scan moves the radio off a channel:
# for that channel the time it stayed, with a busy time of an eighth of
# it, made up (its source says so). Seen: ap1's radio (an AP, it never
# scans) has no entry at all; the neighbour's client has 2412 MHz, its
# own busy channel, at 0 ms active / 0 ms busy, and 2437 MHz (scanned,
# idle) at 80-92 / 10-11 ms, the same 5 s later. Other stations' airtime is not
# counted anywhere. So the agents measure the fallback: the airtime of
# the frames their monitor hears from other networks (odin-agent's
# nl80211/airtime.rs), which is what the app sees as utilisation here.
#
# Layout in the medium (all within 11 m: every radio hears every other
# far above the app's -80 dBm neighbour threshold): ap1 (0,0), ap2
# (10,0), sta1 (2,3), sta2 (8,3), nb (5,10), nbsta (5,7).
# Builds nothing: the host builds the binaries (hwsim-tests/run-suite.sh).
# radios: 6
# timeout: 360
set -u

RES=${ODIN_RESULTS:-/tmp/channels}
mkdir -p "$RES" /run/wpa_supplicant /run/hostapd
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=channels
FREQ=2412
SSID=odin
API_PORT=8080
SECRET_FILE=/run/odin-secret
CTL=/run/odin-medium.sock
CLIENTS=2
# The neighbour: an 802.11b network at 1 and 2 Mbit/s (a legacy network,
# or any at the edge of its range: each frame takes 20-40 times the
# airtime it would at 54 Mbit/s, so a modest frame rate keeps the channel
# busy without flooding the emulated machine), its client sending
# NB_SIZE-byte UDP datagrams every NB_INTERVAL seconds (udp-send.py,
# written below; to the discard port of the AP's own address): at 2
# Mbit/s each takes about 4.4 ms on the air, so 100 a second would keep
# the channel over 40 % busy (under emulation fewer go out).
#
# Why UDP and not ping: in three runs of eight with a pinging neighbour
# (`ping -i 0.02 -s 1000`, or 0.01 at 11 Mbit/s) its pings stopped for
# good after 30-60 s, sendmsg failing with "No buffer space available",
# while its qdisc had sent everything (backlog 0, no drop) and the medium
# counted no more frames from that radio: the ping socket's send buffer
# (ping makes it small) stayed full of frames that never came back from
# the driver. Suspected: hwsim keeps a frame until the medium reports its
# status (the cookie matching of its pending queue had a race, fixed
# upstream in "wifi: mac80211_hwsim: fix race condition in pending
# packet"), and frees the oldest only when 200 are pending; a sender
# with a default-sized buffer keeps sending until that happens, ping
# cannot. Our own clients' pings showed it once too (19 % of sta2's
# replies lost without any switch, with the same error). Static neighbour
# entries and power save off are kept from those runs. When the
# neighbour's stream stops anyway, the run fails saying so; the medium's
# per-radio counters (medium-show.txt, sent= in channels-trace.txt) and
# the client's queues (neighbour-queues.txt) are kept.
NB_NS=nb NB_STA_NS=nbsta NB_SSID=neighbour NB_ADDR=10.9.0.1 NB_STA_ADDR=10.9.0.2
NB_SIZE=${ODIN_NB_SIZE:-1000}
NB_INTERVAL=${ODIN_NB_INTERVAL:-0.01}
NB_PORT=9
# The app's settings, shortened for a run of a minute or two: it looks
# every 2 s, a radio's utilisation is trusted 4 s after a change (the
# agents measure every second), the second change comes at least 10 s
# after the first; it may move radios that serve clients, and a radio
# that shares the busy channel with no radio of ours (the second one,
# once the first has left) is moved too when its channel is at least
# 10 % busy. A move must gain 10 points.
APP_CONFIG='{"interval_ms": 2000, "hysteresis_pct": 10, "settle_ms": 4000, "global_interval_ms": 10000, "radio_interval_ms": 600000, "retune_served": true, "alone_busy_pct": 10}'
PIDS=()
declare -A PID
SURVEY=()
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

[[ -x $BIN/odin-medium ]] || fail "$BIN/odin-medium missing"
# The radios' permanent addresses name them in the medium (read before
# they move into their namespaces): phy0-1 our APs, phy2-3 our clients,
# phy4 the neighbour's AP, phy5 its client.
declare -A PERM
for r in 0 1 2 3 4 5; do
    PERM[$r]=$(cat "/sys/class/ieee80211/phy$r/macaddress") || fail "no phy$r"
done
medium_toml "ap1=${PERM[0]}@0,0" "ap2=${PERM[1]}@10,0" "sta1=${PERM[2]}@2,3" "sta2=${PERM[3]}@8,3" \
    "nb=${PERM[4]}@5,10" "nbsta=${PERM[5]}@5,7" > "$RES/medium.toml"
RUST_LOG=${RUST_LOG:-info} "$BIN/odin-medium" --config "$RES/medium.toml" --control "$CTL" \
    > "$RES/medium.log" 2>&1 &
PID[medium]=$!; PIDS+=($!)

NB_IFACE=$(phy_iface phy4) || fail "no radio phy4"
NB_STA_IFACE=$(phy_iface phy5) || fail "no radio phy5"
odin_setup 2 "$CLIENTS"
wait_for 10 grep -q "the air is ours" "$RES/medium.log" || { cat "$RES/medium.log"; fail "odin-medium did not register"; }
log "odin-medium: ap1 (0,0) ap2 (10,0) sta1 (2,3) sta2 (8,3) nb (5,10) nbsta (5,7)"

# --- the neighbour network (not ours) ----------------------------------------
for pair in "$NB_NS phy4" "$NB_STA_NS phy5"; do
    read -r ns phy <<< "$pair"
    ip netns add "$ns" || fail "netns $ns"
    iw phy "$phy" set netns name "$ns" || fail "cannot move $phy into netns $ns"
    ip -n "$ns" link set lo up
done
ip -n "$NB_NS" addr add "$NB_ADDR/24" dev "$NB_IFACE"
ip -n "$NB_STA_NS" addr add "$NB_STA_ADDR/24" dev "$NB_STA_IFACE"
cat > "$RES/hostapd-neighbour.conf" <<HOSTAPD
interface=$NB_IFACE
driver=nl80211
ctrl_interface=/run/hostapd
ssid=$NB_SSID
hw_mode=b
channel=1
supported_rates=10 20
basic_rates=10 20
HOSTAPD
ip netns exec "$NB_NS" hostapd -t "$RES/hostapd-neighbour.conf" > "$RES/hostapd-neighbour.log" 2>&1 &
PID[nb]=$!; PIDS+=($!)
wait_for 20 grep -q "AP-ENABLED" "$RES/hostapd-neighbour.log" || fail "the neighbour's hostapd did not start"
cat > "$RES/wpa_supplicant-neighbour.conf" <<WPACONF
ctrl_interface=/run/wpa_supplicant
network={
    ssid="$NB_SSID"
    key_mgmt=NONE
    scan_freq=$FREQ
}
WPACONF
ip netns exec "$NB_STA_NS" wpa_supplicant -t -D nl80211 -i "$NB_STA_IFACE" \
    -c "$RES/wpa_supplicant-neighbour.conf" > "$RES/wpa_supplicant-neighbour.log" 2>&1 &
PID[nbsta]=$!; PIDS+=($!)
nb_done() { ip netns exec "$NB_STA_NS" wpa_cli -p /run/wpa_supplicant -i "$NB_STA_IFACE" status 2>/dev/null | grep -qx "wpa_state=COMPLETED"; }
wait_for 60 nb_done || fail "the neighbour's client did not associate within 60 s"
ip netns exec "$NB_STA_NS" iw dev "$NB_STA_IFACE" set power_save off ||
    log "note: the neighbour's client's power save stays on"
NB_MAC=$(ip netns exec "$NB_NS" cat "/sys/class/net/$NB_IFACE/address")
NB_STA_MAC=$(ip netns exec "$NB_STA_NS" cat "/sys/class/net/$NB_STA_IFACE/address")
ip -n "$NB_NS" neigh replace "$NB_STA_ADDR" lladdr "$NB_STA_MAC" dev "$NB_IFACE" nud permanent
ip -n "$NB_STA_NS" neigh replace "$NB_ADDR" lladdr "$NB_MAC" dev "$NB_STA_IFACE" nud permanent
ip netns exec "$NB_STA_NS" ping -c 3 -i 0.2 -W 2 "$NB_ADDR" > "$RES/ping-neighbour-check.txt" 2>&1 ||
    fail "the neighbour's client cannot reach its AP"
log "neighbour: hostapd ($NB_SSID, 802.11b at 1-2 Mbit/s, 2412 MHz) on $NB_IFACE, client $NB_STA_IFACE associated"

# --- ours -----------------------------------------------------------------------
RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" \
    --listen "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" --ssid "$SSID" \
    --api-listen "$CONTROLLER_ADDR:$API_PORT" --api-insecure-no-auth \
    > "$RES/controller.log" 2>&1 &
PID[controller]=$!; PIDS+=($!)
wait_for 10 grep -q "odin-controller running" "$RES/controller.log" || fail "the controller did not start"
for i in 1 2; do
    RUST_LOG=${RUST_LOG:-info} ip netns exec "ap$i" "$BIN/odin-agent" \
        --controller "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" \
        --id "ap$i" --phy "${AP_PHY[i]}" --channel 1 --bridge br0 \
        > "$RES/agent-ap$i.log" 2>&1 &
    PID[ap$i]=$!; PIDS+=($!)
    wait_for 20 grep -q "agent ap$i up" "$RES/controller.log" || fail "agent ap$i did not come up"
done

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
declare -A BSSID
for ((j = 1; j <= CLIENTS; j++)); do
    use_client "$j"
    ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$RES/wpa_supplicant.conf" \
        > "$RES/wpa_supplicant-sta$j.log" 2>&1 &
    PID[wpa$j]=$!; PIDS+=($!)
    wait_for 60 sta_done || fail "sta$j did not associate within 60 s"
    BSSID[$j]=$(wpacli status | sed -n 's/^bssid=//p')
done
# radio_of J: the agent serving client J.
radio_of() { api "$API/clients/${STA_MAC[$1]}" | jq -r 'select(.lvap.state == "active") | .lvap.agent'; }
both_active() { [[ -n $(radio_of 1) && -n $(radio_of 2) ]]; }
wait_for 10 both_active || fail "the controller does not show both clients' LVAPs active"
for ((j = 1; j <= CLIENTS; j++)); do
    ping_lan "$j"
    log "sta$j ${STA_MAC[j]} associated to ${BSSID[$j]}, served by $(radio_of "$j")"
done

# --- traffic -------------------------------------------------------------------
for ((j = 1; j <= CLIENTS; j++)); do
    ip netns exec "${STA_NS[j]}" ping -D -i 0.01 -W 1 "$LAN_HOST" > "$RES/ping-sta$j-10ms.txt" 2>&1 &
    PID[ping$j]=$!; PIDS+=($!)
done
# The neighbour's stream: a datagram every INTERVAL s, a non-blocking
# socket (a full buffer is counted, not waited on), a line a second.
cat > "$RES/udp-send.py" <<'PY'
import signal, socket, sys, time
dst, port, size, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setblocking(False)
payload = bytes(size)
sent = errors = 0
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
due = report = time.monotonic()
while running:
    try:
        sock.sendto(payload, (dst, port))
        sent += 1
    except OSError:
        errors += 1
    now = time.monotonic()
    if now >= report:
        print(f"{time.time():.3f} sent={sent} errors={errors}", flush=True)
        report = now + 1
    due = max(due + interval, now)
    time.sleep(max(due - now, 0))
print(f"{time.time():.3f} sent={sent} errors={errors} end", flush=True)
PY
ip netns exec "$NB_STA_NS" python3 "$RES/udp-send.py" "$NB_ADDR" "$NB_PORT" "$NB_SIZE" "$NB_INTERVAL" > "$RES/udp-neighbour.txt" 2>&1 &
PID[nbsend]=$!; PIDS+=($!)
log "pinging: sta1, sta2 -> $LAN_HOST every 10 ms; neighbour: $NB_SIZE-byte UDP datagrams every $NB_INTERVAL s"

# What the driver's survey says while the neighbour's traffic runs (see
# the header): ap1's radio (asked through its monitor) and the
# neighbour's client, which first scans channel 6 (hwsim records survey
# data only when a scan changes the radio's channel: for the channel
# left, the time spent there), each twice, 5 s apart.
sleep 2
ip netns exec "$NB_STA_NS" iw dev "$NB_STA_IFACE" scan freq 2437 > "$RES/scan-neighbour.txt" 2>&1 ||
    log "note: the neighbour's client could not scan: $(head -c 200 "$RES/scan-neighbour.txt")"
for k in 1 2; do
    for pair in "ap1 odinmon0" "$NB_STA_NS $NB_STA_IFACE"; do
        read -r ns dev <<< "$pair"
        echo "== $(date -u +%T.%N) $ns $dev"
        ip netns exec "$ns" iw dev "$dev" survey dump 2>&1
    done > "$RES/survey-$k.txt"
    [[ $k == 1 ]] && sleep 5
done
# survey_of FILE DEV FREQ: "active/busy" ms of DEV's entry for FREQ, or
# "none".
survey_of() {
    awk -v dev="$2" -v f="$3" '
        /^== / { mine = ($4 == dev) }
        mine && /frequency:/ { on = ($2 == f) }
        mine && on && /channel active time/ { a = $4 }
        mine && on && /channel busy time/ { b = $4 }
        END { if (a == "") print "none"; else printf "%s/%s\n", a, b }' "$1"
}
for k in 1 2; do
    SURVEY[k]="ap1's radio $(survey_of "$RES/survey-$k.txt" odinmon0 "$FREQ"), the neighbour's client"
    SURVEY[k]+=" $(survey_of "$RES/survey-$k.txt" "$NB_STA_IFACE" "$FREQ") (and 2437 MHz, scanned:"
    SURVEY[k]+=" $(survey_of "$RES/survey-$k.txt" "$NB_STA_IFACE" 2437))"
done
log "hwsim survey of $FREQ MHz, active/busy ms, while the neighbour's traffic runs: ${SURVEY[1]}; 5 s later: ${SURVEY[2]}"

# Both radios' utilisation at the controller (the agents' statistics,
# every second) before the app runs.
utilizations() {
    api "$API/agents" | jq -r '[.agents[] | select(.name == "ap1" or .name == "ap2")] | sort_by(.name)
        | map(.radios[0].utilization) | if any(. == null) then empty else map(. * 100 | round | tostring) | join("/") end'
}
wait_for 15 sh -c "[ -n \"\$(ip netns exec $LAN_NS curl -s $API/agents | jq -r '[.agents[] | select(.name == \"ap1\" or .name == \"ap2\") | .radios[0].utilization] | select(length == 2 and all(. != null)) | length')\" ]" ||
    fail "the controller has no utilisation of both radios: $(api "$API/agents" | jq -c '[.agents[] | {name, radios: [.radios[] | {channel, utilization}]}]')"
sleep 2
freqs() {
    api "$API/agents" | jq -r '[.agents[] | select(.name == "ap1" or .name == "ap2")] | sort_by(.name)
        | map(.radios[0].channel | if . == 14 then 2484 else 2407 + 5 * . end | tostring) | join("/")'
}
UTIL_BEFORE=$(utilizations)
before=$(freqs)
log "before the app: radios on $before MHz, utilisation $UTIL_BEFORE %"

answer=$(api -X POST -H 'Content-Type: application/json' -d "{\"config\": $APP_CONFIG}" "$API/apps/channel/enable")
log "channel app enabled ($APP_CONFIG): $answer"
jq -e '.app_changed' <<< "$answer" > /dev/null || fail "POST /apps/channel/enable: $answer"
T_EN=$(now)
# nb_sent: the frames the neighbour's client has sent, as the medium
# counts them.
nb_sent() { "$BIN/odin-medium" ctl --control "$CTL" show | awk '$1 == "nbsta" { print $6 }'; }
# Until both radios have left 2412 (at most 90 s), then 5 s more to see
# the clients settle and nothing move back.
: > "$RES/channels-trace.txt"
left=
while (( $(ms_since "$T_EN") < 90000 )); do
    f=$(freqs)
    echo "$(ms_since "$T_EN") ms: $f utilisation $(utilizations) neighbour $(nb_sent)" >> "$RES/channels-trace.txt"
    if [[ $f != *2412* ]]; then left=$(ms_since "$T_EN"); break; fi
    sleep 1
done
[[ -n $left ]] && log "both radios off 2412 after $left ms"
sleep 5
after=$(freqs)
echo "$(ms_since "$T_EN") ms: $after utilisation $(utilizations) (end)" >> "$RES/channels-trace.txt"
for ((j = 1; j <= CLIENTS; j++)); do kill -INT "${PID[ping$j]}"; done
kill -INT "${PID[nbsend]}"
lost=0
for ((j = 1; j <= CLIENTS; j++)); do
    wait "${PID[ping$j]}"
    summary=$(grep -E 'packets transmitted' "$RES/ping-sta$j-10ms.txt")
    sent=$(awk '{ print $1 }' <<< "$summary")
    received=$(awk '{ print $4 }' <<< "$summary")
    [[ -n $sent && -n $received ]] || fail "sta$j: no ping summary"
    lost=$((lost + sent - received))
    log "ping sta$j: $summary"
done
wait "${PID[nbsend]}"
"$BIN/odin-medium" ctl --control "$CTL" show > "$RES/medium-show.txt"
{
    ip netns exec "$NB_STA_NS" tc -s qdisc show dev "$NB_STA_IFACE"
    ip netns exec "$NB_STA_NS" iw dev "$NB_STA_IFACE" station dump
} > "$RES/neighbour-queues.txt" 2>&1
log "neighbour's stream: $(tail -1 "$RES/udp-neighbour.txt")"
# Seconds since the neighbour's sender last got a datagram out.
nb_quiet=$(awk -v end="$EPOCHREALTIME" '{ split($2, s, "=") } s[2] != last { t = $1; last = s[2] } END { printf "%d", end - t }' "$RES/udp-neighbour.txt")
log "the neighbour's last datagram went out $nb_quiet s before the end"

api "$API/events?app=channel&limit=1000" > "$RES/events-channel.json" || fail "GET /events"
jq -r '.events | reverse | .[] | select(.kind == "channel_changed") | "\(.detail.at) \(.detail.channel)"' \
    "$RES/events-channel.json" > "$RES/switches.txt" || fail "events: $(head -c 300 "$RES/events-channel.json")"
switches=$(wc -l < "$RES/switches.txt")
while read -r at channel; do log "switch: $at -> channel $channel"; done < "$RES/switches.txt"
grep -E "changing channel|is on channel|failed" "$RES/controller.log" | grep -i channel | sed 's/^/  /' >> "$RES/summary.txt"

noticed=0
declare -A AGENT_FREQ=([ap1]=${after%/*} [ap2]=${after#*/})
for ((j = 1; j <= CLIENTS; j++)); do
    use_client "$j"
    disc=$(grep -c "CTRL-EVENT-DISCONNECTED" "$RES/wpa_supplicant-sta$j.log")
    conn=$(grep -c "CTRL-EVENT-CONNECTED" "$RES/wpa_supplicant-sta$j.log")
    final=$(wpacli status | sed -n 's/^bssid=//p')
    serving=$(radio_of "$j")
    sta_freq=$(in_ns iw dev "$STA" link | sed -n 's/^\s*freq: \([0-9]*\).*/\1/p')
    log "sta$j: $conn connection(s), $disc disconnection(s); BSSID ${BSSID[$j]} -> $final; on $sta_freq MHz, served by $serving (${AGENT_FREQ[$serving]:-?} MHz)"
    [[ $disc -eq 0 && $conn -eq 1 && $final == "${BSSID[$j]}" ]] || noticed=$((noticed + 1))
    [[ $sta_freq == "${AGENT_FREQ[$serving]:-}" ]] || noticed=$((noticed + 1))
done
echo "RESULT channels before=$before after=$after lost=$lost switches=$switches neighbour=$FREQ utilization=$UTIL_BEFORE" | tee -a "$RES/summary.txt"
[[ $before == 2412/2412 ]] || fail "the radios were not both on 2412 before the app: $before"
if [[ $after == *2412* ]]; then
    (( nb_quiet > 15 )) && fail "a radio is still on 2412 ($after), but the neighbour's traffic stopped $nb_quiet s before the end (see the header)"
    fail "a radio is still on the busy channel: $after"
fi
[[ $noticed -eq 0 ]] || fail "$noticed client check(s) failed: see wpa_supplicant-sta*.log"
for i in 1 2; do stop_pid "ap$i" "${PID[ap$i]}"; done
stop_pid odin-medium "${PID[medium]}"
log "PASS"
