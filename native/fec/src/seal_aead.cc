// SealAead: the data-packet AEAD of src/seal on OpenSSL's libcrypto. One EVP_CIPHER_CTX per key and
// direction is keyed once; each packet only sets its nonce (EVP_CipherInit_ex with the IV alone),
// so the per-packet cost is the cipher itself, not node:crypto's new cipher object per packet.
//
// The layout is the sealed packet's without its meaning: associated data ‖ ciphertext ‖ 16-byte
// tag, with the 12-byte nonce passed apart. src/seal/packet.ts decides what the associated data
// (the header) and the nonce (the counter) are, so the layout lives in one place, and the RFC 8439
// vectors run through the same calls (test/seal-native-aead.test.ts).
//
// Inside Node the EVP_* symbols resolve to the OpenSSL 3 that the node binary itself exports, and
// the addon links Debian's libcrypto 3 for the build; both are OpenSSL 3.0, so either serves.
#include "seal_aead.h"

#include <napi.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace doorway::fec {
namespace {

constexpr size_t kTagBytes = 16;
constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
// EVP takes int lengths; a datagram is far below this anyway.
constexpr size_t kMaxLength = 1u << 30;
// Associated data that sits inside the output buffer is copied aside; a packet header is 13 bytes.
constexpr size_t kMaxInlineAad = 64;
// The open scratch is sized for a full datagram once, so it only ever grows for a larger one.
constexpr size_t kInitialScratch = 2048;

struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};

// A Uint8Array (or Buffer) argument, read with one napi call: this is on the per-packet path.
bool GetBytes(napi_env env, napi_value value, Bytes* out) {
  napi_typedarray_type type;
  void* data = nullptr;
  size_t length = 0;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    return false;
  }
  out->data = static_cast<uint8_t*>(data);
  out->length = length;
  return true;
}

bool Overlaps(const uint8_t* a, size_t a_length, const uint8_t* b, size_t b_length) {
  return a_length > 0 && b_length > 0 && a < b + b_length && b < a + a_length;
}

const EVP_CIPHER* CipherNamed(const std::string& name) {
  if (name == "chacha20-poly1305") return EVP_chacha20_poly1305();
  if (name == "aes-256-gcm") return EVP_aes_256_gcm();
  return nullptr;
}

