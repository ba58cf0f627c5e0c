#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and wait helpers run from traps and polling loops
# A failed migration leaves the client served by the source, its traffic
# flowing. The topology of migration.sh: odin-controller (REST API on the
# wired LAN), agents ap1 and ap2 on channel 1 with their LVAPs on br0, one
# wpa_supplicant client (sta1) pinging the LAN host every 10 ms around
# each fault. Two faults, in turn:
#
# 1. target-refuses: the target's kernel refuses the LVAP. An interface on
#    the target's radio, made by hand, with the client's BSSID as its
#    address, is up: mac80211 refuses to bring up a second interface with
#    the same address on the same radio (ENOTUNIQ,
#    ieee80211_check_concurrent_iface: an AP and a station may not share
#    one), so the target's AddLvap fails when it brings the LVAP's
#    interface up, before START_AP. The handoff must answer an error
#    (502, the failed step and the rollback), the client stay served by
#    the source with its LVAP active; then, the blocking interface gone, a
#    handoff to the same target must succeed (the rollback left nothing
#    behind; handoff_after=ok, or second-try when only a second handoff
#    succeeds: a failure left over from the fault, which fails the run).
# 2. target-killed: the target's odin-agent gets SIGKILL in the middle of
#    a migration, once per kill point (ODIN_KILL_POINTS, default "export
#    add": right after the controller logged that step done, so that the
#    next step is in flight; also "started" and "remove", which left a
#    ~75 ms window before the switch step, none once the controller logs
#    the authorization with the removal). The kill is timed
#    from the controller's log, read without forking; under load it comes
#    up to ~150 ms after the line, so it may land in a later step
#    (in_flight= says which, from the controller's log). A kill that came after the handoff completed is logged and
#    the attempt made again (ODIN_KILL_TRIES). After the fault: what the
#    killed agent left in the kernel (`iw dev` in its namespace), then the
#    agent is started again with the same command line and a handoff to
#    it must succeed. No stale interface is expected: the agent creates
#    its interfaces with NL80211_ATTR_SOCKET_OWNER, so the kernel deletes
#    them when the killed process's netlink socket closes (reported as
#    left=, the interfaces of the target's namespace 1 s after the kill).
#
# ODIN_FAULTS selects faults (default "target-refuses target-killed"). A
# handoff that should succeed after a fault and does not fails the run at
# its end (the next fault still runs); a client not served by the source,
# a disconnection or pings that stop fail it at once.
#
# Every fault must leave: an error answer, the client served by the
# source (API: lvap.agent, state active), no disconnection in the
# client's event log, at most ODIN_FAULT_MAX_LOST (20) lost pings around
# it and replies again after it. One line per fault (lib.sh's
# ping_gap_report for the pings):
#   RESULT fault kind=target-refuses source=.. target=.. http=.. step=.. rollback=.. served_by=.. lost=.. dup=.. max_gap_ms=.. ...
#   RESULT fault kind=target-killed kill_point=.. in_flight=.. kill_after_ms=.. attempts=.. ... left=..
# Builds nothing: the host builds the binaries (see hwsim-tests/run-suite.sh).
# radios: 3
# timeout: 900
set -u

RES=${ODIN_RESULTS:-/tmp/migration-faults}
mkdir -p "$RES" /run/wpa_supplicant
BIN=${ODIN_BIN:-$ODIN_REPO/target/release}
NAME=migration-faults
CHANNEL=1
FREQ=2412
SSID=odin
API_PORT=8080
MAX_LOST=${ODIN_FAULT_MAX_LOST:-20}
BACKGROUND=${ODIN_BACKGROUND_S:-3}
AFTER=${ODIN_AFTER_S:-3}
read -r -a KILL_POINTS <<< "${ODIN_KILL_POINTS:-export add}"
KILL_TRIES=${ODIN_KILL_TRIES:-3}
SECRET_FILE=/run/odin-secret
API_TIMEOUT=20
BLOCK_IF=odinblk
PIDS=()
declare -A PID
NS=
STA=
# shellcheck source=hwsim-tests/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

odin_setup 2 1

