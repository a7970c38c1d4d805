// Registration entry points of native/video. Each feature lives in its own translation unit,
// compiled only when the hardware profile enables it; addon.cc calls the ones that exist.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

namespace doorway::video {

// Every feature unit carries a marker string "doorway-feature:<name>". The build test
// reads the addon binary for these markers to prove an absent feature's code is not linked.
void AddFeature(std::vector<std::string>& features, const char* marker);

void RegisterCodecProbe(Napi::Env env, Napi::Object exports);
Napi::Object ProbeResult(Napi::Env env, bool ok, const std::string& error);

#ifdef DOORWAY_HAS_V4L2
void RegisterV4l2(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_X264
void RegisterX264(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_NVENC
void RegisterNvenc(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_NVDEC
void RegisterNvdec(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_SDL
void RegisterSdl(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_KMS
void RegisterKms(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_CUDA
void RegisterCuda(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif

}  // namespace doorway::video
