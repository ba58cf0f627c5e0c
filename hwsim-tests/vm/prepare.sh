#!/usr/bin/env bash
# Prepare everything the hwsim test VM needs: host packages, a Debian kernel
# (not installed on the host, only unpacked) and a small initramfs holding
# busybox-static and the module closure for 9p, virtio and mac80211_hwsim.
#
# Idempotent and non-interactive. With the cache present it only checks the
# installed packages and the kernel version and exits (about a second).
#
# Environment:
#   ODIN_HWSIM_CACHE   cache root (default: <repo>/.cache/hwsim)
#   ODIN_HWSIM_KERNEL  versioned kernel package to use, e.g.
#                      linux-image-6.1.0-56-amd64 (default: what
#                      linux-image-amd64 depends on)
#   ODIN_HWSIM_NO_APT  set to 1 to never install packages (fail if missing)
#
# Output: <cache>/<kernel-version>/{vmlinuz,initrd.gz} and <cache>/current,
# a file holding the kernel version last prepared (run.sh reads it).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd)
CACHE_ROOT=${ODIN_HWSIM_CACHE:-$REPO_ROOT/.cache/hwsim}
INIT_SCRIPT=$SCRIPT_DIR/init.sh

log() { printf 'prepare: %s\n' "$*" >&2; }
die() { printf 'prepare: error: %s\n' "$*" >&2; exit 1; }

# Host packages. wireless-regdb provides regulatory.db, which the initramfs
# carries so that cfg80211 can apply a country (needed for 5 GHz APs).
PACKAGES=(qemu-system-x86 busybox-static kmod cpio gzip iw wpasupplicant hostapd
    iputils-ping iproute2 tcpdump wireless-regdb python3 coreutils curl jq)

# Modules wanted in the guest (module names; dependencies are added from
# modules.dep). Names built into the kernel are skipped. virtio_net is
# for the live demo (vm/run.sh -p): its guest loads it; the tests do not.
MODULES=(
    virtio_pci virtio_pci_legacy_dev virtio_pci_modern_dev virtio virtio_ring
    9pnet_virtio 9pnet 9p fscache netfs
    virtio_net
    mac80211_hwsim mac80211 cfg80211 rfkill libarc4
    bridge stp llc veth dummy vxlan
    ctr ccm gcm cmac ghash-generic seqiv michael_mic aes_generic
)

[[ $(id -u) -eq 0 ]] || die "must run as root (apt-get, dpkg -x, depmod)"

APT_UPDATED=0
apt_update() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        apt-get update -qq >&2 || die "apt-get update failed"
        APT_UPDATED=1
    fi
}

# --- 1. host packages --------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $status == ii* ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    [[ ${ODIN_HWSIM_NO_APT:-0} == 1 ]] && die "missing packages: ${missing[*]}"
    log "installing missing packages: ${missing[*]}"
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2 </dev/null || die "apt-get install failed"
else
    log "host packages present"
fi

# --- 2. kernel version ---------------------------------------------------------
kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
KPKG=${ODIN_HWSIM_KERNEL:-}
if [[ -z $KPKG ]]; then
    KPKG=$(kernel_pkg || true)
    if [[ -z $KPKG ]]; then
        apt_update
        KPKG=$(kernel_pkg || true)
    fi
    [[ -n $KPKG ]] || die "cannot tell which kernel linux-image-amd64 depends on"
fi
[[ $KPKG =~ ^linux-image-([0-9][A-Za-z0-9.+~-]*)$ ]] || die "unexpected kernel package name: $KPKG"
KVER=${BASH_REMATCH[1]}
OUT=$CACHE_ROOT/$KVER
log "kernel $KVER ($KPKG), cache $OUT"

