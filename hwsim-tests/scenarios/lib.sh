# shellcheck shell=bash
# Helpers shared by the hwsim scenarios; source it after setting RES (the
# results folder), NAME (the scenario's name for log lines), NS (the
# client's network namespace) and STA (the client's interface).

log() { echo "[$NAME] $*" | tee -a "$RES/summary.txt"; }
fail() { log "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
ms_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%d", (e - s) * 1000 }'; }
in_ns() { ip netns exec "$NS" "$@"; }
wpacli() { in_ns wpa_cli -p /run/wpa_supplicant -i "$STA" "$@"; }
# wait_for SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds
# (0) or SECONDS pass (1).
wait_for() {
    local deadline
    deadline=$(awk -v s="$(now)" -v d="$1" 'BEGIN { printf "%.2f", s + d }')
    shift
    while true; do
        "$@" >/dev/null 2>&1 && return 0
        awk -v a="$(now)" -v b="$deadline" 'BEGIN { exit !(a > b) }' && return 1
        sleep 0.05
    done
}
# Kills every process in PIDS (TERM, then KILL) and records the links.
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 1
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    ip -d link > "$RES/links-at-exit.txt" 2>&1
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