class SealAead : public Napi::ObjectWrap<SealAead> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("SealAead", DefineClass(env, "SealAead",
                                        {InstanceMethod<&SealAead::Seal>("seal"),
                                         InstanceMethod<&SealAead::Open>("open"),
                                         InstanceMethod<&SealAead::Release>("release")}));
  }

  // new SealAead(cipher: 'chacha20-poly1305' | 'aes-256-gcm', key: Uint8Array(32), seal: boolean)
  explicit SealAead(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SealAead>(info) {
    Napi::Env env = info.Env();
    Bytes key;
    if (info.Length() != 3 || !info[0].IsString() || !GetBytes(env, info[1], &key) ||
        !info[2].IsBoolean()) {
      throw Napi::TypeError::New(env, "SealAead(cipher, key: Uint8Array, seal: boolean)");
    }
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    const EVP_CIPHER* cipher = CipherNamed(name);
    if (cipher == nullptr)
      throw Napi::TypeError::New(env, "SealAead: unknown cipher '" + name + "'");
    if (key.length != kKeyBytes)
      throw Napi::TypeError::New(env, "SealAead: the key must be 32 bytes");
    encrypt_ = info[2].As<Napi::Boolean>().Value();
    ctx_ = EVP_CIPHER_CTX_new();
    // Keyed once here; the nonce comes per packet. The context copies the key, so the caller's
    // buffer may be wiped as soon as this returns.
    if (ctx_ == nullptr ||
        EVP_CipherInit_ex(ctx_, cipher, nullptr, key.data, nullptr, encrypt_ ? 1 : 0) != 1) {
      DropContext();
      throw Napi::Error::New(env, "SealAead: cannot set up " + name + " in libcrypto");
    }
    if (!encrypt_) scratch_.resize(kInitialScratch);
  }

  ~SealAead() override { DropContext(); }

 private:
  // A fresh nonce on the keyed context, then the associated data.
  bool Start(const uint8_t* nonce, const uint8_t* aad, size_t aad_length) {
    int length = 0;
    return EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, nonce, encrypt_ ? 1 : 0) == 1 &&
           (aad_length == 0 ||
            EVP_CipherUpdate(ctx_, nullptr, &length, aad, static_cast<int>(aad_length)) == 1);
  }

  // seal(nonce: 12 bytes, aad, plaintext, out): writes aad ‖ ciphertext ‖ tag at the start of
  // `out` (at least aad + plaintext + 16 bytes). `out` may overlap `plaintext`.
  Napi::Value Seal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Bytes nonce, aad, plaintext, out;
    if (info.Length() != 4 || !GetBytes(env, info[0], &nonce) || !GetBytes(env, info[1], &aad) ||
        !GetBytes(env, info[2], &plaintext) || !GetBytes(env, info[3], &out)) {
      throw Napi::TypeError::New(env, "seal(nonce, aad, plaintext, out: Uint8Array)");
    }
    if (!encrypt_) throw Napi::TypeError::New(env, "seal() on a SealAead made for opening");
    if (ctx_ == nullptr) throw Napi::Error::New(env, "seal() after release()");
    if (nonce.length != kNonceBytes || aad.length > kMaxLength || plaintext.length > kMaxLength ||
        out.length < aad.length + plaintext.length + kTagBytes) {
      throw Napi::RangeError::New(
          env, "seal: the nonce must be 12 bytes and out at least aad + plaintext + 16");
    }
    uint8_t* body = out.data + aad.length;
    const size_t sealed_length = aad.length + plaintext.length + kTagBytes;
    // Inputs that sit inside `out` are put out of harm's way before anything is written: the aad
    // aside (it is copied to the start of `out` last), then the plaintext where its ciphertext
    // goes, since OpenSSL encrypts exactly in place but not between partly overlapping buffers.
    uint8_t aad_copy[kMaxInlineAad];
    const uint8_t* aad_bytes = aad.data;
    if (Overlaps(aad.data, aad.length, out.data, sealed_length)) {
      if (aad.length > kMaxInlineAad) {
        throw Napi::RangeError::New(env, "seal: aad inside out must be at most 64 bytes");
      }
      std::memcpy(aad_copy, aad.data, aad.length);
      aad_bytes = aad_copy;
    }
    const uint8_t* source = plaintext.data;
    if (source != body && Overlaps(source, plaintext.length, out.data, sealed_length)) {
      std::memmove(body, source, plaintext.length);
      source = body;
    }
    int length = 0;
    int final_length = 0;
    const bool ok =
        Start(nonce.data, aad_bytes, aad.length) &&
        (plaintext.length == 0 ||
         EVP_CipherUpdate(ctx_, body, &length, source, static_cast<int>(plaintext.length)) == 1) &&
        EVP_CipherFinal_ex(ctx_, body + length, &final_length) == 1 &&
        static_cast<size_t>(length + final_length) == plaintext.length &&
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes),
                            body + plaintext.length) == 1;
    if (!ok) throw Napi::Error::New(env, "seal: libcrypto failed to encrypt");
    if (aad_bytes != out.data) std::memmove(out.data, aad_bytes, aad.length);
    return env.Undefined();
  }

  // open(nonce: 12 bytes, sealed, aadLength, out): `sealed` is aad ‖ ciphertext ‖ tag. True with
  // the plaintext at the start of `out` when the tag verifies; false, with `out` untouched, for
  // anything else. Never throws on the sealed bytes, only on a caller's bad arguments.
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Bytes nonce, sealed, out;
    double aad_number = 0;
    if (info.Length() != 4 || !GetBytes(env, info[0], &nonce) || !GetBytes(env, info[1], &sealed) ||
        napi_get_value_double(env, info[2], &aad_number) != napi_ok ||
        !GetBytes(env, info[3], &out)) {
      throw Napi::TypeError::New(env,
                                 "open(nonce, sealed: Uint8Array, aadLength, out: Uint8Array)");
    }
    if (encrypt_) throw Napi::TypeError::New(env, "open() on a SealAead made for sealing");
    if (ctx_ == nullptr) throw Napi::Error::New(env, "open() after release()");
    // Written as !(in range) so that NaN fails too.
    if (nonce.length != kNonceBytes || !(aad_number >= 0 && aad_number <= kMaxLength) ||
        aad_number != static_cast<double>(static_cast<size_t>(aad_number))) {
      throw Napi::RangeError::New(
          env, "open: the nonce must be 12 bytes and aadLength an integer in [0, 2^30]");
    }
    const size_t aad_length = static_cast<size_t>(aad_number);
    if (sealed.length < aad_length + kTagBytes || sealed.length > kMaxLength) {
      return Napi::Boolean::New(env, false);
    }
    const size_t body_length = sealed.length - aad_length - kTagBytes;
    if (out.length < body_length) {
      throw Napi::RangeError::New(env, "open: out is smaller than the plaintext");
    }
    // Decrypted into scratch first: plaintext whose tag failed never reaches the caller's buffer,
    // and `out` may overlap `sealed`.
    if (scratch_.size() < body_length) scratch_.resize(body_length);
    uint8_t* tag = sealed.data + aad_length + body_length;
    int length = 0;
    int final_length = 0;
    const bool ok =
        Start(nonce.data, sealed.data, aad_length) &&
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), tag) == 1 &&
        (body_length == 0 ||
         EVP_CipherUpdate(ctx_, scratch_.data(), &length, sealed.data + aad_length,
                          static_cast<int>(body_length)) == 1) &&
        EVP_CipherFinal_ex(ctx_, scratch_.data() + length, &final_length) == 1 &&
        static_cast<size_t>(length + final_length) == body_length;
    if (!ok) return Napi::Boolean::New(env, false);
    if (body_length > 0) std::memcpy(out.data, scratch_.data(), body_length);
    return Napi::Boolean::New(env, true);
  }

  Napi::Value Release(const Napi::CallbackInfo& info) {
    DropContext();
    return info.Env().Undefined();
  }

  // EVP_CIPHER_CTX_free clears the key schedule before freeing it (OPENSSL_clear_free in the
  // provider); the scratch held plaintext, so it is wiped here too.
  void DropContext() {
    if (ctx_ != nullptr) EVP_CIPHER_CTX_free(ctx_);
    ctx_ = nullptr;
    if (!scratch_.empty()) OPENSSL_cleanse(scratch_.data(), scratch_.size());
    scratch_.clear();
    scratch_.shrink_to_fit();
  }

  EVP_CIPHER_CTX* ctx_ = nullptr;
  bool encrypt_ = true;
  std::vector<uint8_t> scratch_;
};

}  // namespace

void RegisterSealAead(Napi::Env env, Napi::Object exports) { SealAead::Register(env, exports); }

}  // namespace doorway::fec
