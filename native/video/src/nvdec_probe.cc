// Feature nvdec: h264_cuvid / hevc_cuvid decoders through libavcodec.
#include <string>

#include "codec_probe.h"
#include "features.h"

namespace doorway::video {
namespace {

constexpr char kMarker[] = "doorway-feature:nvdec";

Napi::Value ProbeNvdec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string codec = info.Length() > 0 && info[0].IsString()
                          ? info[0].As<Napi::String>().Utf8Value()
                          : std::string("h264");
  if (codec != "h264" && codec != "hevc") {
    throw Napi::TypeError::New(env, "probeNvdec: codec must be 'h264' or 'hevc'");
  }
  OpenResult result = TryOpenDecoder((codec + "_cuvid").c_str());
  return ProbeResult(env, result.ok, result.error);
}

}  // namespace

void RegisterNvdec(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("probeNvdec", Napi::Function::New(env, ProbeNvdec, "probeNvdec"));
}

}  // namespace doorway::video
