#include "datagram_filter.h"

#include <algorithm>

#include "mac1.h"

namespace doorway::udp {
namespace {

constexpr uint64_t kMicroTokens = 1'000'000;

uint32_t ReadU32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

}  // namespace

DatagramFilter::DatagramFilter(FilterMode mode, uint32_t handshake_per_second,
                               uint32_t handshake_burst)
    : mode_(mode),
      rate_per_second_(handshake_per_second),
      capacity_(static_cast<uint64_t>(std::max<uint32_t>(handshake_burst, 1)) * kMicroTokens),
      tokens_(capacity_) {}

void DatagramFilter::SetIndices(const uint32_t* indices, size_t count) {
  index_count_ = std::min(count, kMaxIndices);
  std::copy(indices, indices + index_count_, indices_.begin());
}

void DatagramFilter::SetMac1Key(const uint8_t* key) {
  std::copy(key, key + kMac1KeyBytes, mac1_key_.begin());
  has_mac1_key_ = true;
}

Verdict DatagramFilter::Classify(const uint8_t* bytes, size_t length, bool truncated,
                                 uint64_t now_us) {
  Verdict v;
  if (truncated) {
    v = Verdict::kTruncated;
  } else if (length == 0) {
    v = Verdict::kUnknownType;
  } else {
    v = mode_ == FilterMode::kSecure ? ClassifySecure(bytes, length, now_us)
                                     : ClassifyClear(bytes, length);
  }
  counts_[static_cast<size_t>(v)]++;
  return v;
}

Verdict DatagramFilter::ClassifySecure(const uint8_t* bytes, size_t length, uint64_t now_us) {
  size_t expected = 0;
  switch (bytes[0]) {
    case kSealedType: {
      if (length < kSealedMinBytes) return Verdict::kBadLength;
      return HasIndex(ReadU32(bytes + 1)) ? Verdict::kPass : Verdict::kUnknownIndex;
    }
    case kInitiationType:
      expected = kInitiationBytes;
      break;
    case kResponseType:
      expected = kResponseBytes;
      break;
    case kCookieReplyType:
      expected = kCookieReplyBytes;
      break;
    default:
      return Verdict::kUnknownType;
  }
  if (length != expected) return Verdict::kBadLength;
  // A cookie reply answers our pending initiation, whose index the session reports with the rest.
  if (bytes[0] == kCookieReplyType && !HasIndex(ReadU32(bytes + 1))) return Verdict::kUnknownIndex;
  if (has_mac1_key_ && bytes[0] != kCookieReplyType) {
    // mac1 and mac2 close both messages: mac1 covers everything before it.
    return Mac1Matches(mac1_key_.data(), bytes, length - 2 * kMacBytes) ? Verdict::kPass
                                                                        : Verdict::kBadMac;
  }
  return TakeHandshakeToken(now_us) ? Verdict::kPass : Verdict::kHandshakeRate;
}

bool DatagramFilter::HasIndex(uint32_t index) const {
  for (size_t i = 0; i < index_count_; ++i) {
    if (indices_[i] == index) return true;
  }
  return false;
}

Verdict DatagramFilter::ClassifyClear(const uint8_t* bytes, size_t length) const {
  const uint8_t first = bytes[0];
  if ((first >> 4) != kClearVersion) return Verdict::kUnknownType;
  switch (first & 0x0f) {
    case 0:  // media
    case 1:  // repair
      return length >= kClearMediaMinBytes ? Verdict::kPass : Verdict::kBadLength;
    case 2:  // control
      return length >= kClearControlMinBytes ? Verdict::kPass : Verdict::kBadLength;
    default:
      return Verdict::kUnknownType;
  }
}

bool DatagramFilter::TakeHandshakeToken(uint64_t now_us) {
  if (!started_) {
    started_ = true;
    last_us_ = now_us;
  }
  if (now_us > last_us_) {
    // rate tokens/s = rate micro-tokens/µs. The bucket never holds more than the burst; the
    // hour's cap on `elapsed` only keeps elapsed * rate from overflowing.
    const uint64_t elapsed = std::min<uint64_t>(now_us - last_us_, 3'600'000'000ULL);
    tokens_ = std::min(capacity_, tokens_ + elapsed * rate_per_second_);
    last_us_ = now_us;
  }
  if (tokens_ < kMicroTokens) return false;
  tokens_ -= kMicroTokens;
  return true;
}

}  // namespace doorway::udp
