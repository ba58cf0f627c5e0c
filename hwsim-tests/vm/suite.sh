#!/usr/bin/env bash
# shellcheck disable=SC2317 # helpers run from loops and traps
# Guest side of hwsim-tests/run-suite.sh: runs every scenario given as an
# argument, in turn, in this one VM boot. Not meant to be started by hand:
#   hwsim-tests/run-suite.sh [SCENARIO...]
# (which runs vm/run.sh -o RESULTS ... hwsim-tests/vm/suite.sh SCENARIO...).
#
# For each scenario (a path; its header declares `# radios: N` and
# optionally `# timeout: SECONDS`, default 300):
#   1. clean up after the previous one: kill every process it left (by PID,
#      from /proc: whatever is neither a kernel thread nor this script, its
#      ancestors or its children), delete every network namespace, the
#      bridges, veths and dummies of the root namespace, the hostapd and
#      wpa_supplicant control sockets;
#   2. reload mac80211_hwsim, mac80211 and cfg80211 with N radios (so the
#      radios are phy0..phyN-1 / wlan0.. with 02:00:00:00:NN:00 again and the
#      regulatory domain is back to the world domain), from the initramfs'
#      modules (init.sh binds them at /run/odin-kmod);
#   3. runs it with bash from the repository root under its own timeout, with
#      ODIN_RESULTS=$ODIN_RESULTS/<name> (ODIN_HOST_RESULTS likewise),
#      ODIN_RADIOS and ODIN_SCENARIO set; its output goes to the console (so
#      the host sees it live), each line prefixed with the time since the
#      scenario started, and to <name>/output.log;
#   4. records the result: <name>/dmesg.txt holds the kernel's lines of that
#      scenario, and a WARNING, BUG or oops there fails the scenario.
# $ODIN_RESULTS/suite-results.txt gets one line per scenario:
#   NAME RADIOS RESULT EXIT_CODE SECONDS
# (RESULT: PASS, FAIL, TIMEOUT, KERNEL (kernel warning), SETUP (no radios)).
# Exit code: 0 if every scenario passed, else 1.
set -u

SUITE_RES=${ODIN_RESULTS:?run me through hwsim-tests/run-suite.sh}
HOST_RES=${ODIN_HOST_RESULTS:-$SUITE_RES}
KMOD=/run/odin-kmod
TABLE=$SUITE_RES/suite-results.txt
KERNEL_PATTERN='WARNING:|BUG:|Oops|general protection fault|Call Trace:'
HWSIM_PARAMS=
if [[ -f $SUITE_RES/.odin/init.env ]]; then
    HWSIM_PARAMS=$(sed -n "s/^ODIN_HWSIM_PARAMS='\(.*\)'$/\1/p" "$SUITE_RES/.odin/init.env")
fi

