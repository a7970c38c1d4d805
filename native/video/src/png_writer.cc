// writeFramePng: a frame to a PNG file, for looking at what a part produced (debugging, test
// artefacts). Not a hot path: each call sets up its own converter and encoder.
#include <napi.h>

extern "C" {
#include <libavcodec/avcodec.h>
}

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "convert.h"
#include "features.h"
#include "frame.h"

namespace doorway::video {
namespace {

struct CodecContextDeleter {
  void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
struct PacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct FileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};

// The PNG bytes of `frame` as RGB24; throws std::runtime_error without the path.
std::unique_ptr<AVPacket, PacketDeleter> EncodePng(const AVFrame* frame) {
  FrameConverter converter(AV_PIX_FMT_RGB24);
  FramePtr rgb = converter.Convert(frame);

  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (codec == nullptr) throw std::runtime_error("this libavcodec has no PNG encoder");
  std::unique_ptr<AVCodecContext, CodecContextDeleter> context(avcodec_alloc_context3(codec));
  std::unique_ptr<AVPacket, PacketDeleter> packet(av_packet_alloc());
  if (!context || !packet) throw std::bad_alloc();
  context->width = rgb->width;
  context->height = rgb->height;
  context->pix_fmt = AV_PIX_FMT_RGB24;
  context->time_base = AVRational{1, 1};
  int result = avcodec_open2(context.get(), codec, nullptr);
  if (result < 0) throw std::runtime_error("cannot open the PNG encoder: " + AvError(result));
  result = avcodec_send_frame(context.get(), rgb.get());
  if (result >= 0) result = avcodec_receive_packet(context.get(), packet.get());
  if (result < 0) throw std::runtime_error("PNG encoding failed: " + AvError(result));
  return packet;
}

void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) throw std::runtime_error(path + ": " + std::strerror(errno));
  if (std::fwrite(data, 1, size, file.get()) != size) {
    throw std::runtime_error(path + ": " + std::strerror(errno));
  }
  // fclose flushes; a full disk shows up here.
  if (std::fclose(file.release()) != 0)
    throw std::runtime_error(path + ": " + std::strerror(errno));
}

// JS: writeFramePng(frame: VideoFrame, path: string): void.
Napi::Value WriteFramePngJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsString()) {
    throw Napi::TypeError::New(env, "writeFramePng: path must be a string");
  }
  const std::string path = info[1].As<Napi::String>().Utf8Value();
  const AVFrame* frame = VideoFrame::FromValue(info[0], "writeFramePng: frame").frame();
  std::unique_ptr<AVPacket, PacketDeleter> png;
  try {
    png = EncodePng(frame);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, path + ": " + e.what());
  }
  try {
    WriteFile(path, png->data, static_cast<size_t>(png->size));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return env.Undefined();
}

}  // namespace

// Called from RegisterPicture (picture.cc).
void RegisterPngWriter(Napi::Env env, Napi::Object exports) {
  exports.Set("writeFramePng", Napi::Function::New<WriteFramePngJs>(env, "writeFramePng"));
}

}  // namespace doorway::video
