#!/usr/bin/env bash
# Installs the Debian packages a profile needs, and only those that are missing.
# Usage: scripts/install-system-deps.sh PROFILE [--test] [--image]
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "doorway: missing Debian packages: $*; run as root, or: apt-get install $*" >&2
    exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# Debian 12's own nodejs is 18, older than the toolchain needs (cmake-js, eslint: 20.17+), so
# installing it would only fail later: say what is missing instead.
if ! command -v node >/dev/null 2>&1; then
  echo "doorway: Node.js 20.17 or newer is required and no 'node' is on PATH" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=17)?0:1)'; then
  echo "doorway: Node.js 20.17 or newer is required; found $(node --version)" >&2
  exit 1
fi

packages=$(node scripts/profile-packages.mjs "$@")
missing=()
for pkg in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt_install "${missing[@]}"
fi
