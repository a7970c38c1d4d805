// Registration entry points of native/video. Each feature lives in its own translation unit,
// compiled only when the hardware profile enables it; addon.cc calls the ones that exist.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "addon_support.h"

namespace doorway::video {

using doorway::AddFeature;
using doorway::ProbeResult;

void RegisterCodecProbe(Napi::Env env, Napi::Object exports);
// VideoFrame handles (frame.cc).
void RegisterFrame(Napi::Env env, Napi::Object exports);
// Synthetic camera, pixel code, PNG writer, Annex B file reader, clock (picture.cc and friends).
void RegisterPicture(Napi::Env env, Napi::Object exports);
// Encoder and Decoder classes (encoder.cc, decoder.cc); implementations follow the features.
void RegisterEncoder(Napi::Env env, Napi::Object exports);
void RegisterDecoder(Napi::Env env, Napi::Object exports);

#ifdef DOORWAY_HAS_V4L2
void RegisterV4l2(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
void RegisterV4l2Capture(Napi::Env env, Napi::Object exports);
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
void RegisterSdlDisplay(Napi::Env env, Napi::Object exports);
#endif
#ifdef DOORWAY_HAS_KMS
void RegisterKms(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
#endif
#ifdef DOORWAY_HAS_CUDA
void RegisterCuda(Napi::Env env, Napi::Object exports, std::vector<std::string>& features);
void RegisterCudaConvert(Napi::Env env, Napi::Object exports);
#endif

}  // namespace doorway::video
