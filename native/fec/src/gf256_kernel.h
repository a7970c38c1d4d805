// dst ^= c * src over GF(2^8) (polynomial 0x11d, as src/fec/gf256.ts), bytewise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace doorway::fec {

// Which implementation MulAdd uses on this CPU: "avx2", "ssse3" or "scalar".
const char* KernelName();

void MulAdd(uint8_t* dst, const uint8_t* src, uint8_t c, size_t bytes);

}  // namespace doorway::fec
