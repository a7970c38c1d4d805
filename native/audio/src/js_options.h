// Reading the optional fields of an options object passed from JS, shared by the addon's entry
// points that take the echo canceller's channel layout.
#pragma once

#include <napi.h>

#include <string>

namespace doorway::audio {

// `key`: "mono" (true) or "stereo" (false), `fallback` when absent.
inline bool OptionalMono(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  const std::string value = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (value != "mono" && value != "stereo") {
    throw Napi::TypeError::New(o.Env(), std::string(key) + " must be \"mono\" or \"stereo\"");
  }
  return value == "mono";
}

}  // namespace doorway::audio
