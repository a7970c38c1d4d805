// Feature audio-io: what Debian's PortAudio sees (host APIs and devices), for `doorway doctor`.
#include <portaudio.h>

#include <string>

#include "features.h"
#include "quiet_stderr.h"

namespace doorway::audio {
namespace {

constexpr char kMarker[] = "doorway-feature:audio-io";

Napi::Value PortAudioDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  QuietStderr quiet;
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", Pa_GetVersionText());
  PaError rc = Pa_Initialize();
  if (rc != paNoError) {
    out.Set("error", Pa_GetErrorText(rc));
    out.Set("devices", Napi::Array::New(env));
    return out;
  }
  PaDeviceIndex count = Pa_GetDeviceCount();
  Napi::Array devices = Napi::Array::New(env);
  uint32_t index = 0;
  for (PaDeviceIndex i = 0; i < count; ++i) {
    const PaDeviceInfo* device = Pa_GetDeviceInfo(i);
    if (device == nullptr) continue;
    const PaHostApiInfo* host = Pa_GetHostApiInfo(device->hostApi);
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", device->name);
    entry.Set("hostApi", host != nullptr ? host->name : "?");
    entry.Set("maxInputChannels", device->maxInputChannels);
    entry.Set("maxOutputChannels", device->maxOutputChannels);
    entry.Set("defaultSampleRate", device->defaultSampleRate);
    entry.Set("defaultInput", i == Pa_GetDefaultInputDevice());
    entry.Set("defaultOutput", i == Pa_GetDefaultOutputDevice());
    devices.Set(index++, entry);
  }
  Pa_Terminate();
  out.Set("devices", devices);
  return out;
}

}  // namespace

void RegisterPortAudio(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("portaudioDevices", Napi::Function::New(env, PortAudioDevices, "portaudioDevices"));
}

}  // namespace doorway::audio
