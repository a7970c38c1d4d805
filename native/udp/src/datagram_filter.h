// The first look at every datagram the native socket receives, before any of it reaches JS: which
// of them could be doorway traffic at all. It reads only the fixed framing of src/seal and
// src/session (type byte, length, receiver index) and of src/protocol in the clear, so garbage is
// dropped per batch at a few nanoseconds each; everything it passes is still judged in full by the
// sans-I/O core. No socket, no clock and no allocation here: the caller passes the time, which
// keeps it deterministic for the fuzzer (fuzz/datagram_filter_fuzz.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace doorway::udp {

// What the link speaks on this socket: the sealed framing of a secure session, or the media
// protocol itself (the tools' --insecure mode).
enum class FilterMode : uint8_t { kSecure, kClear };

enum class Verdict : uint8_t {
  kPass = 0,
  // Longer than the receive slot: the kernel cut it (MSG_TRUNC).
  kTruncated,
  // A first byte no doorway packet of this mode starts with (or an empty datagram).
  kUnknownType,
  // The right type byte with a length that type never has.
  kBadLength,
  // A sealed packet for a receiver index that no current key has.
  kUnknownIndex,
  // A handshake message beyond the token bucket's rate.
  kHandshakeRate,
  // An initiation or response whose mac1 is not ours: made without our public key.
  kBadMac,
};
inline constexpr size_t kVerdictCount = 7;

// Framing constants, mirrored from src/seal/packet.ts, src/session/wire.ts and src/protocol/wire.ts
// (test/udp-native-filter-property.test.ts checks each against the TS value).
inline constexpr uint8_t kSealedType = 0x13;
inline constexpr uint8_t kInitiationType = 0x14;
inline constexpr uint8_t kResponseType = 0x15;
inline constexpr uint8_t kCookieReplyType = 0x16;
inline constexpr size_t kSealedMinBytes = 13 + 16;
inline constexpr size_t kInitiationBytes = 145;
inline constexpr size_t kResponseBytes = 89;
inline constexpr size_t kCookieReplyBytes = 49;
inline constexpr uint8_t kClearVersion = 1;
inline constexpr size_t kClearMediaMinBytes = 38;
inline constexpr size_t kClearControlMinBytes = 4;
// A session's live keypairs (previous, current, next) and its pending initiation.
inline constexpr size_t kMaxIndices = 4;

class DatagramFilter {
 public:
  // Bucketed handshake messages pass at `handshake_per_second` on average with bursts of
  // `handshake_burst` (0 is taken as 1); the session's own limits judge the ones that pass.
  DatagramFilter(FilterMode mode, uint32_t handshake_per_second, uint32_t handshake_burst);

  // The receiver indices of the session's live keys and of its pending initiation; sealed packets
  // and cookie replies for any other are dropped. Before the first handshake there are none.
  void SetIndices(const uint32_t* indices, size_t count);

  // Our mac1 key (kMac1KeyBytes): from then on initiations and responses pass only with a valid
  // mac1, and without the token bucket (the session's own limits and cookies judge them); cookie
  // replies, which carry no mac, stay under the bucket. Without a key all three are bucketed.
  void SetMac1Key(const uint8_t* key);

  // `now_us` is any monotonic microsecond clock; only differences matter.
  Verdict Classify(const uint8_t* bytes, size_t length, bool truncated, uint64_t now_us);

  uint64_t count(Verdict v) const { return counts_[static_cast<size_t>(v)]; }
  FilterMode mode() const { return mode_; }

 private:
  Verdict ClassifySecure(const uint8_t* bytes, size_t length, uint64_t now_us);
  Verdict ClassifyClear(const uint8_t* bytes, size_t length) const;
  bool TakeHandshakeToken(uint64_t now_us);
  bool HasIndex(uint32_t index) const;

  FilterMode mode_;
  std::array<uint32_t, kMaxIndices> indices_{};
  size_t index_count_ = 0;
  // Token bucket in micro-tokens: one token is 1'000'000, refilled at handshake_per_second per µs.
  uint64_t rate_per_second_;
  uint64_t capacity_;
  uint64_t tokens_;
  uint64_t last_us_ = 0;
  bool started_ = false;
  std::array<uint64_t, kVerdictCount> counts_{};
  std::array<uint8_t, 32> mac1_key_{};
  bool has_mac1_key_ = false;
};

}  // namespace doorway::udp
