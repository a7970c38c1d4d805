// libFuzzer target for DatagramFilter (scripts/fuzz-native.sh builds and runs it; the test suite
// runs it for a bounded time in test/udp-native-filter-fuzz.test.ts).
//
// Input layout:
//   byte 0  flags: bit 0 clear mode (else secure); bits 1-3 how many receiver indices follow
//           (0-7; the filter keeps at most kMaxIndices of them); bit 4 the whole-rest datagram is
//           truncated; bit 5 handshake rate UINT32_MAX; bit 6 handshake burst UINT32_MAX; bit 7
//           time steps in seconds instead of microseconds.
//   byte 1  handshake_per_second (unless flags bit 5)
//   byte 2  handshake_burst (unless flags bit 6)
//   byte 3  time step
//   byte 4  mac1: bit 0 a 32-byte mac1 key follows the indices; bit 1 the filter gets it only
//           after the whole-rest datagram; bit 2 every initiation- or response-shaped datagram
//           whose last byte (in mac2, which mac1 does not cover) is odd gets a valid mac1 first,
//           with one bit of it flipped when bit 1 of that byte is set too.
//   then 4 bytes (big-endian) per receiver index, the key if any, then the rest.
// The rest is classified once as one datagram, then again as a sequence of chunks
// [length u8][control u8][length bytes]: control bit 0 marks the chunk truncated, bits 1-7 say how
// many time steps pass before it arrives. AddressSanitizer catches any read past a datagram's end
// (Harness::Classify).
//
// Every verdict is checked against an independent reading of the framing (src/seal,
// src/session/wire.ts, src/protocol), with mac1 computed through OpenSSL's EVP_MAC rather than the
// filter's mac1.cc; only a handshake the token bucket judges may be either kPass or kHandshakeRate,
// and which of those pass is checked against the bucket's burst and refill (CheckBucket). A cookie
// reply answers our pending initiation: it is judged by the bucket only when its receiver index
// (bytes 1-4) is one of the filter's indices, and is kUnknownIndex otherwise, key or no key.
#include <openssl/evp.h>
#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "../src/datagram_filter.h"

namespace {

using doorway::udp::DatagramFilter;
using doorway::udp::FilterMode;
using doorway::udp::Verdict;
namespace udp = doorway::udp;

constexpr size_t kHeaderBytes = 5;
constexpr size_t kMaxInputIndices = 7;
constexpr size_t kKeyBytes = 32;
constexpr size_t kMac = 16;

[[noreturn]] void Fail() { __builtin_trap(); }

void Check(bool ok) {
  if (!ok) Fail();
}

uint32_t ReadU32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

// An initiation (145 bytes) or a response (89): type, indices, Noise, mac1, mac2.
bool IsMacced(const uint8_t* bytes, size_t length) {
  return length > 0 && ((bytes[0] == 0x14 && length == 145) || (bytes[0] == 0x15 && length == 89));
}

bool IsCookieReply(const uint8_t* bytes, size_t length) { return length == 49 && bytes[0] == 0x16; }

// HMAC-BLAKE2s(key, bytes[0, length - 32)) truncated to 16 bytes (src/session/wire.ts mac()).
void ComputeMac1(const uint8_t* key, const uint8_t* bytes, size_t length, uint8_t* out) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  size_t digest_length = 0;
  Check(EVP_Q_mac(nullptr, "HMAC", nullptr, "BLAKE2S-256", nullptr, key, kKeyBytes, bytes,
                  length - 2 * kMac, digest, sizeof digest, &digest_length) != nullptr);
  Check(digest_length >= kMac);
  std::memcpy(out, digest, kMac);
}

bool Mac1Valid(const uint8_t* key, const uint8_t* bytes, size_t length) {
  uint8_t mac[kMac];
  ComputeMac1(key, bytes, length, mac);
  return std::memcmp(mac, bytes + length - 2 * kMac, kMac) == 0;
}

bool IndexAccepted(const uint32_t* indices, size_t count, const uint8_t* at) {
  const uint32_t index = ReadU32(at);
  for (size_t i = 0; i < count; ++i) {
    if (indices[i] == index) return true;
  }
  return false;
}

class Harness {
 public:
  Harness(FilterMode mode, uint32_t rate, uint32_t burst, const uint32_t* indices, size_t count)
      : mode_(mode), rate_(rate), burst_(burst), filter_(mode, rate, burst) {
    index_count_ = count < udp::kMaxIndices ? count : udp::kMaxIndices;
    std::memcpy(indices_, indices, index_count_ * sizeof(uint32_t));
    // No indices is a null pointer, as a caller with an empty list may pass.
    filter_.SetIndices(count == 0 ? nullptr : indices, count);
  }

  void SetKey(const uint8_t* key) {
    std::memcpy(key_, key, kKeyBytes);
    has_key_ = true;
    filter_.SetMac1Key(key_);
  }