# The initramfs depends on this script, the guest init and the regulatory db:
# rebuild it when any of them changes.
REGDB=/lib/firmware/regulatory.db
stamp() {
    {
        printf '%s\n' "$KVER" "${MODULES[@]}"
        cat "$INIT_SCRIPT" "${BASH_SOURCE[0]}" /bin/busybox
        cat "$REGDB" "$REGDB.p7s" 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1
}
STAMP=$(stamp)

if [[ -s $OUT/vmlinuz && -s $OUT/initrd.gz && -f $OUT/initrd.stamp &&
      $(cat "$OUT/initrd.stamp") == "$STAMP" ]]; then
    printf '%s\n' "$KVER" > "$CACHE_ROOT/current"
    log "cache up to date: $OUT"
    exit 0
fi

# --- 3. kernel package ---------------------------------------------------------
mkdir -p "$OUT"
deb=$(find "$OUT" -maxdepth 1 -name "${KPKG}_*.deb" -print -quit)
if [[ -z $deb ]]; then
    log "downloading $KPKG"
    (cd "$OUT" && apt-get download -o APT::Sandbox::User=root "$KPKG" >&2 </dev/null) || {
        apt_update
        (cd "$OUT" && apt-get download -o APT::Sandbox::User=root "$KPKG" >&2 </dev/null)
    } || die "apt-get download $KPKG failed"
    deb=$(find "$OUT" -maxdepth 1 -name "${KPKG}_*.deb" -print -quit)
fi
[[ -n $deb ]] || die "downloaded package not found in $OUT"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/odin-hwsim-prepare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
log "unpacking $(basename "$deb")"
dpkg -x "$deb" "$WORK/kernel"
KROOT=$WORK/kernel
MODDIR=$KROOT/lib/modules/$KVER
[[ -d $MODDIR ]] || die "no modules for $KVER in $deb"
[[ -f $KROOT/boot/vmlinuz-$KVER ]] || die "no vmlinuz in $deb"

log "depmod on the unpacked kernel"
/sbin/depmod -b "$KROOT" "$KVER"

# --- 4. module closure ---------------------------------------------------------
# modules.dep lines: "kernel/x/y.ko[.xz]: dep1 dep2 ..." (dependencies are
# already transitive). Module names use '_' and '-' interchangeably.
norm() { local n=${1##*/}; n=${n%%.ko*}; printf '%s' "${n//-/_}"; }
declare -A DEP=() PATHOF=()
while IFS= read -r line; do
    path=${line%%:*}
    n=$(norm "$path")
    PATHOF[$n]=$path
    DEP[$n]=${line#*:}
done < "$MODDIR/modules.dep"
declare -A BUILTIN=()
while IFS= read -r path; do BUILTIN[$(norm "$path")]=1; done < "$MODDIR/modules.builtin"

declare -A WANT=()
for m in "${MODULES[@]}"; do
    n=${m//-/_}
    if [[ -n ${PATHOF[$n]:-} ]]; then
        WANT[${PATHOF[$n]}]=1
        for d in ${DEP[$n]}; do WANT[$d]=1; done
    elif [[ -n ${BUILTIN[$n]:-} ]]; then
        log "module $m is built in"
    else
        die "module $m not found in $KVER"
    fi
done

ROOT=$WORK/initramfs
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,mnt,tmp,etc,lib/firmware,lib/modules/"$KVER"}
cp /bin/busybox "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"   # the interpreter of /init
for path in "${!WANT[@]}"; do
    dst=$ROOT/lib/modules/$KVER/$path
    mkdir -p "$(dirname "$dst")"
    case $path in
        # busybox modprobe may not read compressed modules: store them plain.
        *.ko.xz)  xz -dc "$MODDIR/$path" > "${dst%.xz}" ;;
        *.ko.zst) zstd -qdc "$MODDIR/$path" > "${dst%.zst}" ;;
        *.ko.gz)  gzip -dc "$MODDIR/$path" > "${dst%.gz}" ;;
        *)        cp "$MODDIR/$path" "$dst" ;;
    esac
done
cp "$MODDIR"/modules.{order,builtin} "$ROOT/lib/modules/$KVER/"
[[ -f $MODDIR/modules.builtin.modinfo ]] && cp "$MODDIR/modules.builtin.modinfo" "$ROOT/lib/modules/$KVER/"
/sbin/depmod -b "$ROOT" "$KVER"
log "initramfs modules: ${#WANT[@]} files"

if [[ -f $REGDB && -f $REGDB.p7s ]]; then
    cp "$REGDB" "$REGDB.p7s" "$ROOT/lib/firmware/"
else
    log "warning: $REGDB missing: only the world regulatory domain will be available"
fi

cp "$INIT_SCRIPT" "$ROOT/init"
chmod 755 "$ROOT/init" "$ROOT/bin/busybox"
# The module list, in the order init loads them (dependencies via modprobe).
printf '%s\n' "${MODULES[@]}" > "$ROOT/etc/odin-modules"
printf '%s\n' "$KVER" > "$ROOT/etc/odin-kernel"

log "building initrd.gz"
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet | gzip -6) > "$WORK/initrd.gz"
cp "$KROOT/boot/vmlinuz-$KVER" "$WORK/vmlinuz"

# Install atomically enough: files first, stamp last.
rm -f "$OUT/initrd.stamp"
mv "$WORK/vmlinuz" "$OUT/vmlinuz"
mv "$WORK/initrd.gz" "$OUT/initrd.gz"
printf '%s\n' "$STAMP" > "$OUT/initrd.stamp"
printf '%s\n' "$KVER" > "$CACHE_ROOT/current"
log "done: $OUT/vmlinuz ($(du -h "$OUT/vmlinuz" | cut -f1)), $OUT/initrd.gz ($(du -h "$OUT/initrd.gz" | cut -f1))"
