// VideoFrame handles and pooled frames.
#include "frame.h"

#include "features.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#include <stdio.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

namespace doorway::video {
namespace {

// Per-environment data: the VideoFrame constructor, so native code can create handles in any
// worker thread that loaded the addon.
struct FrameClassData {
  Napi::FunctionReference constructor;
};

// Passed as the constructor's only argument when native code creates a handle; JS cannot forge it.
struct NativeConstructToken {
  FramePtr frame;
  int64_t capture_us;
  int64_t frame_number;
};

}  // namespace

FramePtr NewFrame() {
  AVFrame* frame = av_frame_alloc();
  if (frame == nullptr) throw std::bad_alloc();
  return FramePtr(frame);
}

FramePtr RefFrame(const AVFrame* source) {
  FramePtr frame = NewFrame();
  const int result = av_frame_ref(frame.get(), source);
  if (result < 0) throw std::runtime_error("cannot reference frame: " + AvError(result));
  return frame;
}

int64_t RealtimeNowUs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

std::string AvError(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, text, sizeof(text));
  return text;
}

FramePool::FramePool(int width, int height, AVPixelFormat format)
    : width_(width), height_(height), format_(format) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("frame size must be positive");
  // Rows aligned to 64 bytes for SIMD in swscale and the encoders.
  if (av_image_fill_linesizes(linesize_, format, FFALIGN(width, 64)) < 0) {
    throw std::invalid_argument(std::string("unsupported pixel format ") +
                                (av_get_pix_fmt_name(format) ? av_get_pix_fmt_name(format) : "?"));
  }
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  const int planes = av_pix_fmt_count_planes(format);
  for (int p = 0; p < planes && p < 4; ++p) {
    const bool chroma = (p == 1 || p == 2) && !(desc->flags & AV_PIX_FMT_FLAG_RGB);
    const int rows = chroma ? AV_CEIL_RSHIFT(height, desc->log2_chroma_h) : height;
    plane_bytes_[p] = static_cast<size_t>(linesize_[p]) * rows + 64;
    pools_[p] = av_buffer_pool_init(plane_bytes_[p], nullptr);
    if (pools_[p] == nullptr) throw std::bad_alloc();
  }
}

FramePool::~FramePool() {
  // Frames still out keep their buffers; the pool itself is freed when the last one returns.
  for (AVBufferPool*& pool : pools_) av_buffer_pool_uninit(&pool);
}

FramePtr FramePool::Acquire() {
  FramePtr frame = NewFrame();
  frame->width = width_;
  frame->height = height_;
  frame->format = format_;
  for (int p = 0; p < 4 && pools_[p] != nullptr; ++p) {
    frame->buf[p] = av_buffer_pool_get(pools_[p]);
    if (frame->buf[p] == nullptr) throw std::runtime_error("frame pool: out of memory");
    frame->data[p] = frame->buf[p]->data;
    frame->linesize[p] = linesize_[p];
  }
  return frame;
}

void VideoFrame::Register(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "VideoFrame",
                                    {
                                        InstanceAccessor<&VideoFrame::Width>("width"),
                                        InstanceAccessor<&VideoFrame::Height>("height"),
                                        InstanceAccessor<&VideoFrame::Format>("format"),
                                        InstanceAccessor<&VideoFrame::CaptureUs>("captureUs"),
                                        InstanceAccessor<&VideoFrame::FrameNumber>("frameNumber"),
                                        InstanceAccessor<&VideoFrame::Released>("released"),
                                        InstanceMethod<&VideoFrame::Release>("release"),
                                    });
  auto* data = new FrameClassData{Napi::Persistent(ctor)};
  env.SetInstanceData<FrameClassData>(data);
  exports.Set("VideoFrame", ctor);
}

Napi::Object VideoFrame::New(Napi::Env env, FramePtr frame, int64_t captureUs,
                             int64_t frameNumber) {
  auto* data = env.GetInstanceData<FrameClassData>();
  NativeConstructToken token{std::move(frame), captureUs, frameNumber};
  return data->constructor.New({Napi::External<NativeConstructToken>::New(env, &token)});
}