  // `scratch` is a heap buffer of `scratch_size` >= `length` bytes. The datagram is copied to its
  // start and the rest of it poisoned, so a read past `length` is reported by AddressSanitizer
  // exactly as if the datagram had its own allocation (without one malloc per datagram filling
  // ASan's quarantine). With `sign_key`, a macced message whose last byte is odd gets its mac1
  // (see the input layout).
  void Classify(uint8_t* scratch, size_t scratch_size, const uint8_t* source, size_t length,
                bool truncated, uint64_t now_us, const uint8_t* sign_key) {
    ASAN_UNPOISON_MEMORY_REGION(scratch, scratch_size);
    if (length > 0) std::memcpy(scratch, source, length);
    if (sign_key != nullptr && IsMacced(scratch, length) && (scratch[length - 1] & 1) != 0) {
      uint8_t* mac1 = scratch + length - 2 * kMac;
      ComputeMac1(sign_key, scratch, length, mac1);
      // Bit 1 of the last byte spoils one bit of it, at the byte its high nibble names.
      if ((scratch[length - 1] & 2) != 0) mac1[scratch[length - 1] >> 4] ^= 0x80;
    }
    ASAN_POISON_MEMORY_REGION(scratch + length, scratch_size - length);
    const uint8_t* bytes = scratch;

    const Verdict v = filter_.Classify(bytes, length, truncated, now_us);
    const auto raw = static_cast<size_t>(v);
    Check(raw < udp::kVerdictCount);
    ++calls_;
    ++tallies_[raw];

    if (truncated) Check(v == Verdict::kTruncated);
    if (v == Verdict::kPass) {
      Check(!truncated);
      Check(PassIsWellFormed(bytes, length));
    }
    if (!truncated && Bucketed(bytes, length)) {
      Check(v == Verdict::kPass || v == Verdict::kHandshakeRate);
      handshakes_.push_back({now_us, v == Verdict::kPass});
      CheckBucket();
    } else {
      Check(v == Expected(bytes, length, truncated));
    }
    CheckCounts();
  }

 private:
  // Handshakes the token bucket judges: initiations and responses without a mac1 key, and cookie
  // replies (which carry no mac) for one of our indices, key or no key.
  bool Bucketed(const uint8_t* bytes, size_t length) const {
    if (mode_ != FilterMode::kSecure) return false;
    if (IsCookieReply(bytes, length)) return IndexAccepted(indices_, index_count_, bytes + 1);
    return !has_key_ && IsMacced(bytes, length);
  }

  // What the filter must say of anything but a bucketed handshake, written out from the wire
  // formats rather than from the filter's code.
  Verdict Expected(const uint8_t* bytes, size_t length, bool truncated) const {
    if (truncated) return Verdict::kTruncated;
    if (length == 0) return Verdict::kUnknownType;
    const uint8_t type = bytes[0];
    if (mode_ == FilterMode::kSecure) {
      switch (type) {
        case 0x13:
          if (length < 29) return Verdict::kBadLength;
          return IndexAccepted(indices_, index_count_, bytes + 1) ? Verdict::kPass
                                                                  : Verdict::kUnknownIndex;
        case 0x14:
        case 0x15:
          if (!IsMacced(bytes, length)) return Verdict::kBadLength;
          return Mac1Valid(key_, bytes, length) ? Verdict::kPass : Verdict::kBadMac;
        case 0x16:
          if (length != 49) return Verdict::kBadLength;
          // For one of our indices it is bucketed, and judged in CheckBucket instead.
          return IndexAccepted(indices_, index_count_, bytes + 1) ? Verdict::kPass
                                                                  : Verdict::kUnknownIndex;
        default:
          return Verdict::kUnknownType;
      }
    }
    if ((type >> 4) != 1) return Verdict::kUnknownType;
    switch (type & 0x0f) {
      case 0:
      case 1:
        return length >= 38 ? Verdict::kPass : Verdict::kBadLength;
      case 2:
        return length >= 4 ? Verdict::kPass : Verdict::kBadLength;
      default:
        return Verdict::kUnknownType;
    }
  }

  // What every kPass must be, checked on its own too: in secure mode a sealed packet of at least
  // 29 bytes or a 49-byte cookie reply, either for an accepted index, or an initiation or response
  // of its exact size (with a valid mac1 once there is a key); in the clear, version 1 media or
  // repair of at least 38 bytes or control of at least 4.
  bool PassIsWellFormed(const uint8_t* bytes, size_t length) const {
    if (length == 0) return false;
    if (mode_ == FilterMode::kSecure) {
      if (bytes[0] == 0x13 && length >= 29) return IndexAccepted(indices_, index_count_, bytes + 1);
      if (IsCookieReply(bytes, length)) return IndexAccepted(indices_, index_count_, bytes + 1);
      if (IsMacced(bytes, length)) return !has_key_ || Mac1Valid(key_, bytes, length);
      return false;
    }
    if ((bytes[0] >> 4) != 1) return false;
    const uint8_t kind = bytes[0] & 0x0f;
    if (kind == 0 || kind == 1) return length >= 38;
    if (kind == 2) return length >= 4;
    return false;
  }

