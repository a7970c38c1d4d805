// Feature apm: webrtc-audio-processing 0.3 configured as the doorway runs it (AEC with extended
// filter and delay-agnostic mode, noise suppression, high-pass filter, gain control), fed one
// 10 ms block of each direction to prove the library works here.
#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <memory>
#include <string>
#include <vector>

#include "features.h"

namespace doorway::audio {
namespace {

constexpr char kMarker[] = "doorway-feature:apm";
constexpr int kRate = 48000;
constexpr size_t kChannels = 2;
constexpr size_t kBlock = kRate / 100;

std::string Failed(const char* step, int rc) {
  return std::string(step) + " failed with code " + std::to_string(rc);
}

std::string RunProbe() {
  webrtc::Config config;
  config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
  config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
  std::unique_ptr<webrtc::AudioProcessing> apm(webrtc::AudioProcessing::Create(config));
  if (!apm) return "AudioProcessing::Create returned nothing";
  int rc;
  if ((rc = apm->echo_cancellation()->Enable(true)) != 0) return Failed("AEC enable", rc);
  if ((rc = apm->noise_suppression()->Enable(true)) != 0) return Failed("NS enable", rc);
  if ((rc = apm->high_pass_filter()->Enable(true)) != 0) return Failed("HPF enable", rc);
  if ((rc = apm->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital)) != 0) {
    return Failed("AGC mode", rc);
  }
  if ((rc = apm->gain_control()->Enable(true)) != 0) return Failed("AGC enable", rc);

  // The float interface: 0.3's int16 AudioFrame path rejects 48 kHz on the reverse stream.
  std::vector<float> left(kBlock, 0.0f);
  std::vector<float> right(kBlock, 0.0f);
  float* channels[kChannels] = {left.data(), right.data()};
  webrtc::StreamConfig stream(kRate, kChannels);
  if ((rc = apm->ProcessReverseStream(channels, stream, stream, channels)) != 0) {
    return Failed("ProcessReverseStream", rc);
  }
  apm->set_stream_delay_ms(0);
  if ((rc = apm->ProcessStream(channels, stream, stream, channels)) != 0) {
    return Failed("ProcessStream", rc);
  }
  return "";
}

Napi::Value ProbeApm(const Napi::CallbackInfo& info) {
  std::string error = RunProbe();
  return ProbeResult(info.Env(), error.empty(), error);
}

}  // namespace

void RegisterApm(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("probeApm", Napi::Function::New(env, ProbeApm, "probeApm"));
}

}  // namespace doorway::audio
