// FrameConverter: libswscale with a cached context and pooled output frames.
#include "convert.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <stdexcept>
#include <string>

namespace doorway::video {
namespace {

std::string FormatName(AVPixelFormat format) {
  const char* name = av_get_pix_fmt_name(format);
  return name != nullptr ? name : "unknown";
}

// The deprecated "yuvj" formats (what MJPEG decodes to) as the plain format plus full range, which
// is how swscale wants them (it warns about yuvj once per context otherwise).
AVPixelFormat WithoutJ(AVPixelFormat format, bool* full_range) {
  *full_range = true;
  switch (format) {
    case AV_PIX_FMT_YUVJ420P:
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      return AV_PIX_FMT_YUV444P;
    default:
      *full_range = false;
      return format;
  }
}

}  // namespace

FrameConverter::FrameConverter(AVPixelFormat out_format, int out_width, int out_height)
    : out_format_(out_format), out_width_(out_width), out_height_(out_height) {}

FrameConverter::~FrameConverter() { sws_freeContext(sws_); }

void FrameConverter::Prepare(const AVFrame* in) {
  const auto format = static_cast<AVPixelFormat>(in->format);
  if (sws_ != nullptr && in->width == in_width_ && in->height == in_height_ && format == in_format_)
    return;
  const int width = out_width_ > 0 ? out_width_ : in->width;
  const int height = out_height_ > 0 ? out_height_ : in->height;
  sws_freeContext(sws_);
  // Same size: point sampling is exact for the chroma layouts we convert between and cheapest.
  const int flags = (width == in->width && height == in->height) ? SWS_POINT : SWS_BILINEAR;
  bool full_range = in->color_range == AVCOL_RANGE_JPEG;
  bool j_format = false;
  const AVPixelFormat plain = WithoutJ(format, &j_format);
  full_range = full_range || j_format;
  sws_ = sws_getContext(in->width, in->height, plain, width, height, out_format_, flags, nullptr,
                        nullptr, nullptr);
  if (sws_ == nullptr) {
    throw std::runtime_error("cannot convert " + FormatName(format) + " to " +
                             FormatName(out_format_));
  }
  if (full_range) {
    // Full-range input to limited-range output (what the encoders and displays expect).
    int* inv_table = nullptr;
    int* table = nullptr;
    int src_range = 0;
    int dst_range = 0;
    int brightness = 0;
    int contrast = 0;
    int saturation = 0;
    sws_getColorspaceDetails(sws_, &inv_table, &src_range, &table, &dst_range, &brightness,
                             &contrast, &saturation);
    sws_setColorspaceDetails(sws_, inv_table, 1, table, dst_range, brightness, contrast,
                             saturation);
  }
  if (!pool_ || pool_->width() != width || pool_->height() != height) {
    pool_ = std::make_unique<FramePool>(width, height, out_format_);
  }
  in_width_ = in->width;
  in_height_ = in->height;
  in_format_ = format;
}

FramePtr FrameConverter::Convert(const AVFrame* in) {
  Prepare(in);
  FramePtr out = pool_->Acquire();
  const int rows = sws_scale(sws_, in->data, in->linesize, 0, in->height, out->data, out->linesize);
  if (rows <= 0) {
    throw std::runtime_error("swscale failed converting " +
                             FormatName(static_cast<AVPixelFormat>(in->format)) + " to " +
                             FormatName(out_format_));
  }
  return out;
}

}  // namespace doorway::video
