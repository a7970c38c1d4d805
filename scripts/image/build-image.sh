#!/usr/bin/env bash
# Builds the flashable doorway disk image for one profile; what `make image PROFILE=...` runs.
#
#   debootstrap   a minimal Debian 12 (systemd as init, the kernel, systemd-boot, the shared
#                 libraries the profile's addons link and nothing else: no desktop, no compiler)
#   install.sh    the built doorway under /opt/doorway with its own Node.js, the units, the udev rule
#   systemd-repart  lays the partitions out (GPT, Discoverable Partitions types) from the file
#                 systems built here with mkfs.vfat/mtools and mkfs.ext4 -d: no loop device, no mount
#
# Partitions: 1 ESP (FAT, systemd-boot, the kernel, and site/ where a site is provisioned from any
# computer: see docs/FLASHING.md), 2 root (ext4). The image has no site identity: no site.json, no
# keys, an empty machine-id (first boot).
#
# Usage: scripts/image/build-image.sh PROFILE [OUT]   (default OUT: build/image/doorway-PROFILE.raw)
# Environment: MIRROR (default http://deb.debian.org/debian), NODE (the Node.js to bundle).
set -euo pipefail
umask 022
cd "$(dirname "$0")/../.."
repo=$(pwd)

fail() {
  echo "doorway: image: $*" >&2
  exit 1
}

profile=${1:-}
[ -n "$profile" ] || fail "usage: build-image.sh PROFILE [OUT]"
[ -f "hardware/profiles/$profile.json" ] || fail "unknown profile '$profile' (no hardware/profiles/$profile.json)"
out=${2:-build/image/doorway-$profile.raw}
mirror=${MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap and file ownership in the image)"
for tool in debootstrap systemd-repart mkfs.ext4 mkfs.vfat mcopy mmd sfdisk; do
  command -v "$tool" >/dev/null || fail "'$tool' is missing; run: bash scripts/install-system-deps.sh $profile --image"
done
built=$(node -e 'try{console.log(JSON.parse(require("fs").readFileSync("build/manifest.json","utf8")).profile)}catch{console.log("")}')
[ "$built" = "$profile" ] || fail "profile '$profile' is not the one built (build/manifest.json: '${built:-none}'); run: make build PROFILE=$profile"

work=build/image/$profile
rootfs=$work/rootfs
cache=build/image/debs
rm -rf "$rootfs" "$work/parts" "$work/repart.d"
mkdir -p "$rootfs" "$cache" "$work/parts" "$work/repart.d" "$(dirname "$out")"

# The shared libraries that the addons and node link, as the Debian packages that hold them here:
# the image gets the same builds the tests ran against.
runtime_packages() {
  local files=() lib pkg
  mapfile -t files < <(node -e '
    const m = JSON.parse(require("fs").readFileSync("build/manifest.json", "utf8"));
    for (const a of Object.values(m.addons ?? {})) console.log(a.file);')
  files+=("$(readlink -f "$(command -v "${NODE:-node}")")")
  local missing
  missing=$(ldd "${files[@]}" 2>/dev/null | awk '/=> not found/{print $1}' | sort -u | tr '\n' ' ')
  [ -z "$missing" ] || fail "the build links libraries this machine lacks: $missing(for doorway-nvidia: Debian's non-free NVIDIA driver libraries, e.g. libcuda1 libnvidia-encode1 libnvcuvid1)"
  for lib in $(ldd "${files[@]}" 2>/dev/null | awk '/=> \//{print $3}' | sort -u); do
    lib=$(readlink -f "$lib")
    pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || true)
    [ -n "$pkg" ] || fail "no Debian package holds $lib (linked by the build); install it from Debian"
    echo "${pkg%%:*}"
  done | sed 's/,.*//' | sort -u
}
libs=$(runtime_packages | tr '\n' ',')
# systemd as PID 1 with its network manager; the kernel boots through systemd-boot.
base=systemd,systemd-sysv,udev,dbus,libnss-systemd,kmod,iproute2,linux-image-amd64,initramfs-tools,systemd-boot-efi
# The NVIDIA libraries are in Debian's non-free component.
components=main
if node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.exit((p.features??[]).some((f)=>["cuda","nvenc","nvdec"].includes(f))?0:1)' "hardware/profiles/$profile.json"; then
  components=main,contrib,non-free,non-free-firmware
fi
# The Debian part is kept, keyed by its package list and mirror, so that rebuilding the image
# for a new doorway build takes seconds; a clean tree bootstraps it.
key=$(printf '%s\n' "$base" "$libs" "$mirror" "$components" | sha256sum | cut -c1-16)
base_tar=build/image/base-$key.tar
if [ -f "$base_tar" ]; then
  echo "image: Debian base from $base_tar"
  tar -C "$rootfs" -xpf "$base_tar"