# --- helpers of this scenario (not in lib.sh) ----------------------------------
# A sleep without a fork: a read with a timeout on a FIFO nobody writes.
mkfifo /run/odin-faults-sleep
exec {SLEEP_FD}<> /run/odin-faults-sleep
nap() { read -r -t "$1" -u "$SLEEP_FD" _; }
# log_follow FILE: opens FILE for reading at its end (LOG_FD); log_next
# REGEX SECONDS then reads the lines written since, without forking,
# until one matches REGEX (0, BASH_REMATCH set) or
# SECONDS pass (1).
LOG_FD=''
LOG_PART=''
log_follow() {
    [[ -n $LOG_FD ]] && exec {LOG_FD}<&-
    exec {LOG_FD}< "$1"
    LOG_PART=
    while read -r -u "$LOG_FD" _; do :; done
}
log_next() {
    local re=$1 deadline=$(( ${EPOCHREALTIME/./} + $2 * 1000000 )) line
    while (( ${EPOCHREALTIME/./} < deadline )); do
        if IFS= read -r -u "$LOG_FD" line; then
            line=$LOG_PART$line LOG_PART=
            [[ $line =~ $re ]] && return 0
        else
            LOG_PART+=$line
            nap 0.002
        fi
    done
    return 1
}
# iso_epoch ISO-8601: seconds since the epoch (the controller logs UTC).
iso_epoch() { date -d "$1" +%s.%N; }

AGENT_LOG=()
declare -A STARTS
start_agent() {
    local i=$1 log
    STARTS[$i]=$(( ${STARTS[$i]:-0} + 1 ))
    log=$RES/agent-ap$i.log
    [[ ${STARTS[$i]} -gt 1 ]] && log=$RES/agent-ap$i.start${STARTS[$i]}.log
    AGENT_LOG[i]=$log
    RUST_LOG=${RUST_LOG:-info} ip netns exec "ap$i" "$BIN/odin-agent" \
        --controller "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" \
        --id "ap$i" --phy "${AP_PHY[i]}" --channel "$CHANNEL" --bridge br0 "${AGENT_ARGS[@]}" \
        > "$log" 2>&1 &
    PID[ap$i]=$!; PIDS+=($!)
}
# agent_ups I: how many times the controller logged agent apI up.
agent_ups() { grep -c "event: agent ap$1 up" "$RES/controller.log"; }
wait_agent_up() { # I PREVIOUS_COUNT
    wait_for 20 sh -c "[ \$(grep -c 'event: agent ap$1 up' '$RES/controller.log') -gt $2 ]"
}

