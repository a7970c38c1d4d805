#include "mac1.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace doorway::udp {

bool Mac1Matches(const uint8_t* key, const uint8_t* message, size_t mac1_at) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_blake2s256(), key, static_cast<int>(kMac1KeyBytes), message, mac1_at, digest,
           &length) == nullptr ||
      length < kMacBytes) {
    return false;
  }
  return CRYPTO_memcmp(digest, message + mac1_at, kMacBytes) == 0;
}

}  // namespace doorway::udp