else
  echo "image: debootstrap bookworm ($profile) with ${libs%,}"
  debootstrap --variant=minbase --components="$components" --cache-dir="$repo/$cache" --include="$base,${libs%,}" \
    bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap failed; see $work/debootstrap.log: $(tail -n 1 "$work/debootstrap.log")"
  rm -f build/image/base-*.tar
  tar -C "$rootfs" -cpf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
fi

# doorway itself: the same installer a hand-installed site uses, with its own Node.js and no site.
DESTDIR=$rootfs PROFILE=$profile BUNDLE_NODE=1 EXAMPLE_SITE=no bash scripts/install.sh
install -d -m 0755 "$rootfs/opt/doorway/docs"
install -m 0644 docs/FLASHING.md "$rootfs/opt/doorway/docs/"

# The appliance's own system configuration.
echo doorway >"$rootfs/etc/hostname"
# Empty: systemd makes the machine id on first boot, so no two sites share one.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
cp -R systemd/image/rootfs/. "$rootfs/"
# Nothing is downloaded at boot or after: no package timers. The root account stays locked.
systemctl --root="$rootfs" mask apt-daily.timer apt-daily-upgrade.timer >/dev/null
systemctl --root="$rootfs" enable systemd-networkd.service doorway.target >/dev/null
install -d -m 2755 "$rootfs/var/log/journal"
install -d -m 0755 "$rootfs/efi"
# Trimmed: documentation, translations and package lists a doorway never reads.
rm -rf "$rootfs"/usr/share/{doc,man,info,locale}/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/*
rm -f "$rootfs"/etc/doorway/site.json

# The ESP: systemd-boot, the kernel and initrd, the boot entry, and the empty provisioning folder.
kernel=$(cd "$rootfs/boot" && ls vmlinuz-* | sort -V | tail -n 1)
initrd=initrd.img-${kernel#vmlinuz-}
[ -f "$rootfs/boot/$initrd" ] || fail "the kernel's initrd was not made ($rootfs/boot/$initrd)"
esp=$work/parts/esp.vfat
rm -f "$esp"
mkfs.vfat -C -n DOORWAY -F 32 "$esp" $((128 * 1024)) >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/doorway ::/loader ::/loader/entries ::/site
mcopy -i "$esp" "$rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$rootfs/boot/$kernel" ::/EFI/doorway/vmlinuz
mcopy -i "$esp" "$rootfs/boot/$initrd" ::/EFI/doorway/initrd.img
printf 'default doorway.conf\ntimeout 0\n' >"$work/parts/loader.conf"
printf 'title doorway (%s)\nlinux /EFI/doorway/vmlinuz\ninitrd /EFI/doorway/initrd.img\noptions root=PARTLABEL=doorway-root rw quiet console=tty0 console=ttyS0\n' \
  "$profile" >"$work/parts/doorway.conf"
mcopy -i "$esp" "$work/parts/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$work/parts/doorway.conf" ::/loader/entries/doorway.conf
mcopy -i "$esp" systemd/image/site-README.txt ::/site/README.txt

# The root file system, with room for the journal and the site's state to grow.
root=$work/parts/root.ext4
used_kib=$(du -sk "$rootfs" | cut -f1)
# 15 % for the file system's own blocks, 200 MiB for the journal (capped there) and the state.
root_mib=$(((used_kib * 115 / 100) / 1024 + 200))
rm -f "$root"
mkfs.ext4 -q -F -L doorway-root -d "$rootfs" "$root" "${root_mib}M" ||
  fail "mkfs.ext4 could not build the root file system"

# One systemd-repart definition per partition, each filled from the file system built above.
partition_conf() {
  printf '[Partition]\nType=%s\nLabel=%s\nCopyBlocks=%s\n' "$2" "$3" "$repo/$4" >"$work/repart.d/$1.conf"
}
partition_conf 10-esp esp doorway-esp "$esp"
partition_conf 20-root root doorway-root "$root"
rm -f "$out"
systemd-repart --empty=create --size=auto --definitions="$work/repart.d" --seed=$(printf 'doorway-%s' "$profile" | sha256sum | cut -c1-32) \
  --dry-run=no "$out" >"$work/repart.log" 2>&1 || fail "systemd-repart failed; see $work/repart.log"
echo "image: $out ($(du -h --apparent-size "$out" | cut -f1), profile $profile)"
