// PatternSource: the synthetic camera. NV12 frames from a pool with a picture that moves every
// frame (so encoders do real motion search and code real residuals) and the pixel code stamped
// in its band at the bottom.
//
// Picture, top to bottom: colour bars (still), a luma ramp scrolling right, the pixel code band
// (grey right of the code); over bars and ramp a checked box bouncing around. Everything is a pure
// function of the frame number, so any frame can be reproduced. Most of the picture stays still,
// as in a room seen by a fixed camera: under a tight VBV at low bitrates a picture that moves
// everywhere starves the code rows of bits.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "features.h"
#include "frame.h"
#include "pixel_code.h"

namespace doorway::video {
namespace {

constexpr int kMinWidth = 128;
constexpr int kMinHeight = 64;
// Large enough for any display we drive; keeps a typo from allocating gigabytes per frame.
constexpr int kMaxWidth = 8192;
constexpr int kMaxHeight = 8192;
// Speeds in luma pixels per frame, even so chroma (half resolution) moves in whole samples.
constexpr int kRampScroll = 2;
constexpr int kBoxSpeedX = 6;
constexpr int kBoxSpeedY = 4;
constexpr int kBoxCheck = 8;
constexpr uint8_t kGrey = 128;

struct Yuv {
  uint8_t y, u, v;
};

// 75% colour bars in BT.601 limited range: white, yellow, cyan, green, magenta, red, blue, black.
constexpr Yuv kBars[] = {{180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
                         {84, 184, 198},  {65, 100, 212}, {35, 212, 114}, {16, 128, 128}};
constexpr int kBarCount = sizeof(kBars) / sizeof(kBars[0]);

// Position along a bouncing path of `range` pixels (triangle wave), even.
int Bounce(uint32_t frameNumber, int speed, int range) {
  if (range <= 0) return 0;
  const uint64_t period = 2 * static_cast<uint64_t>(range);
  const auto t = static_cast<int>((static_cast<uint64_t>(frameNumber) * speed) % period);
  return (t < range ? t : 2 * range - t) & ~1;
}

// Draws frames of one size. All rows of a band are the same, so each band is one precomputed row
// (the ramp's twice as long, so a scrolled row is a single memcpy) that stays in L1: a frame costs
// about one pass of stores, and every byte of it is written, as pooled frames come back dirty.
class PatternPainter {
 public:
  PatternPainter(int width, int height) : width_(width), height_(height) {
    const PixelCodeArea code = PixelCodeAreaFor(width, height);
    code_top_ = code.top;
    code_width_ = code.width;
    code_end_ = code.top + code.height;
    ramp_top_ = (code_top_ * 2 / 3) & ~1;
    box_side_ = std::max(16, std::min(width, code_top_) / 5);
    box_side_ = std::min({box_side_, width, code_top_}) & ~1;

    bar_luma_.resize(width);
    bar_chroma_.resize(width);
    for (int x = 0; x < width; ++x) {
      bar_luma_[x] = kBars[x * kBarCount / width].y;
      // Interleaved U,V: bytes x&~1 and x|1 are the chroma of luma pixels x&~1 and x|1.
      const Yuv& pair = kBars[(x & ~1) * kBarCount / width];
      bar_chroma_[x] = (x & 1) ? pair.v : pair.u;
    }
    ramp_luma_.resize(2 * static_cast<size_t>(width));
    for (int x = 0; x < 2 * width; ++x) {
      ramp_luma_[x] = static_cast<uint8_t>(16 + (x % width) * 219 / (width - 1));
    }
    for (int phase = 0; phase < 2; ++phase) {
      box_luma_[phase].resize(box_side_);
      for (int x = 0; x < box_side_; ++x) {
        box_luma_[phase][x] = ((x / kBoxCheck + phase) & 1) ? 235 : 40;
      }
    }
  }

  void Paint(AVFrame* frame, uint32_t frameNumber) const {
    uint8_t* luma = frame->data[0];
    uint8_t* chroma = frame->data[1];
    const ptrdiff_t luma_stride = frame->linesize[0];
    const ptrdiff_t chroma_stride = frame->linesize[1];

    for (int y = 0; y < ramp_top_; ++y) {
      std::memcpy(luma + y * luma_stride, bar_luma_.data(), width_);
    }
    for (int y = 0; y < ramp_top_ / 2; ++y) {
      std::memcpy(chroma + y * chroma_stride, bar_chroma_.data(), width_);
    }
    // Starting `width - shift` into the doubled row moves the ramp right by `shift`.
    const auto shift = static_cast<int>(static_cast<uint64_t>(frameNumber) * kRampScroll % width_);
    const uint8_t* ramp = ramp_luma_.data() + (width_ - shift) % width_;
    for (int y = ramp_top_; y < code_top_; ++y) std::memcpy(luma + y * luma_stride, ramp, width_);
    for (int y = ramp_top_ / 2; y < code_top_ / 2; ++y) {
      std::memset(chroma + y * chroma_stride, kGrey, width_);
    }
    // Code band: StampPixelCode draws the code itself; the rest of the band is flat grey.
    for (int y = code_top_; y < height_; ++y) {
      const int from = y < code_end_ ? code_width_ : 0;
      std::memset(luma + y * luma_stride + from, kGrey, width_ - from);
    }
    for (int y = code_top_ / 2; y < height_ / 2; ++y) {
      const int from = y < code_end_ / 2 ? code_width_ : 0;
      std::memset(chroma + y * chroma_stride + from, kGrey, width_ - from);
    }

    // The box: 8 px checks of yellow and dark red.
    const int box_x = Bounce(frameNumber, kBoxSpeedX, width_ - box_side_);
    const int box_y = Bounce(frameNumber, kBoxSpeedY, code_top_ - box_side_);
    for (int y = 0; y < box_side_; ++y) {
      std::memcpy(luma + (box_y + y) * luma_stride + box_x, box_luma_[(y / kBoxCheck) & 1].data(),
                  box_side_);
    }
    for (int y = 0; y < box_side_ / 2; ++y) {
      uint8_t* row = chroma + (box_y / 2 + y) * chroma_stride + box_x;
      for (int x = 0; x < box_side_; x += 2) {
        row[x] = 64;
        row[x + 1] = 200;
      }
    }
  }

 private:
  int width_;
  int height_;
  int code_top_ = 0;
  int code_width_ = 0;
  int code_end_ = 0;
  int ramp_top_ = 0;
  int box_side_ = 0;
  std::vector<uint8_t> bar_luma_;
  std::vector<uint8_t> bar_chroma_;
  std::vector<uint8_t> ramp_luma_;
  std::vector<uint8_t> box_luma_[2];
};

// JS: new PatternSource(width, height); capture(frameNumber, captureUs): VideoFrame.
class PatternSource : public Napi::ObjectWrap<PatternSource> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("PatternSource", DefineClass(env, "PatternSource",
                                             {InstanceMethod<&PatternSource::Capture>("capture"),
                                              InstanceAccessor<&PatternSource::Width>("width"),
                                              InstanceAccessor<&PatternSource::Height>("height")}));
  }

