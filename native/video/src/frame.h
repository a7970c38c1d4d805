// Decoded and captured pictures as native frames. JS holds a `VideoFrame` handle: an object that
// owns one reference to an AVFrame. Pixels never leave native memory; parts pass frames to each
// other by reference (av_frame_ref), so a handle can be released as soon as it has been handed on.
#pragma once

#include <napi.h>

extern "C" {
#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
}

#include <cstdint>
#include <memory>
#include <string>

namespace doorway::video {

struct AvFrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
using FramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;

// A new empty AVFrame; throws std::bad_alloc when libavutil cannot allocate one.
FramePtr NewFrame();

// A new reference to `source`'s buffers (no pixel copy).
FramePtr RefFrame(const AVFrame* source);

// Microseconds on CLOCK_REALTIME: the clock JS's `performance.timeOrigin + performance.now()`
// follows, so times taken on native threads compare with times taken in JS.
int64_t RealtimeNowUs();

// Frames of one size and format whose planes come from an AVBufferPool: after warm-up, taking a
// frame allocates no pixel memory. Safe to use from one thread at a time; frames it hands out may
// be freed on any thread.
class FramePool {
 public:
  FramePool(int width, int height, AVPixelFormat format);
  ~FramePool();
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  // A frame with writable planes from the pool; throws std::runtime_error when the pool is out of
  // memory.
  FramePtr Acquire();

  int width() const { return width_; }
  int height() const { return height_; }
  AVPixelFormat format() const { return format_; }

 private:
  int width_;
  int height_;
  AVPixelFormat format_;
  int linesize_[4] = {0, 0, 0, 0};
  size_t plane_bytes_[4] = {0, 0, 0, 0};
  AVBufferPool* pools_[4] = {nullptr, nullptr, nullptr, nullptr};
};

// The JS handle. Not constructible from JS; native parts create it with `VideoFrame::New`.
// JS API: width, height, format (libavutil's name: "nv12", "yuv420p", ...), captureUs,
// frameNumber, released; release().
class VideoFrame : public Napi::ObjectWrap<VideoFrame> {
 public:
  // Defines the class and exports it as `VideoFrame` (for `instanceof`).
  static void Register(Napi::Env env, Napi::Object exports);

  // A new handle that takes ownership of `frame`. `captureUs` is when the picture was taken (the
  // sender's clock; 0 when unknown) and `frameNumber` its number at the source (-1 when unknown).
  static Napi::Object New(Napi::Env env, FramePtr frame, int64_t captureUs, int64_t frameNumber);

  // The live frame behind a JS value; throws a JS TypeError naming `what` when `value` is not a
  // VideoFrame, and an Error when it has been released.
  static VideoFrame& FromValue(const Napi::Value& value, const char* what);

  explicit VideoFrame(const Napi::CallbackInfo& info);

  const AVFrame* frame() const { return frame_.get(); }
  int64_t captureUs() const { return capture_us_; }
  int64_t frameNumber() const { return frame_number_; }

 private:
  Napi::Value Width(const Napi::CallbackInfo& info);
  Napi::Value Height(const Napi::CallbackInfo& info);
  Napi::Value Format(const Napi::CallbackInfo& info);
  Napi::Value CaptureUs(const Napi::CallbackInfo& info);
  Napi::Value FrameNumber(const Napi::CallbackInfo& info);
  Napi::Value Released(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);

  FramePtr frame_;
  int64_t capture_us_ = 0;
  int64_t frame_number_ = -1;
};

// One-line text for a libav error code.
std::string AvError(int code);

}  // namespace doorway::video
