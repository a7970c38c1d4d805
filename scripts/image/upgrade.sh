#!/usr/bin/env bash
# Upgrades a doorway disk to a new image and keeps what is the site's: what `make upgrade` runs,
# on a machine that has the appliance's disk attached (or on a disk image file), never on the
# running appliance itself.
#
#   kept:     /etc/doorway (site.json, keys, public.key), /var/lib/private/doorway (the persisted
#             handshake counters), provisioned network files, the machine id and the journal,
#             and the boot partition's site/ folder
#   replaced: the root file system (written whole from the new image) and the boot loader, the
#             kernel and the initrd on the boot partition
#
# Usage: scripts/image/upgrade.sh NEW_IMAGE TARGET     (TARGET: a disk image file or /dev/sdX)
set -euo pipefail
umask 022
# mtools on a loop device: no floppy geometry to check.
export MTOOLS_SKIP_CHECK=1

fail() {
  echo "doorway: upgrade: $*" >&2
  exit 1
}

new=${1:-}
target=${2:-}
[ -n "$new" ] && [ -n "$target" ] || fail "usage: upgrade.sh NEW_IMAGE TARGET"
[ "$(id -u)" -eq 0 ] || fail "must run as root (it mounts the disk's file systems)"
[ -f "$new" ] || fail "$new: no such image"
[ -e "$target" ] || fail "$target: no such disk or image"
for tool in sfdisk losetup mount e2fsck resize2fs mcopy mdeltree; do
  command -v "$tool" >/dev/null || fail "'$tool' is missing; run: bash scripts/install-system-deps.sh dev --image"
done

# "START SIZE" in bytes of the partition named LABEL on DISK, or nothing.
partition() {
  sfdisk -J "$1" 2>/dev/null | node -e '
    const [label] = process.argv.slice(1);
    const t = JSON.parse(require("fs").readFileSync(0, "utf8")).partitiontable;
    const sector = t.sectorsize ?? 512;
    const p = (t.partitions ?? []).find((x) => x.name === label);
    if (p) console.log(`${p.start * sector} ${p.size * sector}`);' "$2"
}
read -r new_root_at new_root_size <<<"$(partition "$new" doorway-root)" || true
read -r new_esp_at new_esp_size <<<"$(partition "$new" doorway-esp)" || true
read -r root_at root_size <<<"$(partition "$target" doorway-root)" || true
read -r esp_at esp_size <<<"$(partition "$target" doorway-esp)" || true
[ -n "${new_root_at:-}" ] && [ -n "${new_esp_at:-}" ] || fail "$new: not a doorway image (no doorway-root and doorway-esp partitions)"
[ -n "${root_at:-}" ] && [ -n "${esp_at:-}" ] || fail "$target: not a doorway disk (no doorway-root and doorway-esp partitions)"
[ "$new_root_size" -le "$root_size" ] ||
  fail "$new: its root file system ($new_root_size bytes) does not fit $target's ($root_size bytes); flash the new image instead (docs/FLASHING.md)"

work=$(mktemp -d /tmp/doorway-upgrade.XXXXXX)
loops=()
cleanup() {
  mountpoint -q "$work/root" && umount "$work/root"
  for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/root"
# Attaches bytes $2.. ($3 long) of $1 to a loop device, named in $attached. Not in a command
# substitution: the device must be in `loops` for the cleanup to detach it.
attached=
loop() {
  attached=$(losetup --show -f -o "$2" --sizelimit "$3" "$1") || fail "cannot attach $1 at byte $2"
  loops+=("$attached")
}

loop "$target" "$root_at" "$root_size"
root_dev=$attached
mount -o ro "$root_dev" "$work/root" || fail "$target: cannot mount its root file system"
# What is the site's, in one archive with owners, modes and links as they are.
kept=(etc/doorway var/lib/private/doorway etc/machine-id var/log/journal)
for f in "$work/root"/etc/systemd/network/*.network; do
  [ -e "$f" ] || continue
  # The image's own default is replaced with the new image's; what was provisioned is kept.
  [ "$(basename "$f")" = 80-doorway-wired.network ] || kept+=("etc/systemd/network/$(basename "$f")")
done
present=()
for p in "${kept[@]}"; do [ -e "$work/root/$p" ] && present+=("$p"); done
tar -C "$work/root" --numeric-owner -cpf "$work/keep.tar" "${present[@]}" || fail "$target: cannot read the site's files"
[ -e "$work/root/etc/doorway/keys/private.key" ] || echo "doorway: upgrade: note: $target has no key pair yet; the upgraded site makes one on boot" >&2
umount "$work/root"

# The new root file system, whole, then grown to the partition and given back the site's files.
dd if="$new" of="$root_dev" bs=4M iflag=skip_bytes,count_bytes skip="$new_root_at" count="$new_root_size" \
  conv=notrunc,fsync status=none || fail "writing the new root file system failed"
e2fsck -f -p "$root_dev" >/dev/null || [ $? -le 1 ] || fail "the new root file system does not check clean"
resize2fs "$root_dev" >/dev/null 2>&1 || fail "cannot grow the new root file system to its partition"
mount "$root_dev" "$work/root" || fail "cannot mount the new root file system"
tar -C "$work/root" --numeric-owner -xpf "$work/keep.tar" || fail "cannot put the site's files back"
# systemd keeps dynamic users' state under a directory only root may enter.
[ ! -d "$work/root/var/lib/private" ] || chmod 0700 "$work/root/var/lib/private"
umount "$work/root"

# The boot partition: the new loader, kernel and initrd; site/ stays as the operator left it.
loop "$new" "$new_esp_at" "$new_esp_size"
new_esp=$attached
loop "$target" "$esp_at" "$esp_size"
esp_dev=$attached
mkdir -p "$work/esp"
mcopy -s -n -i "$new_esp" ::/EFI ::/loader "$work/esp/" 2>"$work/mtools.log" || fail "cannot read the new image's boot partition"
mdeltree -i "$esp_dev" ::/EFI ::/loader 2>/dev/null || true
mcopy -s -i "$esp_dev" "$work/esp/EFI" "$work/esp/loader" :: 2>"$work/mtools.log" || fail "cannot write $target's boot partition"
sync
echo "upgraded $target to $(basename "$new"); kept the site's config, keys and counters"