client_json() { api "$API/clients/$CLIENT"; }
# served: "AGENT STATE" of the client's LVAP per the API ("- -" without one).
served() { client_json | jq -r '"\(.lvap.agent // "-") \(.lvap.state // "-")"'; }
serving() { served | cut -d' ' -f1; }
# handoff TO CAUSE BODY_FILE: a handoff through the API; prints the HTTP status.
handoff() {
    api -o "$3" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "{\"agent\":\"$1\",\"cause\":\"$2\"}" "$API/clients/$CLIENT/handoff"
}
# try_migrate TO WHY: a handoff that should succeed; 0 when it did (and
# the client is active at TO), 1 (logged) when not.
try_migrate() {
    local code
    code=$(handoff "$1" "$2" "$RES/answer.json")
    if ! { [[ $code == 200 ]] && jq -e '.durations_us.total' "$RES/answer.json" > /dev/null; }; then
        log "handoff to $1 ($2) did not succeed: HTTP $code $(cat "$RES/answer.json")"
        return 1
    fi
    if ! wait_for 5 sh -c "ip netns exec $LAN_NS curl -s $API/clients/$CLIENT | jq -e '.lvap.agent == \"$1\" and .lvap.state == \"active\"'"; then
        log "after the handoff ($2) the client is not active at $1: $(served)"
        return 1
    fi
    log "handoff to $1 ($2): HTTP 200 $(jq -c '.durations_us' "$RES/answer.json")"
}
# must_migrate TO WHY: a handoff that must succeed. When it does not, one
# more try tells a lasting fault from a stale one; either way the
# scenario will fail (later_fail: the next fault still runs when the
# client is served and active).
FAILURES=()
later_fail() {
    log "FAILED (the run goes on, fails at the end): $*"
    FAILURES+=("$*")
    [[ $(served | cut -d' ' -f2) == active ]] || fail "the client has no active LVAP: $(served)"
}
must_migrate() {
    try_migrate "$@" && return 0
    if try_migrate "$1" "$2, again"; then
        later_fail "handoff to $1 ($2) failed once, then succeeded: the failed one was left from before (see the agent's log)"
    else
        later_fail "handoff to $1 ($2) failed twice"
    fi
}
# Pings every 10 ms around one fault (stopped with SIGINT: ping prints
# its summary).
ping_start() {
    PING_FILE=$RES/ping-$1.txt
    ip netns exec "$NS" ping -D -i 0.01 -W 1 "$LAN_HOST" > "$PING_FILE" 2>&1 &
    PING_PID=$!; PIDS+=($!)
    PING_START=$(now)
}
ping_stop() { kill -INT "$PING_PID"; wait "$PING_PID"; }
# replies_after T: replies received more than 0.5 s after T (a reading of now).
replies_after() {
    awk -v t="$1" '/bytes from/ && !/DUP!/ { s = substr($1, 2, length($1) - 2) + 0; if (s > t + 0.5) n++ } END { print n + 0 }' "$PING_FILE"
}
# wpa_lines: the client's event log so far, in lines (what a fault adds is
# checked from there).
wpa_lines() { wc -l < "$RES/wpa_supplicant.log"; }
wpa_disconnections_since() { tail -n +"$(( $1 + 1 ))" "$RES/wpa_supplicant.log" | grep -c "CTRL-EVENT-DISCONNECTED"; }
# check_after_fault KIND SOURCE WPA_LINE ANSWERED: the client is served by
# SOURCE, active; no disconnection since WPA_LINE; pings stop AFTER s later
# and must come back. Sets REPORT (ping_gap_report's figures).
check_after_fault() {
    local kind=$1 source=$2 wline=$3 answered=$4 state disc lost after
    state=$(served)
    log "$kind: the API shows the client's LVAP at ${state% *}, ${state#* }"
    SERVED_BY=${state% *}
    [[ $state == "$source active" ]] || fail "$kind: the client is not served by the source $source (API: $state)"
    sleep_until "$answered" "$AFTER"
    ping_stop
    grep "handoff started .*cause=hwsim fault $kind" "$RES/controller.log" | tail -1 |
        awk '{ print $1 }' | while read -r iso; do iso_epoch "$iso"; done > "$RES/starts-$kind.txt"
    [[ -s $RES/starts-$kind.txt ]] || fail "$kind: the controller logged no handoff start"
    REPORT=$(ping_gap_report "$RES/starts-$kind.txt" "$PING_FILE" "$PING_START" "$RES/gaps-$kind.txt")
    log "$kind: ping $(grep -E 'packets transmitted' "$PING_FILE"); $REPORT"
    lost=$(sed -n 's/^lost=\([0-9-]*\) .*/\1/p' <<< "$REPORT")
    after=$(replies_after "$answered")
    disc=$(wpa_disconnections_since "$wline")
    log "$kind: $after replies after the answer (+0.5 s); $disc disconnection(s) in the client's log"
    [[ $disc -eq 0 ]] || fail "$kind: the client disconnected (see wpa_supplicant.log)"
    [[ $lost -le $MAX_LOST ]] || fail "$kind: $lost pings lost around the fault (more than $MAX_LOST)"
    [[ $after -ge 50 ]] || fail "$kind: the pings did not come back after the fault ($after replies)"
}
other() { if [[ $1 == ap1 ]]; then echo ap2; else echo ap1; fi; }
ifaces_of() { # I: the interfaces in apI's namespace, one line
    ip netns exec "ap$1" iw dev 2>&1 | awk '/Interface/ { i = $2 } /addr/ { a = $2 } /type/ { printf "%s%s(%s %s)", s, i, $2, a; s = " " }'
}

# --- the network ------------------------------------------------------------------
RUST_LOG=${RUST_LOG:-info} ip netns exec "$LAN_NS" "$BIN/odin-controller" \
    --listen "$CONTROLLER_ADDR:$CONTROLLER_PORT" --secret-file "$SECRET_FILE" --ssid "$SSID" \
    --api-listen "$CONTROLLER_ADDR:$API_PORT" --api-insecure-no-auth \
    > "$RES/controller.log" 2>&1 &
PID[controller]=$!; PIDS+=($!)
wait_for 10 grep -q "odin-controller running" "$RES/controller.log" || fail "the controller did not start"
# ODIN_AGENT_ARGS: extra agent flags, split on spaces (--no-ht, say).
read -r -a AGENT_ARGS <<< "${ODIN_AGENT_ARGS:-}"
for i in 1 2; do start_agent "$i"; done
for i in 1 2; do
    wait_agent_up "$i" 0 || fail "agent ap$i did not come up"
done

write_open_wpa_conf "$RES/wpa_supplicant.conf" "$SSID"
ip netns exec "$NS" wpa_supplicant -t -D nl80211 -i "$STA" -c "$RES/wpa_supplicant.conf" \
    > "$RES/wpa_supplicant.log" 2>&1 &
