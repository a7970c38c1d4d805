#!/usr/bin/env bash
# Installs the built tree for one profile; what `make install PROFILE=... [DESTDIR=...]` runs.
#   $DESTDIR/opt/doorway          dist/, package.json, production node_modules, build/manifest.json
#                                 and the profile's addons (same relative paths), hardware/,
#                                 bin/doorway (the launcher the units run)
#   $DESTDIR/etc/doorway/site.json  from hardware/sites/example.json, only when there is none
#   $DESTDIR/etc/doorway/keys/      mode 0700, only when there is none; never touched after
#   $DESTDIR/lib/systemd/system/    doorway.target, doorway-video.service, doorway-audio.service,
#                                 doorway-provision.service
#   $DESTDIR/lib/udev/rules.d/      99-doorway-camera.rules
# Running it again is the upgrade: /opt/doorway is built beside the old one and renamed into place;
# /etc/doorway is left as it is.
# Environment: PROFILE (required), DESTDIR (default: /), NODE (default: node on PATH),
#   BUNDLE_NODE=1: copy that Node.js binary to /opt/doorway/runtime/bin/node and run on it (a disk
#     image: Debian 12's own nodejs is too old),
#   EXAMPLE_SITE=no: install no site.json (a disk image carries no site identity).
set -euo pipefail
umask 022
# DESTDIR as the caller meant it, before the cd into the tree.
destdir=${DESTDIR:-}
[ -z "$destdir" ] || destdir=$(realpath -m "$destdir")
cd "$(dirname "$0")/.."

fail() {
  echo "doorway: install: $*" >&2
  exit 1
}

profile=${PROFILE:-}
[ -n "$profile" ] || fail "PROFILE is not set (make install PROFILE=<name>)"
[ -f build/manifest.json ] || fail "profile '$profile' was not built (no build/manifest.json); run: make build PROFILE=$profile"
[ -f dist/bin/doorway.js ] || fail "dist/ is not built; run: make build PROFILE=$profile"
node_bin=$(command -v "${NODE:-node}") || fail "no '${NODE:-node}' on PATH"
node_bin=$(readlink -f "$node_bin")

# Prints the manifest's profile, then its addon files one per line (relative paths only, or the
# tree would not move); or one line saying what is wrong, and fails.
manifest_lines() {
  "$node_bin" -e '
    const fail = (why) => { console.log(why); process.exit(1); };
    let m;
    try { m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); }
    catch (err) { fail(String(err.message).split("\n")[0]); }
    const files = Object.values(m.addons ?? {}).map((a) => a?.file);
    const bad = files.find((f) => typeof f !== "string" || f.startsWith("/") || f.split("/").includes(".."));
    if (bad !== undefined) fail(`addon path ${JSON.stringify(bad)} is not inside the tree`);
    console.log(String(m.profile));
    for (const f of files) console.log(f);
  ' "$1"
}
# Fills `manifest` (profile, then addon files) and refuses a profile other than PROFILE.
read_manifest() {
  local out
  out=$(manifest_lines "$1") || fail "$1: $out"
  mapfile -t manifest <<<"$out"
  [ "${manifest[0]}" = "$profile" ] ||
    fail "profile '$profile' was not built (build/manifest.json is for '${manifest[0]}'); run: make build PROFILE=$profile"
}
# Refuse before anything is written under DESTDIR.
read_manifest build/manifest.json

opt=$destdir/opt
target=$opt/doorway
mkdir -p "$opt"
stage=$(mktemp -d "$opt/.doorway.new.XXXXXX")
old=$opt/.doorway.old.$$
cleanup() { rm -rf "$stage" "$old"; }
trap cleanup EXIT

# The addons are taken from the staged copy of the manifest, so a build finishing meanwhile
# cannot mix two builds.
mkdir -p "$stage/build"
cp build/manifest.json "$stage/build/manifest.json"
read_manifest "$stage/build/manifest.json"
for addon in "${manifest[@]:1}"; do
  [ -n "$addon" ] || continue
  [ -f "$addon" ] || fail "$addon (named in build/manifest.json) is missing; run: make build PROFILE=$profile"
  mkdir -p "$stage/$(dirname "$addon")"
  cp "$addon" "$stage/$addon"
done

# The program: compiled sources and the CLI, not the compiled tests and benchmarks.
mkdir -p "$stage/dist"
cp -R dist/bin dist/src "$stage/dist/"
cp -R hardware "$stage/"
cp package.json package-lock.json "$stage/"
# Production dependencies only, from the tree already installed here: no network, and the same
# versions the tests ran against.
cp -R node_modules "$stage/"
(cd "$stage" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) ||
  fail "npm prune --omit=dev failed in $stage"

# exec keeps the pid: under systemd (Type=notify, NotifyAccess=main) node itself is the main
# process, the one whose sd_notify messages count.
launcher_node=$node_bin
if [ "${BUNDLE_NODE:-0}" = 1 ]; then
  install -D -m 0755 "$node_bin" "$stage/runtime/bin/node"
  launcher_node=/opt/doorway/runtime/bin/node
fi
mkdir -p "$stage/bin"
cat >"$stage/bin/doorway" <<EOF
#!/bin/sh
# doorway's command, installed by scripts/install.sh: Node.js on this tree's dist/bin/doorway.js.
root=\$(dirname "\$(dirname "\$(readlink -f "\$0")")")
node='$launcher_node'
[ -x "\$node" ] || node=node
DOORWAY_HOME=\$root
export DOORWAY_HOME
exec "\$node" "\$root/dist/bin/doorway.js" "\$@"
EOF
# Readable by everyone (the services run as a dynamic user), writable by the installer only.
chmod -R u+rwX,go+rX,go-w "$stage"
chmod 0755 "$stage" "$stage/bin/doorway"

if [ -e "$target" ] || [ -L "$target" ]; then
  mv "$target" "$old"
  if ! mv "$stage" "$target"; then
    mv "$old" "$target"
    fail "could not move the new tree into $target; the old one is back"
  fi
else
  mv "$stage" "$target"
fi

# Configuration and keys belong to the site: created once, never rewritten.
etc=$destdir/etc/doorway
[ -d "$etc" ] || install -d -m 0755 "$etc"
if [ "${EXAMPLE_SITE:-yes}" != no ] && [ ! -e "$etc/site.json" ] && [ ! -L "$etc/site.json" ]; then
  install -m 0644 hardware/sites/example.json "$etc/site.json"
fi
if [ ! -e "$etc/keys" ] && [ ! -L "$etc/keys" ]; then
  install -d -m 0700 "$etc/keys"
fi

install -d "$destdir/lib/systemd/system" "$destdir/lib/udev/rules.d"
install -m 0644 systemd/doorway.target systemd/doorway-video.service systemd/doorway-audio.service \
  systemd/doorway-provision.service \
  "$destdir/lib/systemd/system/"
install -m 0644 systemd/udev/99-doorway-camera.rules "$destdir/lib/udev/rules.d/"

echo "installed doorway (profile $profile) under ${destdir:-/}"
if [ -z "$destdir" ]; then
  echo "next: systemctl daemon-reload && udevadm control --reload && systemctl enable --now doorway.target"
  echo "  (an upgrade: systemctl daemon-reload && systemctl restart doorway.target)"
fi
