// The data-packet AEAD of src/seal (ChaCha20-Poly1305 or AES-256-GCM on libcrypto), exported as
// the `SealAead` class of the always-built fec addon.
#pragma once

#include <napi.h>

namespace doorway::fec {

void RegisterSealAead(Napi::Env env, Napi::Object exports);

}  // namespace doorway::fec
