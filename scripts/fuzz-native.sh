#!/usr/bin/env bash
# Builds the libFuzzer target for native/udp's datagram filter and runs it for a bounded time.
#   scripts/fuzz-native.sh SECONDS [OUT_DIR]
# OUT_DIR (default: a new temporary folder) receives the binary (datagram_filter_fuzz), the corpus
# (corpus/, seeded with valid datagrams and grown by the run) and any crash-*/leak-*/timeout-*
# input libFuzzer writes. Exits with the fuzzer's status: 0 when nothing was found.
# Needs clang++-14 with its sanitizer runtimes (Debian packages clang-14 libclang-rt-14-dev) and
# libcrypto (libssl-dev, which native/udp needs anyway).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "fuzz-native: $*; usage: scripts/fuzz-native.sh SECONDS [OUT_DIR]" >&2
  exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage "expected one or two arguments"
seconds=$1
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage "SECONDS must be a whole number above 0, not '$seconds'"

cxx=clang++-14
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz-native: clang++-14 is not installed (Debian packages clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi

out=${2:-}
if [ -z "$out" ]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/doorway-fuzz-native-XXXXXX")
fi
mkdir -p "$out/corpus"
out=$(cd "$out" && pwd)

# mac1.cc checks handshake macs on libcrypto (libssl-dev), as the addon does.
crypto=$(pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
binary=$out/datagram_filter_fuzz
# shellcheck disable=SC2086 # $crypto is a list of linker flags
"$cxx" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra -Werror -o "$binary" native/udp/fuzz/datagram_filter_fuzz.cc \
  native/udp/src/datagram_filter.cc native/udp/src/mac1.cc $crypto

# The seeds. Each is the harness's 5-byte header (flags, handshake rate, burst, time step, mac1
# options), its receiver indices, its mac1 key if any, then the datagram; the sequence seeds add
# [length][control] chunks. See native/udp/fuzz/datagram_filter_fuzz.cc for the layout.
#   flags 0x02: secure, one index; 0x08: secure, four; 0x00: secure, none; 0x01: clear, none.
zeros() { head -c "$1" /dev/zero; }
ones() { head -c "$1" /dev/zero | tr '\0' '\001'; }
key() { head -c 32 /dev/zero | tr '\0' 'k'; }
seed() { cat >"$out/corpus/seed-$1"; }
{ printf '\x02\x0a\x04\x10\x00\x01\x02\x03\x04\x13\x01\x02\x03\x04'; zeros 24; } | seed sealed
{ printf '\x08\x00\x02\x01\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04'
  printf '\x13\x00\x00\x00\x03'; zeros 40; } | seed sealed-four-indices
{ printf '\x00\x00\x03\x01\x00\x14'; zeros 144; } | seed initiation
{ printf '\x00\x00\x03\x01\x00\x15'; zeros 88; } | seed response
# A cookie reply passes only for one of the indices (the pending initiation's), then the bucket.
{ printf '\x02\x00\x03\x01\x00\x0a\x0b\x0c\x0d\x16\x0a\x0b\x0c\x0d'; zeros 44; } | seed cookie-reply
{ printf '\x02\x00\x03\x01\x00\x0a\x0b\x0c\x0d\x16\x0a\x0b\x0c\x0e'; zeros 44; } | seed cookie-reply-unknown-index
{ printf '\x01\x00\x00\x00\x00\x10'; zeros 37; } | seed clear-media
{ printf '\x01\x00\x00\x00\x00\x11'; zeros 37; } | seed clear-repair
{ printf '\x01\x00\x00\x00\x00\x12\x00\x00\x00'; } | seed clear-control
# With a mac1 key and signing on: an initiation whose mac1 is valid (odd last byte).
{ printf '\x00\x00\x01\x01\x05'; key; printf '\x14'; ones 144; } | seed initiation-mac1
# Sequences: handshakes of each size at rate 0 and burst 2, then sealed packets, one truncated.
{ printf '\x02\x00\x02\x05\x00\x0a\x0b\x0c\x0d'
  printf '\x91\x02\x14'; zeros 144
  printf '\x59\x02\x15'; zeros 88
  printf '\x31\x02\x16\x0a\x0b\x0c\x0d'; zeros 44
  printf '\x91\x04\x14'; zeros 144
  printf '\x1d\x02\x13\x0a\x0b\x0c\x0d'; zeros 24
  printf '\x1d\x03\x13\x0a\x0b\x0c\x0d'; zeros 24; } | seed secure-sequence
# The key arrives after the first datagram; signed and unsigned initiations and responses, and
# cookie replies: under the bucket for the one index, unknownIndex for another.
{ printf '\x02\x01\x01\x07\x07\x0a\x0b\x0c\x0d'; key
  printf '\x91\x02\x14'; ones 144
  printf '\x91\x02\x14'; zeros 144
  printf '\x59\x02\x15'; ones 88
  printf '\x59\x02\x15'; zeros 88
  printf '\x31\x02\x16\x0a\x0b\x0c\x0d'; zeros 44
  printf '\x31\x02\x16\x01\x02\x03\x04'; zeros 44
  printf '\x31\x02\x16\x0a\x0b\x0c\x0d'; zeros 44; } | seed mac1-sequence
# Rate 100/s, burst 1, 100 µs steps: the second initiation comes 100 steps (one token) after the
# first and passes, the third at the same instant does not.
{ printf '\x00\x64\x01\x64\x00'
  printf '\x91\x02\x14'; zeros 144
  printf '\x91\xc8\x14'; zeros 144
  printf '\x91\x00\x14'; zeros 144; } | seed rate-sequence
# Signed, spoilt in byte 3 (last byte 0x33), and signed again.
{ printf '\x00\x00\x08\x01\x05'; key
  printf '\x91\x02\x14'; ones 144
  printf '\x91\x02\x14'; ones 143; printf '\x33'
  printf '\x59\x02\x15'; ones 88; } | seed mac1-spoilt
{ printf '\x01\x00\x00\x01\x00'
  printf '\x26\x02\x10'; zeros 37
  printf '\x26\x02\x11'; zeros 37
  printf '\x04\x02\x12\x00\x00\x00'
  printf '\x03\x02\x12\x00\x00'; } | seed clear-sequence

# The filter allocates nothing, so ASan's quarantine of freed blocks (256 MiB by default, which
# libFuzzer's own per-input copies fill) only takes memory; a caller's ASAN_OPTIONS still win.
export ASAN_OPTIONS="quarantine_size_mb=16${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
status=0
"$binary" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
  -artifact_prefix="$out/" "$out/corpus" || status=$?
exit "$status"
