// WireGuard's mac1 on doorway's handshake messages (src/session/wire.ts): HMAC-BLAKE2s keyed with
// BLAKE2s("mac1----" ‖ our public key), truncated to 16 bytes, over everything before it. Only a
// sender that knows our public key can make one, so the filter drops forged handshake floods here
// and the session's token bucket and cookies are spent only on messages that carry a valid one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace doorway::udp {

inline constexpr size_t kMac1KeyBytes = 32;
inline constexpr size_t kMacBytes = 16;

// True when the 16 bytes at `mac1_at` are the mac1 of message[0, mac1_at) under `key`.
bool Mac1Matches(const uint8_t* key, const uint8_t* message, size_t mac1_at);

}  // namespace doorway::udp
