// native/video addon entry: always the libavcodec probe, then each compiled-in feature.
#include <napi.h>

#include <cstring>

#include "features.h"

namespace doorway::video {

void AddFeature(std::vector<std::string>& features, const char* marker) {
  static constexpr char kPrefix[] = "doorway-feature:";
  features.emplace_back(marker + std::strlen(kPrefix));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  std::vector<std::string> features;
  RegisterCodecProbe(env, exports);
#ifdef DOORWAY_HAS_V4L2
  RegisterV4l2(env, exports, features);
#endif
#ifdef DOORWAY_HAS_X264
  RegisterX264(env, exports, features);
#endif
#ifdef DOORWAY_HAS_NVENC
  RegisterNvenc(env, exports, features);
#endif
#ifdef DOORWAY_HAS_NVDEC
  RegisterNvdec(env, exports, features);
#endif
#ifdef DOORWAY_HAS_SDL
  RegisterSdl(env, exports, features);
#endif
#ifdef DOORWAY_HAS_KMS
  RegisterKms(env, exports, features);
#endif
#ifdef DOORWAY_HAS_CUDA
  RegisterCuda(env, exports, features);
#endif
  Napi::Array list = Napi::Array::New(env, features.size());
  for (size_t i = 0; i < features.size(); ++i) list.Set(i, features[i]);
  exports.Set("features", list);
  return exports;
}

}  // namespace doorway::video

static Napi::Object InitVideoAddon(Napi::Env env, Napi::Object exports) {
  return doorway::video::Init(env, exports);
}

NODE_API_MODULE(video, InitVideoAddon)
