// speechLike({seconds, seed?, pitchHz?, level?}) → Float32Array: the echo harness's speech proxy
// (speech_like.h), mono at 48 kHz, for tests that play it through a real sound server and judge
// what came back in JS. The same voice as the synthetic room, so an ERLE measured through
// PulseAudio compares with echo_harness.cc's; a tone would flatter the canceller.
#include <napi.h>

#include <cstdint>
#include <string>

#include "speech_like.h"

namespace doorway::audio {
namespace {

constexpr int kRate = 48000;

double NumberOr(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber())
    throw Napi::TypeError::New(o.Env(), std::string("speechLike: ") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

Napi::Value SpeechLikeSamples(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(env, "speechLike: options object expected");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  const double seconds = NumberOr(o, "seconds", 0);
  const double seed = NumberOr(o, "seed", 1);
  const double pitch_hz = NumberOr(o, "pitchHz", 115);
  const double level = NumberOr(o, "level", 0.4);
  if (!(seconds > 0 && seconds <= 120) || !(pitch_hz >= 50 && pitch_hz <= 400) ||
      !(level > 0 && level <= 1) || !(seed >= 0 && seed <= UINT32_MAX)) {
    throw Napi::RangeError::New(
        env, "speechLike: need 0 < seconds <= 120, pitchHz 50..400, 0 < level <= 1, seed >= 0");
  }
  const size_t n = static_cast<size_t>(seconds * kRate);
  Napi::Float32Array out = Napi::Float32Array::New(env, n);
  SpeechLike voice(static_cast<uint32_t>(seed), static_cast<float>(pitch_hz),
                   static_cast<float>(level));
  for (size_t i = 0; i < n; ++i) out[i] = voice.Next();
  return out;
}

}  // namespace

void RegisterSpeechProbe(Napi::Env env, Napi::Object exports) {
  exports.Set("speechLike", Napi::Function::New(env, SpeechLikeSamples, "speechLike"));
}

}  // namespace doorway::audio
