// native/fec addon: one call folds one input shard into several output shards, matching
// src/fec/kernels.ts's `accumulate` so the JS coder can hand its inner loop over unchanged. The
// addon is built in every profile, so it also carries the transport's other per-packet hot path:
// the seal AEAD (seal_aead.cc).
#include <napi.h>

#include "gf256_kernel.h"
#include "seal_aead.h"

namespace doorway::fec {
namespace {

// accumulate(words: Uint32Array, input, out, coefficients: Uint8Array, outputs, count):
// for j < outputs: words[out + j*count ..+count] ^= coefficients[j] * words[input ..+count].
Napi::Value Accumulate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 6 || !info[0].IsTypedArray() || !info[3].IsTypedArray()) {
    throw Napi::TypeError::New(env, "accumulate(words, input, out, coefficients, outputs, count)");
  }
  auto words = info[0].As<Napi::Uint32Array>();
  auto coefficients = info[3].As<Napi::Uint8Array>();
  const int64_t input = info[1].As<Napi::Number>().Int64Value();
  const int64_t out = info[2].As<Napi::Number>().Int64Value();
  const int64_t outputs = info[4].As<Napi::Number>().Int64Value();
  const int64_t count = info[5].As<Napi::Number>().Int64Value();
  const int64_t length = static_cast<int64_t>(words.ElementLength());
  if (input < 0 || out < 0 || outputs < 0 || count < 0 || input + count > length ||
      out + outputs * count > length ||
      outputs > static_cast<int64_t>(coefficients.ElementLength())) {
    throw Napi::RangeError::New(env, "accumulate: offsets out of range");
  }
  uint8_t* base = reinterpret_cast<uint8_t*>(words.Data());
  const uint8_t* src = base + input * 4;
  const uint8_t* coef = coefficients.Data();
  for (int64_t j = 0; j < outputs; ++j) {
    MulAdd(base + (out + j * count) * 4, src, coef[j], static_cast<size_t>(count) * 4);
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("accumulate", Napi::Function::New(env, Accumulate, "accumulate"));
  exports.Set("kernel", Napi::String::New(env, KernelName()));
  RegisterSealAead(env, exports);
  exports.Set("features", Napi::Array::New(env));
  return exports;
}

}  // namespace
}  // namespace doorway::fec

static Napi::Object InitFecAddon(Napi::Env env, Napi::Object exports) {
  return doorway::fec::Init(env, exports);
}

NODE_API_MODULE(fec, InitFecAddon)
