// native/audio addon entry: each compiled-in feature registers its exports.
#include <napi.h>

#include <cstring>

#include "features.h"

namespace doorway::audio {

void AddFeature(std::vector<std::string>& features, const char* marker) {
  static constexpr char kPrefix[] = "doorway-feature:";
  features.emplace_back(marker + std::strlen(kPrefix));
}

Napi::Object ProbeResult(Napi::Env env, bool ok, const std::string& error) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", ok);
  if (!ok) out.Set("error", error);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  std::vector<std::string> features;
#ifdef DOORWAY_HAS_AUDIO_IO
  RegisterPortAudio(env, exports, features);
#endif
#ifdef DOORWAY_HAS_APM
  RegisterApm(env, exports, features);
#endif
#ifdef DOORWAY_HAS_OPUS
  RegisterOpus(env, exports, features);
#endif
  Napi::Array list = Napi::Array::New(env, features.size());
  for (size_t i = 0; i < features.size(); ++i) list.Set(i, features[i]);
  exports.Set("features", list);
  return exports;
}

}  // namespace doorway::audio

static Napi::Object InitAudioAddon(Napi::Env env, Napi::Object exports) {
  return doorway::audio::Init(env, exports);
}

NODE_API_MODULE(audio, InitAudioAddon)