VideoFrame::VideoFrame(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VideoFrame>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "VideoFrame handles are made by the video addon");
  }
  auto* token = info[0].As<Napi::External<NativeConstructToken>>().Data();
  frame_ = std::move(token->frame);
  capture_us_ = token->capture_us;
  frame_number_ = token->frame_number;
}

VideoFrame& VideoFrame::FromValue(const Napi::Value& value, const char* what) {
  Napi::Env env = value.Env();
  auto* data = env.GetInstanceData<FrameClassData>();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(data->constructor.Value())) {
    throw Napi::TypeError::New(env, std::string(what) + " must be a VideoFrame");
  }
  VideoFrame* handle = ObjectWrap<VideoFrame>::Unwrap(value.As<Napi::Object>());
  if (!handle->frame_) throw Napi::Error::New(env, std::string(what) + " was already released");
  return *handle;
}

Napi::Value VideoFrame::Width(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), frame_ ? frame_->width : 0);
}

Napi::Value VideoFrame::Height(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), frame_ ? frame_->height : 0);
}

Napi::Value VideoFrame::Format(const Napi::CallbackInfo& info) {
  const char* name =
      frame_ ? av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame_->format)) : nullptr;
  return Napi::String::New(info.Env(), name != nullptr ? name : "none");
}

Napi::Value VideoFrame::CaptureUs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(capture_us_));
}

Napi::Value VideoFrame::FrameNumber(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(frame_number_));
}

Napi::Value VideoFrame::Released(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !frame_);
}

Napi::Value VideoFrame::Release(const Napi::CallbackInfo& info) {
  frame_.reset();
  return info.Env().Undefined();
}

}  // namespace doorway::video

namespace doorway::video {

namespace {

// writeFrameRaw(frame, path, append): the planes, rows packed without padding, as a raw video
// file that other tools read (`ffmpeg -f rawvideo -pix_fmt nv12 -s WxH`). For benchmarks that run
// a peer on the very same pictures; not on any media path.
Napi::Value WriteFrameRaw(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const VideoFrame& handle = VideoFrame::FromValue(info[0], "frame");
  if (!info[1].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  const std::string path = info[1].As<Napi::String>();
  const bool append = info[2].ToBoolean();
  const AVFrame* frame = handle.frame();
  const auto format = static_cast<AVPixelFormat>(frame->format);
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  FILE* file = fopen(path.c_str(), append ? "ab" : "wb");
  if (file == nullptr) throw Napi::Error::New(env, path + ": " + strerror(errno));
  int linesizes[4] = {0, 0, 0, 0};
  av_image_fill_linesizes(linesizes, format, frame->width);
  bool ok = true;
  for (int p = 0; p < av_pix_fmt_count_planes(format) && ok; ++p) {
    const bool chroma = (p == 1 || p == 2) && !(desc->flags & AV_PIX_FMT_FLAG_RGB);
    const int rows = chroma ? AV_CEIL_RSHIFT(frame->height, desc->log2_chroma_h) : frame->height;
    for (int y = 0; y < rows && ok; ++y) {
      const uint8_t* row = frame->data[p] + static_cast<ptrdiff_t>(y) * frame->linesize[p];
      ok = fwrite(row, 1, linesizes[p], file) == static_cast<size_t>(linesizes[p]);
    }
  }
  if (fclose(file) != 0) ok = false;
  if (!ok) throw Napi::Error::New(env, path + ": write failed");
  return env.Undefined();
}

}  // namespace

void RegisterFrame(Napi::Env env, Napi::Object exports) {
  VideoFrame::Register(env, exports);
  exports.Set("writeFrameRaw", Napi::Function::New(env, WriteFrameRaw, "writeFrameRaw"));
}

}  // namespace doorway::video
