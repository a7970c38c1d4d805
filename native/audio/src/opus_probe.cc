// Feature opus: libopus in its restricted low-delay mode with in-band FEC, one 10 ms stereo
// block encoded and decoded to prove the library works here.
#include <opus/opus.h>

#include <string>
#include <vector>

#include "features.h"

namespace doorway::audio {
namespace {

constexpr char kMarker[] = "doorway-feature:opus";
constexpr int kRate = 48000;
constexpr int kChannels = 2;
constexpr int kBlock = kRate / 100;

std::string RunProbe() {
  int rc = OPUS_OK;
  OpusEncoder* enc =
      opus_encoder_create(kRate, kChannels, OPUS_APPLICATION_RESTRICTED_LOWDELAY, &rc);
  if (rc != OPUS_OK) return std::string("encoder: ") + opus_strerror(rc);
  opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(5));
  OpusDecoder* dec = opus_decoder_create(kRate, kChannels, &rc);
  if (rc != OPUS_OK) {
    opus_encoder_destroy(enc);
    return std::string("decoder: ") + opus_strerror(rc);
  }
  std::vector<opus_int16> pcm(kBlock * kChannels, 0);
  std::vector<unsigned char> packet(1500);
  std::string error;
  opus_int32 bytes = opus_encode(enc, pcm.data(), kBlock, packet.data(), packet.size());
  if (bytes < 0) {
    error = std::string("encode: ") + opus_strerror(bytes);
  } else {
    int samples = opus_decode(dec, packet.data(), bytes, pcm.data(), kBlock, 0);
    if (samples != kBlock) error = std::string("decode: ") + opus_strerror(samples);
  }
  opus_decoder_destroy(dec);
  opus_encoder_destroy(enc);
  return error;
}

Napi::Value OpusInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", opus_get_version_string());
  std::string error = RunProbe();
  out.Set("ok", error.empty());
  if (!error.empty()) out.Set("error", error);
  return out;
}

}  // namespace

void RegisterOpus(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("opusInfo", Napi::Function::New(env, OpusInfo, "opusInfo"));
}

}  // namespace doorway::audio
