// native/audio addon entry: each compiled-in feature registers its exports.
#include <napi.h>

#include "features.h"

namespace doorway::audio {

void RegisterSpeechProbe(Napi::Env env, Napi::Object exports);  // speech_probe.cc
void RegisterSpectrogram(Napi::Env env, Napi::Object exports);  // spectrogram.cc

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  std::vector<std::string> features;
  RegisterEngine(env, exports);
  RegisterAudioTest(env, exports);
  RegisterDspBench(env, exports);
  RegisterSpeechProbe(env, exports);
  RegisterSpectrogram(env, exports);
#ifdef DOORWAY_HAS_AUDIO_IO
  RegisterPortAudio(env, exports, features);
#endif
#ifdef DOORWAY_HAS_APM
  RegisterApm(env, exports, features);
  RegisterEchoHarness(env, exports);
#endif
#ifdef DOORWAY_HAS_OPUS
  RegisterOpus(env, exports, features);
#endif
  ExportFeatures(env, exports, features);
  return exports;
}

}  // namespace doorway::audio

static Napi::Object InitAudioAddon(Napi::Env env, Napi::Object exports) {
  return doorway::audio::Init(env, exports);
}

NODE_API_MODULE(audio, InitAudioAddon)
