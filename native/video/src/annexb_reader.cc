// AnnexBReader: an H.264 or HEVC elementary stream file (what x264 and `ffmpeg -f h264` write)
// cut into access units by libavcodec's parser, so a recorded stream can stand in for a live
// encoder: same packet boundaries, same keyframe flags.
#include <napi.h>

extern "C" {
#include <libavcodec/avcodec.h>
}

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "features.h"
#include "frame.h"

namespace doorway::video {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

// A keyframe by NAL type, for parsers that leave key_frame unset: any H.264 IDR slice or SPS
// (x264's intra-refresh streams have SPS only at the start), any HEVC IRAP picture.
bool HasKeyNal(const uint8_t* data, size_t size, AVCodecID codec) {
  for (size_t i = 0; i + 3 < size; ++i) {
    if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1) continue;
    const uint8_t header = data[i + 3];
    if (codec == AV_CODEC_ID_H264) {
      const int type = header & 0x1F;
      if (type == 5 || type == 7) return true;
    } else {
      const int type = (header >> 1) & 0x3F;
      if (type >= 16 && type <= 21) return true;
    }
    i += 2;
  }
  return false;
}

class AnnexBReader : public Napi::ObjectWrap<AnnexBReader> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("AnnexBReader", DefineClass(env, "AnnexBReader",
                                            {InstanceMethod<&AnnexBReader::Next>("next"),
                                             InstanceMethod<&AnnexBReader::Rewind>("rewind"),
                                             InstanceMethod<&AnnexBReader::Close>("close")}));
  }

  explicit AnnexBReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AnnexBReader>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
      throw Napi::TypeError::New(env, "AnnexBReader: path and codec must be strings");
    }
    path_ = info[0].As<Napi::String>().Utf8Value();
    const std::string codec = info[1].As<Napi::String>().Utf8Value();
    if (codec == "h264") {
      codec_ = AV_CODEC_ID_H264;
    } else if (codec == "hevc") {
      codec_ = AV_CODEC_ID_HEVC;
    } else {
      throw Napi::TypeError::New(
          env, "AnnexBReader " + path_ + ": codec '" + codec + "' is not 'h264' or 'hevc'");
    }
    const char* codec_label = codec_ == AV_CODEC_ID_H264 ? "H.264" : "H.265";

    file_ = std::fopen(path_.c_str(), "rb");
    if (file_ == nullptr) throw Napi::Error::New(env, path_ + ": " + std::strerror(errno));
    uint8_t head[4] = {0, 0, 0, 0};
    const size_t got = std::fread(head, 1, sizeof head, file_);
    if (got < sizeof head && std::ferror(file_)) {
      const int error = errno;
      Release();
      throw Napi::Error::New(env, path_ + ": " + std::strerror(error));
    }
    const bool three = got >= 3 && head[0] == 0 && head[1] == 0 && head[2] == 1;
    const bool four = got >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 0 && head[3] == 1;
    if (!three && !four) {
      Release();
      throw Napi::Error::New(
          env, path_ + " is not an " + codec_label + " Annex B stream (no start code)");
    }
    buffer_.assign(kReadChunk + AV_INPUT_BUFFER_PADDING_SIZE, 0);
    context_ = avcodec_alloc_context3(nullptr);
    if (context_ == nullptr || !Restart()) {
      Release();
      throw Napi::Error::New(env, path_ + ": cannot start the " + codec_label + " parser");
    }
  }

  ~AnnexBReader() override { Release(); }

 private:
  // Back to the first byte with a fresh parser (it keeps state across calls).
  bool Restart() {
    if (parser_ != nullptr) av_parser_close(parser_);
    parser_ = av_parser_init(codec_);
    if (parser_ == nullptr || std::fseek(file_, 0, SEEK_SET) != 0) return false;
    used_ = 0;
    filled_ = 0;
    at_eof_ = false;
    flushed_ = false;
    return true;
  }

  void Release() {
    if (parser_ != nullptr) av_parser_close(parser_);
    parser_ = nullptr;
    avcodec_free_context(&context_);
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
  }

  void CheckOpen(Napi::Env env, const char* method) const {
    if (file_ == nullptr) {
      throw Napi::Error::New(env, "AnnexBReader " + path_ + ": " + method + "() after close()");
    }
  }

  Napi::Value AccessUnit(Napi::Env env, const uint8_t* data, int size) const {
    Napi::Object out = Napi::Object::New(env);
    out.Set("data", Napi::Buffer<uint8_t>::Copy(env, data, static_cast<size_t>(size)));
    out.Set("keyframe", parser_->key_frame == 1 || HasKeyNal(data, size, codec_));
    return out;
  }

  // JS: next(): {data: Buffer, keyframe: boolean} | null (null at the end of the file).
  Napi::Value Next(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env, "next");
    uint8_t* out = nullptr;
    int out_size = 0;
    while (!flushed_) {
      if (used_ == filled_ && !at_eof_) {
        filled_ = std::fread(buffer_.data(), 1, kReadChunk, file_);
        std::memset(buffer_.data() + filled_, 0, AV_INPUT_BUFFER_PADDING_SIZE);
        used_ = 0;
        if (filled_ == 0) {
          if (std::ferror(file_)) throw Napi::Error::New(env, path_ + ": read error");
          at_eof_ = true;
        }
      }
      if (used_ < filled_) {
        const int consumed =
            av_parser_parse2(parser_, context_, &out, &out_size, buffer_.data() + used_,
                             static_cast<int>(filled_ - used_), AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
        if (consumed < 0) {
          throw Napi::Error::New(env, path_ + ": parser failed: " + AvError(consumed));
        }
        used_ += static_cast<size_t>(consumed);
      } else {
        // End of file: an empty input makes the parser hand out the access unit it still holds.
        av_parser_parse2(parser_, context_, &out, &out_size, nullptr, 0, AV_NOPTS_VALUE,
                         AV_NOPTS_VALUE, 0);
        flushed_ = true;
      }
      if (out_size > 0) return AccessUnit(env, out, out_size);
    }
    return env.Null();
  }

  Napi::Value Rewind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env, "rewind");
    if (!Restart()) throw Napi::Error::New(env, path_ + ": cannot rewind");
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  std::string path_;
  AVCodecID codec_ = AV_CODEC_ID_NONE;
  FILE* file_ = nullptr;
  AVCodecContext* context_ = nullptr;
  AVCodecParserContext* parser_ = nullptr;
  // One read buffer for the reader's life, with the zeroed padding libavcodec's parsers read past
  // the end of their input.
  std::vector<uint8_t> buffer_;
  size_t used_ = 0;
  size_t filled_ = 0;
  bool at_eof_ = false;
  bool flushed_ = false;
};

}  // namespace

// Called from RegisterPicture (picture.cc).
void RegisterAnnexBReader(Napi::Env env, Napi::Object exports) {
  AnnexBReader::Register(env, exports);
}

}  // namespace doorway::video
