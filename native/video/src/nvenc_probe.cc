// Feature nvenc: h264_nvenc / hevc_nvenc through libavcodec with ultra-low-latency settings.
// Where libcuda.so.1 or the encode library is missing, libavcodec's own reason is returned.
#include <string>

#include "codec_probe.h"
#include "features.h"

namespace doorway::video {
namespace {

constexpr char kMarker[] = "doorway-feature:nvenc";

Napi::Value ProbeNvenc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string codec = info.Length() > 0 && info[0].IsString()
                          ? info[0].As<Napi::String>().Utf8Value()
                          : std::string("h264");
  if (codec != "h264" && codec != "hevc") {
    throw Napi::TypeError::New(env, "probeNvenc: codec must be 'h264' or 'hevc'");
  }
  AVDictionary* options = nullptr;
  av_dict_set(&options, "preset", "p1", 0);
  av_dict_set(&options, "tune", "ull", 0);
  av_dict_set(&options, "zerolatency", "1", 0);
  av_dict_set(&options, "delay", "0", 0);
  av_dict_set(&options, "rc", "cbr", 0);
  OpenResult result = TryOpenEncoder((codec + "_nvenc").c_str(), AV_PIX_FMT_NV12, &options);
  av_dict_free(&options);
  return ProbeResult(env, result.ok, result.error);
}

}  // namespace

void RegisterNvenc(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("probeNvenc", Napi::Function::New(env, ProbeNvenc, "probeNvenc"));
}

}  // namespace doorway::video