PID[wpa]=$!; PIDS+=($!)
wait_for 60 sta_done || fail "the client did not associate within 60 s"
BSSID=$(wpacli status | sed -n 's/^bssid=//p')
wait_for 10 sh -c "ip netns exec $LAN_NS curl -s $API/clients/$CLIENT | jq -e '.lvap.state == \"active\"'" ||
    fail "the controller does not show the client's LVAP active"
log "client $CLIENT associated to $BSSID, served by $(serving)"
ping_lan 1

# --- fault 1: the target's kernel refuses the LVAP --------------------------------
fault_refuses() {
    local d code ANSWER STEP ROLLBACK LEFT API_BSSID
    KIND=target-refuses
    SRC=$(serving)
    DST=$(other "$SRC")
    d=${DST#ap}
    API_BSSID=$(client_json | jq -r '.lvap.bssid // .bssid // empty')
    [[ $API_BSSID == "$BSSID" ]] || fail "the API gives the client BSSID '$API_BSSID', the client is on $BSSID"
    ip netns exec "$DST" iw phy "${AP_PHY[d]}" interface add "$BLOCK_IF" type managed ||
        fail "cannot add $BLOCK_IF on ${AP_PHY[d]}"
    ip -n "$DST" link set "$BLOCK_IF" address "$BSSID" || fail "cannot give $BLOCK_IF the address $BSSID"
    ip -n "$DST" link set "$BLOCK_IF" up || fail "cannot bring $BLOCK_IF up"
    log "$KIND: $DST has $BLOCK_IF up with the client's BSSID $BSSID: $(ifaces_of "$d")"
    # The check the agent will run into: a second interface with that address
    # (an AP, as the LVAP's) must not come up on the radio. If mac80211 let it,
    # this scenario would not test what it says: stop here.
    ip netns exec "$DST" iw phy "${AP_PHY[d]}" interface add odinprobe type __ap ||
        fail "cannot add an AP interface on ${AP_PHY[d]}"
    ip -n "$DST" link set odinprobe address "$BSSID" || fail "cannot give odinprobe the address $BSSID"
    if ip -n "$DST" link set odinprobe up 2> "$RES/refusal.txt"; then
        fail "mac80211 brought up a second interface with $BSSID on ${AP_PHY[d]}: no refusal to test"
    fi
    ip netns exec "$DST" iw dev odinprobe del || fail "cannot delete odinprobe"
    log "$KIND: the kernel refuses a second interface up with $BSSID on ${AP_PHY[d]}: $(cat "$RES/refusal.txt")"
    WLINE=$(wpa_lines)
    ping_start "$KIND"
    sleep "$BACKGROUND"
    code=$(handoff "$DST" "hwsim fault $KIND" "$RES/answer-$KIND.json")
    ANSWERED=$(now)
    ANSWER=$(cat "$RES/answer-$KIND.json")
    log "$KIND: handoff $SRC -> $DST answered HTTP $code: $ANSWER"
    [[ $code =~ ^[45] ]] || fail "$KIND: the handoff did not fail (HTTP $code)"
    STEP=$(jq -r '.step // "-"' <<< "$ANSWER")
    ROLLBACK=$(jq -r '.rollback // "-"' <<< "$ANSWER")
    [[ $STEP != - && $ROLLBACK != - ]] || fail "$KIND: the error names no step or rollback: $ANSWER"
    grep -E "handoff|ENOTUNIQ|not unique|Name not unique|WARN|ERROR" "${AGENT_LOG[d]}" | tail -5 | sed 's/^/    /'
    check_after_fault "$KIND" "$SRC" "$WLINE" "$ANSWERED"
    LEFT=$(ifaces_of "$d")
    log "$KIND: interfaces in $DST after the rollback: $LEFT"
    grep -q "odin[0-9]" <<< "$LEFT" && fail "$KIND: the failed LVAP's interface is still in $DST"
    ip netns exec "$DST" iw dev "$BLOCK_IF" del || fail "cannot delete $BLOCK_IF"
    # The rollback left the target clean: the same handoff now succeeds
    # (handoff_after=ok). Otherwise one more try tells a failure left over
    # from the fault (handoff_after=second-try) from a lasting one (failed).
    local after=ok
    if ! try_migrate "$DST" "after $KIND, $BLOCK_IF gone"; then
        after=failed
        try_migrate "$DST" "after $KIND, again" && after=second-try
    fi
    echo "RESULT fault kind=$KIND source=$SRC target=$DST http=$code step=$STEP rollback=$ROLLBACK served_by=$SERVED_BY $REPORT handoff_after=$after" |
        tee -a "$RES/summary.txt"
    case $after in
        second-try) later_fail "$KIND: the first handoff to $DST after the fault failed, a second one succeeded: the rollback left a stale failure (see ${AGENT_LOG[d]##*/})" ;;
        failed) later_fail "$KIND: no handoff to $DST succeeds after the fault" ;;
    esac
}