  void CheckCounts() const {
    uint64_t sum = 0;
    for (size_t i = 0; i < udp::kVerdictCount; ++i) {
      const uint64_t n = filter_.count(static_cast<Verdict>(i));
      Check(n == tallies_[i]);
      sum += n;
    }
    Check(sum == calls_);
  }

  // The token bucket, judged from outside. The filter treats a burst of 0 as 1 (as the addon's
  // option does). With no refill, exactly the first `burst` bucketed handshakes pass. With
  // refill, one arriving a token's refill after the previous one passes, and the handshakes that
  // pass in any stretch of arrivals, from the i-th to the latest, are at most the burst (the
  // bucket never holds more) plus what flowed in over that stretch.
  void CheckBucket() const {
    const uint64_t burst = burst_ == 0 ? 1 : burst_;
    const size_t latest = handshakes_.size() - 1;
    const bool passed = handshakes_[latest].passed;
    if (latest == 0) Check(passed);  // the bucket starts full
    if (rate_ == 0) {
      Check(passed == (latest < burst));
      return;
    }
    const uint64_t now_us = handshakes_[latest].now_us;
    if (latest > 0) {
      const uint64_t gap = now_us - handshakes_[latest - 1].now_us;
      if (static_cast<unsigned __int128>(gap) * rate_ >= 1'000'000) Check(passed);
    }
    uint64_t passes = 0;
    for (size_t i = latest + 1; i-- > 0;) {
      if (handshakes_[i].passed) ++passes;
      const unsigned __int128 refill =
          static_cast<unsigned __int128>(now_us - handshakes_[i].now_us) * rate_ / 1'000'000;
      Check(passes <= burst + refill);
    }
  }

  struct Handshake {
    uint64_t now_us;
    bool passed;
  };

  FilterMode mode_;
  uint32_t rate_;
  uint32_t burst_;
  DatagramFilter filter_;
  uint32_t indices_[udp::kMaxIndices] = {};
  size_t index_count_ = 0;
  uint8_t key_[kKeyBytes] = {};
  bool has_key_ = false;
  uint64_t calls_ = 0;
  uint64_t tallies_[udp::kVerdictCount] = {};
  // Every bucketed handshake so far; an input of at most 4096 bytes holds fewer than 100.
  std::vector<Handshake> handshakes_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const uint8_t flags = data[0];
  const FilterMode mode = (flags & 0x01) ? FilterMode::kClear : FilterMode::kSecure;
  const size_t index_count = (flags >> 1) & 0x07;
  const bool truncated = (flags & 0x10) != 0;
  const uint32_t rate = (flags & 0x20) ? UINT32_MAX : data[1];
  const uint32_t burst = (flags & 0x40) ? UINT32_MAX : data[2];
  const uint64_t step = static_cast<uint64_t>(data[3]) * ((flags & 0x80) ? 1'000'000 : 1);
  const uint8_t mac_options = data[4];
  const bool has_key = (mac_options & 0x01) != 0;
  const bool key_late = (mac_options & 0x02) != 0;
  const bool sign = (mac_options & 0x04) != 0;

  size_t offset = kHeaderBytes;
  if (size - offset < index_count * 4 + (has_key ? kKeyBytes : 0)) return 0;
  uint32_t indices[kMaxInputIndices] = {};
  for (size_t i = 0; i < index_count; ++i) {
    indices[i] = ReadU32(data + offset);
    offset += 4;
  }
  const uint8_t* key = nullptr;
  if (has_key) {
    key = data + offset;
    offset += kKeyBytes;
  }
  const uint8_t* sign_key = sign ? key : nullptr;

  Harness harness(mode, rate, burst, indices, index_count);
  if (has_key && !key_late) harness.SetKey(key);
  const uint8_t* rest = data + offset;
  const size_t rest_size = size - offset;
  std::unique_ptr<uint8_t[]> scratch(new uint8_t[rest_size]);
  uint64_t now_us = step;

  harness.Classify(scratch.get(), rest_size, rest, rest_size, truncated, now_us, sign_key);
  if (has_key && key_late) harness.SetKey(key);

  size_t at = 0;
  while (rest_size - at >= 2) {
    const size_t wanted = rest[at];
    const uint8_t control = rest[at + 1];
    at += 2;
    const size_t length = wanted < rest_size - at ? wanted : rest_size - at;
    now_us += step * (control >> 1);
    harness.Classify(scratch.get(), rest_size, rest + at, length, (control & 0x01) != 0, now_us,
                     sign_key);
    at += length;
  }
  ASAN_UNPOISON_MEMORY_REGION(scratch.get(), rest_size);
  return 0;
}
