#!/bin/sh
# shellcheck shell=sh
# /init of the hwsim test VM (runs as PID 1 from the initramfs, busybox sh).
#
# 1. loads virtio/9p, mounts the host root read-only at /mnt and the writable
#    results share at /mnt/run/odin-results (/run/odin-results after chroot);
#    the initramfs' modules at /run/odin-kmod/lib/modules after chroot
# 2. reads .odin/init.env from the results share (written by run.sh)
# 3. loads mac80211_hwsim with ODIN_RADIOS radios and the other modules
# 4. chroots into the host root and runs .odin/launch.sh (written by run.sh)
#    under a timeout, stores its exit code in .odin/exit-code
# 5. always powers off, whatever happened
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s /bin

RES=/mnt/run/odin-results
GUEST_RES=/run/odin-results

say() { echo "odin-init: $*"; }

setup() {
    mount -t proc proc /proc
    mount -t sysfs sys /sys
    mount -t devtmpfs dev /dev
    # What udev would add: bash's process substitution needs /dev/fd.
    ln -sf /proc/self/fd /dev/fd
    ln -sf /proc/self/fd/0 /dev/stdin
    ln -sf /proc/self/fd/1 /dev/stdout
    ln -sf /proc/self/fd/2 /dev/stderr
    kver=$(cat /etc/odin-kernel)
    say "kernel $kver up after $(cut -d' ' -f1 /proc/uptime) s"
    for m in virtio_pci 9pnet_virtio 9p; do
        modprobe "$m" || { say "modprobe $m failed"; return 1; }
    done
    mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 host /mnt \
        || { say "cannot mount the host root"; return 1; }
    for d in tmp run var/tmp; do
        mount -t tmpfs -o mode=1777 tmpfs "/mnt/$d" || return 1
    done
    chmod 755 /mnt/run
    mkdir -p "$RES"
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results "$RES" \
        || { say "cannot mount the results share"; return 1; }
    [ -f "$RES/.odin/init.env" ] || { say "no .odin/init.env in results share"; return 1; }
    # shellcheck disable=SC1091
    . "$RES/.odin/init.env"
    # A repository under /tmp, /run or /var/tmp (hidden by the tmpfs above)
    # comes as a share of its own, mounted back at its own path.
    if [ -n "${ODIN_REPO_SHARE:-}" ]; then
        mkdir -p "/mnt$ODIN_REPO_SHARE"
        mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 repo "/mnt$ODIN_REPO_SHARE" \
            || { say "cannot mount the repository share"; return 1; }
    fi

    mount --bind /proc /mnt/proc
    mount --bind /sys /mnt/sys
    mount --bind /dev /mnt/dev
    mount -t devpts -o newinstance,ptmxmode=0666 devpts /mnt/dev/pts 2>/dev/null || true
    mount -t debugfs debugfs /mnt/sys/kernel/debug 2>/dev/null || true
    # Let modprobe inside the chroot find this kernel's modules.
    if [ -d /mnt/lib/modules ]; then
        mount --bind /lib/modules /mnt/lib/modules
    fi
    # Always there: `modprobe -d /run/odin-kmod MODULE` (the suite reloads
    # mac80211_hwsim between scenarios with it).
    mkdir -p /mnt/run/odin-kmod/lib/modules
    mount --bind /lib/modules /mnt/run/odin-kmod/lib/modules

    # shellcheck disable=SC2086 # ODIN_HWSIM_PARAMS is a list of words
    modprobe mac80211_hwsim radios="${ODIN_RADIOS:-3}" ${ODIN_HWSIM_PARAMS:-} \
        || { say "modprobe mac80211_hwsim failed"; return 1; }
    while read -r m; do
        case $m in virtio*|9p*|fscache|netfs|mac80211_hwsim) continue ;; esac
        modprobe "$m" 2>/dev/null || say "note: modprobe $m failed"
    done < /etc/odin-modules
    ip link set lo up
    hostname odin-hwsim
    say "$(find /sys/class/ieee80211 -mindepth 1 -maxdepth 1 | wc -l) radios ready after $(cut -d' ' -f1 /proc/uptime) s"
}

run_scenario() {
    timeout_s=${ODIN_GUEST_TIMEOUT:-600}
    # coreutils timeout from the host root; kill the whole group on expiry.
    chroot /mnt /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root TERM=dumb LANG=C.UTF-8 \
        /usr/bin/timeout -k 5 "$timeout_s" /bin/bash "$GUEST_RES/.odin/launch.sh"
}

rc=125
if setup; then
    run_scenario
    rc=$?
    [ "$rc" -eq 124 ] && say "scenario timed out"
else
    say "setup failed"
fi
say "scenario exit code $rc after $(cut -d' ' -f1 /proc/uptime) s"
# The whole kernel log (the console is quiet): run.sh fails the run on a
# WARNING, BUG or oops in it.
if [ -d "$RES/.odin" ]; then
    dmesg > "$RES/.odin/dmesg.txt" 2>/dev/null
fi
if [ -d "$RES/.odin" ]; then
    echo "$rc" > "$RES/.odin/exit-code"
fi
sync
umount "$RES" 2>/dev/null
poweroff -f
# Not reached unless poweroff failed: exiting PID 1 panics, and panic=-1
# with QEMU's -no-reboot ends the VM as well.
exit "$rc"