say() { printf '[suite %6.1f s] %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*"; }
header() { sed -n "s/^# $1: *\([0-9][0-9]*\).*/\1/p" "$2" | head -n 1; }
# centiseconds since boot, without a fork
uptime_cs() { local up _; read -r up _ < /proc/uptime; echo "${up/./}"; }

# Copies stdin to the console and to FILE, each line prefixed with the time
# since START (centiseconds since boot); says so after every 30 s without
# output.
stamp() {
    local file=$1 start=$2 part buf='' eof=0 quiet=0 up now
    exec 3>>"$file"
    while [[ $eof -eq 0 ]]; do
        if IFS= read -r -t 30 part; then
            buf+=$part
        elif [[ $? -gt 128 ]]; then
            # timed out; read keeps a partial line in part
            buf+=$part
            quiet=$((quiet + 30))
            read -r up _ < /proc/uptime; now=${up/./}
            printf '[%4d.%d s] (still running, no output for %d s)\n' \
                $(((now - start) / 100)) $(((now - start) % 100 / 10)) "$quiet"
            continue
        else
            buf+=$part
            eof=1
            [[ -n $buf ]] || break
        fi
        quiet=0
        read -r up _ < /proc/uptime; now=${up/./}
        printf '[%4d.%d s] %s\n' $(((now - start) / 100)) $(((now - start) % 100 / 10)) "$buf"
        printf '%s\n' "$buf" >&3
        buf=''
    done
    exec 3>&-
}

# PIDs of this script, its ancestors and its descendants: everything else
# that is not a kernel thread is a leftover of a scenario.
leftovers() {
    local keep=" " pid ppid p name rest stat state
    declare -A parent
    for stat in /proc/[0-9]*/stat; do
        pid=${stat#/proc/}; pid=${pid%/stat}
        # pid (comm) state ppid ...: comm may hold spaces, cut after the ')'.
        read -r rest < "$stat" 2>/dev/null || continue
        rest=${rest##*) }
        read -r state ppid _ <<< "$rest"
        # zombies are reaped by init
        [[ $state == Z ]] && continue
        parent[$pid]=$ppid
    done
    p=$$
    while [[ -n $p && $p != 0 ]]; do keep+="$p "; p=${parent[$p]:-}; done
    for pid in "${!parent[@]}"; do
        ppid=${parent[$pid]}
        # kernel threads: kthreadd (2) and its children
        [[ $pid == 2 || $ppid == 2 || $ppid == 0 ]] && continue
        [[ $keep == *" $pid "* ]] && continue
        # a descendant of this script (the loop's own subshells)
        p=$ppid
        while [[ -n $p && $p != 0 && $p != 1 && $p != "$$" ]]; do p=${parent[$p]:-}; done
        [[ $p == "$$" ]] && continue
        read -r name < "/proc/$pid/comm" 2>/dev/null || name="?"
        echo "$pid $name"
    done
}

cleanup() {
    local left pid name kind
    left=$(leftovers)
    if [[ -n $left ]]; then
        say "killing leftover processes: $(echo "$left" | tr '\n' ' ')"
        while read -r pid _; do kill -TERM "$pid" 2>/dev/null; done <<< "$left"
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            left=$(leftovers)
            [[ -z $left ]] && break
            sleep 0.2
        done
        while read -r pid name; do
            [[ -n $pid ]] || continue
            say "kill -9 $pid ($name)"
            kill -KILL "$pid" 2>/dev/null
        done <<< "$left"
    fi
    ip -all netns delete 2>/dev/null
    for kind in bridge veth dummy; do
        ip -o link show type "$kind" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
            while read -r name; do ip link delete "$name" 2>/dev/null; done
    done
    rm -rf /run/wpa_supplicant /run/hostapd
}

# reload_hwsim N: fresh radios, fresh cfg80211 (phy numbering from 0 again).
reload_hwsim() {
    local n=$1 mod
    for mod in mac80211_hwsim mac80211 cfg80211; do
        for _ in $(seq 1 25); do
            [[ -d /sys/module/$mod ]] || break
            rmmod "$mod" 2>/dev/null && break
            sleep 0.2
        done
        if [[ -d /sys/module/$mod ]]; then
            say "cannot unload $mod: $(lsmod | grep -E "^$mod ")"
            return 1
        fi
    done
    # shellcheck disable=SC2086 # HWSIM_PARAMS is a list of words
    modprobe -d "$KMOD" mac80211_hwsim radios="$n" $HWSIM_PARAMS || return 1
    for _ in $(seq 1 50); do
        [[ $(find /sys/class/ieee80211 -mindepth 1 -maxdepth 1 | wc -l) -eq $n &&
            $(find /sys/class/ieee80211/*/device/net -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) -ge $n ]] &&
            break
        sleep 0.1
    done
    ip link set lo up
    [[ -d /sys/class/ieee80211/phy0 && -d /sys/class/ieee80211/phy$((n - 1)) ]]
}

: > "$TABLE"
say "${#@} scenarios: $(for s in "$@"; do basename "$s" .sh; done | tr '\n' ' ')"
FAILED=0
first=1
count=0
for scenario in "$@"; do
    count=$((count + 1))
    name=$(basename "$scenario" .sh)
    radios=$(header radios "$scenario")
    timeout_s=$(header timeout "$scenario")
    radios=${radios:-3}
    timeout_s=${timeout_s:-300}
    dir=$SUITE_RES/$name
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 777 "$dir"
    say "=== [$count/$#] $name: $radios radios, timeout ${timeout_s} s"
    result=
    if [[ $first -eq 1 && $radios -eq ${ODIN_RADIOS:-0} ]]; then
        : # the radios the VM booted with, untouched
    else
        t_setup=$(uptime_cs)
        cleanup
        t_clean=$(uptime_cs)
        if reload_hwsim "$radios"; then
            t_ready=$(uptime_cs)
            say "$radios radios ready (cleanup $(((t_clean - t_setup) / 100)).$(((t_clean - t_setup) % 100 / 10)) s, module reload $(((t_ready - t_clean) / 100)).$(((t_ready - t_clean) % 100 / 10)) s)"
        else
            say "$name: could not load mac80211_hwsim with $radios radios"
            result=SETUP rc=125
        fi
    fi
    first=0
    start=$(uptime_cs)
    dmesg_before=$(dmesg | wc -l)
    if [[ -z $result ]]; then
        (
            cd "$ODIN_REPO" || exit 125
            export ODIN_RESULTS=$dir ODIN_HOST_RESULTS=$HOST_RES/$name
            export ODIN_RADIOS=$radios ODIN_SCENARIO=$scenario
            # GNU timeout puts the scenario in a process group of its own
            # and kills the whole group when it expires; what is left of the
            # group when the scenario ends is stopped too, so that nothing
            # keeps this pipe open.
            timeout -k 5 "$timeout_s" /bin/bash "$scenario" &
            tpid=$!
            wait "$tpid"
            rc=$?
            kill -TERM -- "-$tpid" 2>/dev/null
            exit "$rc"
        ) < /dev/null 2>&1 | stamp "$dir/output.log" "$start"
        rc=${PIPESTATUS[0]}
        case $rc in
            0) result=PASS ;;
            124|137) result=TIMEOUT ;;
            *) result=FAIL ;;
        esac
    fi
    dmesg | tail -n +"$((dmesg_before + 1))" > "$dir/dmesg.txt"
    if grep -qE "$KERNEL_PATTERN" "$dir/dmesg.txt"; then
        say "$name: the kernel complained:"
        grep -E -A3 "$KERNEL_PATTERN" "$dir/dmesg.txt" | head -n 20
        [[ $result == PASS ]] && result=KERNEL
    fi
    end=$(uptime_cs)
    secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", (e - s) / 100 }')
    [[ $result == PASS ]] || FAILED=1
    printf '%s %s %s %s %s\n' "$name" "$radios" "$result" "$rc" "$secs" >> "$TABLE"
    say "=== [$count/$#] $name: $result (exit code $rc) after $secs s"
done
say "done: $(awk '{ printf "%s %s, ", $1, $3 }' "$TABLE")"
exit "$FAILED"
