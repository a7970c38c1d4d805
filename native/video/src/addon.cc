// native/video addon entry: always the libavcodec probe, then each compiled-in feature.
#include <napi.h>

#include "features.h"

namespace doorway::video {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  std::vector<std::string> features;
  RegisterCodecProbe(env, exports);
  RegisterFrame(env, exports);
  RegisterPicture(env, exports);
  RegisterEncoder(env, exports);
  RegisterDecoder(env, exports);
#ifdef DOORWAY_HAS_V4L2
  RegisterV4l2(env, exports, features);
  RegisterV4l2Capture(env, exports);
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
  RegisterSdlDisplay(env, exports);
#endif
#ifdef DOORWAY_HAS_KMS
  RegisterKms(env, exports, features);
#endif
#ifdef DOORWAY_HAS_CUDA
  RegisterCuda(env, exports, features);
  RegisterCudaConvert(env, exports);
#endif
  ExportFeatures(env, exports, features);
  return exports;
}

}  // namespace doorway::video

static Napi::Object InitVideoAddon(Napi::Env env, Napi::Object exports) {
  return doorway::video::Init(env, exports);
}

NODE_API_MODULE(video, InitVideoAddon)
