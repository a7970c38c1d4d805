// Registration entry points of native/audio; one translation unit per feature.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "addon_support.h"

namespace doorway::audio {

using doorway::AddFeature;
using doorway::ProbeResult;

// Always built: the engine (ports, codec, echo canceller wired together), the device test and the
// DSP cost measurements.
void RegisterEngine(Napi::Env env, Napi::Object exports);
void RegisterAudioTest(Napi::Env env, Napi::Object exports);
void RegisterDspBench(Napi::Env env, Napi::Object exports);

#ifdef DOORWAY_HAS_AUDIO_IO
void RegisterPortAudio(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_APM
void RegisterApm(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
void RegisterEchoHarness(Napi::Env env, Napi::Object exports);
#endif
#ifdef DOORWAY_HAS_OPUS
void RegisterOpus(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif

}  // namespace doorway::audio
