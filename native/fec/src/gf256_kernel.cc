// GF(2^8) multiply-accumulate with the split-nibble method: c*x = lo[x & 15] ^ hi[x >> 4], where
// lo and hi are 16-entry tables for c. With PSHUFB each table lookup covers 16 or 32 bytes at
// once. Debian's amd64 baseline is SSE2 only, so the SIMD paths are chosen at run time.
#include "gf256_kernel.h"

#include <array>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DOORWAY_FEC_X86 1
#endif

namespace doorway::fec {
namespace {

constexpr unsigned kPolynomial = 0x11d;

struct Tables {
  std::array<std::array<uint8_t, 256>, 256> mul{};
  std::array<std::array<uint8_t, 16>, 256> lo{};
  std::array<std::array<uint8_t, 16>, 256> hi{};

  Tables() {
    std::array<uint8_t, 512> exp{};
    std::array<int, 256> log{};
    unsigned x = 1;
    for (int i = 0; i < 255; ++i) {
      exp[i] = static_cast<uint8_t>(x);
      log[x] = i;
      x <<= 1;
      if (x & 0x100) x ^= kPolynomial;
    }
    for (int i = 255; i < 512; ++i) exp[i] = exp[i - 255];
    for (int a = 1; a < 256; ++a) {
      for (int b = 1; b < 256; ++b) mul[a][b] = exp[log[a] + log[b]];
    }
    for (int c = 0; c < 256; ++c) {
      for (int n = 0; n < 16; ++n) {
        lo[c][n] = mul[c][n];
        hi[c][n] = mul[c][n << 4];
      }
    }
  }
};

const Tables& T() {
  static const Tables tables;
  return tables;
}

void MulAddScalar(uint8_t* dst, const uint8_t* src, uint8_t c, size_t bytes) {
  const auto& row = T().mul[c];
  for (size_t i = 0; i < bytes; ++i) dst[i] ^= row[src[i]];
}

#ifdef DOORWAY_FEC_X86
__attribute__((target("avx2"))) void MulAddAvx2(uint8_t* dst, const uint8_t* src, uint8_t c,
                                                size_t bytes) {
  const __m128i lo128 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(T().lo[c].data()));
  const __m128i hi128 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(T().hi[c].data()));
  const __m256i lo = _mm256_broadcastsi128_si256(lo128);
  const __m256i hi = _mm256_broadcastsi128_si256(hi128);
  const __m256i mask = _mm256_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst + i));
    __m256i l = _mm256_shuffle_epi8(lo, _mm256_and_si256(s, mask));
    __m256i h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi64(s, 4), mask));
    d = _mm256_xor_si256(d, _mm256_xor_si256(l, h));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), d);
  }
  if (i < bytes) MulAddScalar(dst + i, src + i, c, bytes - i);
}

__attribute__((target("ssse3"))) void MulAddSsse3(uint8_t* dst, const uint8_t* src, uint8_t c,
                                                  size_t bytes) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(T().lo[c].data()));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(T().hi[c].data()));
  const __m128i mask = _mm_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 16 <= bytes; i += 16) {
    __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(dst + i));
    __m128i l = _mm_shuffle_epi8(lo, _mm_and_si128(s, mask));
    __m128i h = _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi64(s, 4), mask));
    d = _mm_xor_si128(d, _mm_xor_si128(l, h));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), d);
  }
  if (i < bytes) MulAddScalar(dst + i, src + i, c, bytes - i);
}
#endif

using Kernel = void (*)(uint8_t*, const uint8_t*, uint8_t, size_t);

struct Choice {
  Kernel kernel;
  const char* name;
};

Choice Choose() {
#ifdef DOORWAY_FEC_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return {MulAddAvx2, "avx2"};
  if (__builtin_cpu_supports("ssse3")) return {MulAddSsse3, "ssse3"};
#endif
  return {MulAddScalar, "scalar"};
}

const Choice& Chosen() {
  static const Choice choice = Choose();
  return choice;
}

}  // namespace

const char* KernelName() { return Chosen().name; }

void MulAdd(uint8_t* dst, const uint8_t* src, uint8_t c, size_t bytes) {
  if (c == 0) return;
  if (c == 1) {
    for (size_t i = 0; i < bytes; ++i) dst[i] ^= src[i];
    return;
  }
  Chosen().kernel(dst, src, c, bytes);
}

}  // namespace doorway::fec
