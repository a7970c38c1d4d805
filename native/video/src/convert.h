// CPU colour conversion and scaling with libswscale, for every path that has no GPU kernel:
// camera YUYV/MJPEG to NV12, decoded frames to what a sink needs, frames to RGB for PNG.
#pragma once

extern "C" {
#include <libswscale/swscale.h>
}

#include <memory>

#include "frame.h"

namespace doorway::video {

// Converts frames to `out_format` at `out_width`x`out_height` (0: the input's size). Keeps its
// swscale context and output pool while the input size and format stay the same, so steady
// streams allocate no pixel memory. One thread at a time.
class FrameConverter {
 public:
  explicit FrameConverter(AVPixelFormat out_format, int out_width = 0, int out_height = 0);
  ~FrameConverter();
  FrameConverter(const FrameConverter&) = delete;
  FrameConverter& operator=(const FrameConverter&) = delete;

  // A new frame in the output format; throws std::runtime_error naming the formats when swscale
  // cannot convert.
  FramePtr Convert(const AVFrame* in);

  AVPixelFormat out_format() const { return out_format_; }

 private:
  void Prepare(const AVFrame* in);

  AVPixelFormat out_format_;
  int out_width_;
  int out_height_;
  int in_width_ = 0;
  int in_height_ = 0;
  AVPixelFormat in_format_ = AV_PIX_FMT_NONE;
  SwsContext* sws_ = nullptr;
  std::unique_ptr<FramePool> pool_;
};

}  // namespace doorway::video
