// Registration entry points of native/audio; one translation unit per feature.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

namespace doorway::audio {

// Every feature unit carries a marker string "doorway-feature:<name>" (see native/video).
void AddFeature(std::vector<std::string>& features, const char* marker);

Napi::Object ProbeResult(Napi::Env env, bool ok, const std::string& error);

#ifdef DOORWAY_HAS_AUDIO_IO
void RegisterPortAudio(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_APM
void RegisterApm(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_OPUS
void RegisterOpus(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif

}  // namespace doorway::audio