# --- fault 2: the target agent is killed mid-migration ----------------------------
# kill_attempt POINT: one handoff with the target killed after the
# controller logged POINT ("started", or a step done: export, add,
# remove). Sets KILL_ANSWER, KILL_CODE, KILL_MS (after the handoff's start
# on the controller's clock), KILL_HID.
kill_attempt() {
    local point=$1 t=${DST#ap} re hid start_iso start killed_at body=$RES/answer-$KIND.json
    log_follow "$RES/controller.log"
    rm -f "$body" "$RES/code-$KIND.txt"
    ip netns exec "$LAN_NS" curl -sS --max-time 20 -o "$body" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' \
        -d "{\"agent\":\"$DST\",\"cause\":\"hwsim fault $KIND\"}" "$API/clients/$CLIENT/handoff" \
        > "$RES/code-$KIND.txt" 2>&1 &
    local curl_pid=$!
    log_next "^([^ ]+) .*handoff started client=$CLIENT from=$SRC/[0-9]+ to=$DST/" 30 ||
        fail "$KIND: the controller did not log the handoff's start"
    start_iso=${BASH_REMATCH[1]}
    log_next "event: handoff ([0-9]+) of client $CLIENT from $SRC/[0-9]+ to $DST/[0-9]+ started" 5 ||
        fail "$KIND: no handoff started event"
    hid=${BASH_REMATCH[1]}
    if [[ $point != started ]]; then
        re="event: handoff $hid (step $point at [a-z]+ done|of client .* (completed|failed))"
        log_next "$re" 10 || fail "$KIND: handoff $hid: no step $point nor end in the controller's log"
    fi
    kill -KILL "${PID[$DST]}"
    killed_at=$(now)
    # What the killed agent left in the kernel, at once and a second later.
    KILL_LEFT0=$(ifaces_of "$t")
    wait "$curl_pid"
    KILL_CODE=$(cat "$RES/code-$KIND.txt")
    KILL_ANSWER=$(cat "$body" 2> /dev/null)
    ANSWERED=$(now)
    wait "${PID[$DST]}" 2> /dev/null
    start=$(iso_epoch "$start_iso")
    KILL_MS=$(awk -v a="$start" -v b="$killed_at" 'BEGIN { printf "%d", (b - a) * 1000 }')
    KILL_HID=$hid
    log "$KIND: SIGKILL to $DST's agent (pid ${PID[$DST]}) $KILL_MS ms after handoff $hid started (after: $point)"
    log "$KIND: the controller's log of handoff $hid:"
    sed -n "/event: handoff $hid of client .* started/,\$p" "$RES/controller.log" |
        grep -E "event: handoff $hid |agent $DST down|request to $DST failed" | sed 's/^/    /' |
        tee -a "$RES/summary.txt"
    log "$KIND: handoff answered HTTP $KILL_CODE: $KILL_ANSWER"
}
# in_flight HID: the step the handoff waited on when the target went down,
# per the controller's log.
in_flight() {
    awk -v h="event: handoff $1 " -v t="event: agent $DST down" '
        index($0, h) && / started \(/ { on = 1 }
        !on { next }
        index($0, h) && /step .* done/ { sub(/.* step /, ""); sub(/ at .*/, ""); last = $0 }
        index($0, t) { exit }
        END { n = split("export add remove authorize", s, " "); nx = "export"
              for (i = 1; i < n; i++) if (s[i] == last) nx = s[i + 1]
              if (last == "authorize") nx = "none"; print nx }' "$RES/controller.log"
}
restart_target() {
    local t=${DST#ap} ups
    ups=$(agent_ups "$t")
    start_agent "$t"
    wait_agent_up "$t" "$ups" || fail "$KIND: $DST did not come back after its restart"
    log "$KIND: $DST's agent started again: $(grep -m1 'nl80211 radio' "${AGENT_LOG[t]}" | grep -o 'interfaces=.*' | head -c 200)"
}
fault_killed() {
    KIND=target-killed
    local point try t leftover STEP ROLLBACK FLIGHT LEFT
    for point in "${KILL_POINTS[@]}"; do
        for ((try = 1; try <= KILL_TRIES; try++)); do
            SRC=$(serving)
            DST=$(other "$SRC")
            t=${DST#ap}
            WLINE=$(wpa_lines)
            log "$KIND: kill after $point, try $try: $SRC -> $DST; $DST has $(ifaces_of "$t")"
            ping_start "$KIND-$point-$try"
            sleep "$BACKGROUND"
            kill_attempt "$point"
            log "$KIND: $DST's interfaces right after the kill: ${KILL_LEFT0:-none}"
            sleep 1
            LEFT=$(ifaces_of "$t")
            log "$KIND: $DST's interfaces 1 s later: ${LEFT:-none}"
            ip -n "$DST" -br link > "$RES/links-$DST-after-kill-$point-$try.txt" 2>&1
            if [[ $KILL_CODE == 200 ]]; then
                MISSED=$((MISSED + 1))
                log "$KIND: the kill came after handoff $KILL_HID completed: the client is at the dead agent $DST; not a failed migration, try again"
                ping_stop
                restart_target
                wait_for 60 sh -c "ip netns exec $LAN_NS curl -s $API/clients/$CLIENT | jq -e '.lvap.state == \"active\"'" ||
                    fail "$KIND: the client has no active LVAP after the missed kill"
                wait_for 60 sta_done || fail "$KIND: the client is not connected after the missed kill"
                log "$KIND: the client is back at $(serving)"
                continue
            fi
            break
        done
        [[ $try -le $KILL_TRIES ]] || fail "$KIND: no kill landed inside a migration in $KILL_TRIES tries"
        [[ $KILL_CODE =~ ^[45] ]] || fail "$KIND: the handoff did not answer an error (HTTP '$KILL_CODE')"
        STEP=$(jq -r '.step // "-"' <<< "$KILL_ANSWER")
        ROLLBACK=$(jq -r '.rollback // "-"' <<< "$KILL_ANSWER")
        [[ $STEP != - && $ROLLBACK != - ]] || fail "$KIND: the error names no step or rollback: $KILL_ANSWER"
        FLIGHT=$(in_flight "$KILL_HID")
        check_after_fault "$KIND" "$SRC" "$WLINE" "$ANSWERED"
        leftover=${LEFT:-none}
        echo "RESULT fault kind=$KIND kill_point=$point in_flight=$FLIGHT kill_after_ms=$KILL_MS attempts=$try source=$SRC target=$DST http=$KILL_CODE step=$STEP rollback=$ROLLBACK served_by=$SERVED_BY $REPORT left=${leftover// /,}" |
            tee -a "$RES/summary.txt"
        restart_target
        grep -E "WARN|ERROR|panic" "${AGENT_LOG[t]}" | head -5 | sed 's/^/    /'
        must_migrate "$DST" "after $KIND ($point), to the restarted $DST"
        log "$KIND: $DST's interfaces now: $(ifaces_of "$t")"
    done
}

MISSED=0
read -r -a FAULTS <<< "${ODIN_FAULTS:-target-refuses target-killed}"
for f in "${FAULTS[@]}"; do
    case $f in
        target-refuses) fault_refuses ;;
        target-killed) fault_killed ;;
        *) fail "unknown fault $f (ODIN_FAULTS: target-refuses, target-killed)" ;;
    esac
done

# The client noticed nothing in the whole run.
disc=$(grep -c "CTRL-EVENT-DISCONNECTED" "$RES/wpa_supplicant.log")
conn=$(grep -c "CTRL-EVENT-CONNECTED" "$RES/wpa_supplicant.log")
final=$(wpacli status | sed -n 's/^bssid=//p')
log "client event log: $conn connection(s), $disc disconnection(s); BSSID $BSSID -> $final"
if [[ $MISSED -eq 0 ]]; then
    [[ $disc -eq 0 && $final == "$BSSID" ]] || fail "the client noticed: see wpa_supplicant.log"
else
    log "($MISSED kill(s) came after the handoff completed: the client lost its AP then; each landed fault was checked on its own)"
fi
for i in 1 2; do stop_pid "ap$i" "${PID[ap$i]}"; done
[[ ${#FAILURES[@]} -eq 0 ]] || fail "${#FAILURES[@]} check(s) failed: $(printf '%s; ' "${FAILURES[@]}")"
log "PASS"
