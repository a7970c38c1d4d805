// Always compiled: the libavcodec version and which codecs this libavcodec was built with.
#include "codec_probe.h"

extern "C" {
#include <libavutil/avutil.h>
#include <libavutil/log.h>
}

#include "codec_log.h"
#include "features.h"

namespace doorway::video {
namespace {

std::string ErrorText(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

struct KnownCodec {
  const char* name;
  bool encoder;
};

constexpr KnownCodec kKnownCodecs[] = {
    {"libx264", true},     {"h264_nvenc", true},  {"hevc_nvenc", true},
    {"h264_cuvid", false}, {"hevc_cuvid", false}, {"h264", false},
};

Napi::Value Libavcodec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  unsigned version = avcodec_version();
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", std::to_string(AV_VERSION_MAJOR(version)) + "." +
                         std::to_string(AV_VERSION_MINOR(version)) + "." +
                         std::to_string(AV_VERSION_MICRO(version)));
  out.Set("ffmpeg", av_version_info());
  return out;
}

Napi::Value Codecs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  uint32_t index = 0;
  for (const KnownCodec& codec : kKnownCodecs) {
    const AVCodec* found = codec.encoder ? avcodec_find_encoder_by_name(codec.name)
                                         : avcodec_find_decoder_by_name(codec.name);
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", codec.name);
    entry.Set("kind", codec.encoder ? "encoder" : "decoder");
    entry.Set("present", found != nullptr);
    list.Set(index++, entry);
  }
  return list;
}

// Opens and frees the context with its log claimed by a CodecLog (the one log callback every
// codec of this addon shares), so the reason reaches the caller and nothing reaches stderr.
OpenResult OpenAndClose(AVCodecContext* ctx, const AVCodec* codec, AVDictionary** options) {
  CodecLog log;
  log.Attach(ctx);
  const int rc = avcodec_open2(ctx, codec, options);
  // Freed while still attached: x264 prints its summary when closed.
  avcodec_free_context(&ctx);
  std::string logged = log.TakeFirstError();
  log.Detach();
  if (rc >= 0) return {true, ""};
  return {false, logged.empty() ? ErrorText(rc) : logged};
}

}  // namespace

OpenResult TryOpenEncoder(const char* name, AVPixelFormat pix_fmt, AVDictionary** options) {
  const AVCodec* codec = avcodec_find_encoder_by_name(name);
  if (codec == nullptr) return {false, std::string("libavcodec has no encoder ") + name};
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  if (ctx == nullptr) return {false, "out of memory"};
  ctx->width = 256;
  ctx->height = 256;
  ctx->pix_fmt = pix_fmt;
  ctx->time_base = AVRational{1, 60};
  ctx->framerate = AVRational{60, 1};
  ctx->bit_rate = 2'000'000;
  ctx->max_b_frames = 0;
  return OpenAndClose(ctx, codec, options);
}

OpenResult TryOpenDecoder(const char* name) {
  const AVCodec* codec = avcodec_find_decoder_by_name(name);
  if (codec == nullptr) return {false, std::string("libavcodec has no decoder ") + name};
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  if (ctx == nullptr) return {false, "out of memory"};
  ctx->width = 256;
  ctx->height = 256;
  ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
  return OpenAndClose(ctx, codec, nullptr);
}

void RegisterCodecProbe(Napi::Env env, Napi::Object exports) {
  exports.Set("libavcodec", Napi::Function::New(env, Libavcodec, "libavcodec"));
  exports.Set("codecs", Napi::Function::New(env, Codecs, "codecs"));
}

}  // namespace doorway::video
