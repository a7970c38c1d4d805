// Registration of the picture tools: the clock, the synthetic camera, the pixel code reader, the
// PNG writer and the Annex B file reader. Each class lives in its own file.
#include <napi.h>

#include "features.h"
#include "frame.h"
#include "pixel_code.h"

namespace doorway::video {

// Defined next to the class they export.
void RegisterPatternSource(Napi::Env env, Napi::Object exports);  // pattern_source.cc
void RegisterPngWriter(Napi::Env env, Napi::Object exports);      // png_writer.cc
void RegisterAnnexBReader(Napi::Env env, Napi::Object exports);   // annexb_reader.cc

namespace {

// JS: nowUs(): number — CLOCK_REALTIME in µs, the clock frames are stamped with.
Napi::Value NowUs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(RealtimeNowUs()));
}

// JS: readPixelCode(frame): {frameNumber, captureUs} | null.
Napi::Value ReadPixelCodeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const AVFrame* frame = VideoFrame::FromValue(info[0], "readPixelCode: frame").frame();
  uint32_t frame_number = 0;
  int64_t capture_us = 0;
  if (!ReadPixelCode(frame, &frame_number, &capture_us)) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("frameNumber", Napi::Number::New(env, frame_number));
  out.Set("captureUs", Napi::Number::New(env, static_cast<double>(capture_us)));
  return out;
}

}  // namespace

void RegisterPicture(Napi::Env env, Napi::Object exports) {
  exports.Set("nowUs", Napi::Function::New<NowUs>(env, "nowUs"));
  exports.Set("readPixelCode", Napi::Function::New<ReadPixelCodeJs>(env, "readPixelCode"));
  RegisterPatternSource(env, exports);
  RegisterPngWriter(env, exports);
  RegisterAnnexBReader(env, exports);
}

}  // namespace doorway::video
