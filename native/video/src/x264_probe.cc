// Feature x264: libx264 through libavcodec with the settings the encoder will use.
#include "codec_probe.h"
#include "features.h"

namespace doorway::video {
namespace {

constexpr char kMarker[] = "doorway-feature:x264";

Napi::Value ProbeX264(const Napi::CallbackInfo& info) {
  AVDictionary* options = nullptr;
  av_dict_set(&options, "preset", "ultrafast", 0);
  av_dict_set(&options, "tune", "zerolatency", 0);
  OpenResult result = TryOpenEncoder("libx264", AV_PIX_FMT_YUV420P, &options);
  av_dict_free(&options);
  return ProbeResult(info.Env(), result.ok, result.error);
}

}  // namespace

void RegisterX264(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("probeX264", Napi::Function::New(env, ProbeX264, "probeX264"));
}

}  // namespace doorway::video