  explicit PatternSource(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PatternSource>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(env, "PatternSource: width and height must be numbers");
    }
    const double width = info[0].As<Napi::Number>().DoubleValue();
    const double height = info[1].As<Napi::Number>().DoubleValue();
    const std::string size = FormatSize(width) + "x" + FormatSize(height);
    if (!(width >= kMinWidth && height >= kMinHeight && width <= kMaxWidth &&
          height <= kMaxHeight) ||
        std::floor(width) != width || std::floor(height) != height ||
        static_cast<int>(width) % 2 != 0 || static_cast<int>(height) % 2 != 0) {
      throw Napi::RangeError::New(env, "PatternSource: size " + size +
                                           " must be even, at least 128x64 and at most 8192x8192");
    }
    try {
      pool_ = std::make_unique<FramePool>(static_cast<int>(width), static_cast<int>(height),
                                          AV_PIX_FMT_NV12);
      painter_ =
          std::make_unique<PatternPainter>(static_cast<int>(width), static_cast<int>(height));
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, "PatternSource " + size + ": " + e.what());
    }
  }

 private:
  static std::string FormatSize(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
  }

  Napi::Value Capture(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(
          env, "PatternSource.capture: frameNumber and captureUs must be numbers");
    }
    const double number = info[0].As<Napi::Number>().DoubleValue();
    const double capture_us = info[1].As<Napi::Number>().DoubleValue();
    if (!(number >= 0 && number <= 4294967295.0) || std::floor(number) != number) {
      throw Napi::RangeError::New(
          env, "PatternSource.capture: frameNumber must be an integer from 0 to 4294967295");
    }
    // The pixel code keeps 56 bits of it; anything in that range is also a valid int64.
    if (!(std::fabs(capture_us) < 36028797018963968.0)) {
      throw Napi::RangeError::New(env,
                                  "PatternSource.capture: captureUs must be a number within ±2^55");
    }
    const auto frame_number = static_cast<uint32_t>(number);
    const auto us = static_cast<int64_t>(capture_us);
    FramePtr frame;
    try {
      frame = pool_->Acquire();
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, std::string("PatternSource.capture: ") + e.what());
    }
    painter_->Paint(frame.get(), frame_number);
    StampPixelCode(frame.get(), frame_number, us);
    frame->pts = frame_number;
    return VideoFrame::New(env, std::move(frame), us, frame_number);
  }

  Napi::Value Width(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), pool_->width());
  }

  Napi::Value Height(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), pool_->height());
  }

  std::unique_ptr<FramePool> pool_;
  std::unique_ptr<PatternPainter> painter_;
};

}  // namespace

// Called from RegisterPicture (picture.cc).
void RegisterPatternSource(Napi::Env env, Napi::Object exports) {
  PatternSource::Register(env, exports);
}

}  // namespace doorway::video
