// Stamping and reading the pixel code (layout in pixel_code.h).
#include "pixel_code.h"

extern "C" {
#include <libavutil/crc.h>
#include <libavutil/pixfmt.h>
}

#include <cstring>

namespace doorway::video {
namespace {

constexpr int kBits = 128;
constexpr int kMessageBytes = kBits / 8;
constexpr int kMaxColumns = 64;
constexpr uint8_t kSync = 0xD5;
constexpr uint8_t kLumaOne = 235;
constexpr uint8_t kLumaZero = 16;
constexpr uint8_t kChromaNeutral = 128;
// Threshold halfway between the two levels, compared on sums to stay in integers.
constexpr int kLumaMidTwice = kLumaOne + kLumaZero;

struct Layout {
  int block = 0;
  int columns = 0;
  int rows = 0;
  int top = 0;  // first luma row
  int width() const { return columns * block; }
  int height() const { return rows * block; }
};

// Blocks no smaller than an 8x8 transform where the width allows, and exactly one 16x16
// macroblock each from 1024 px up: a flat block aligned to the coding grid costs the encoder one
// DC coefficient per changed block.
//
// The code sits at the bottom, on the 16-row grid: x264 under a tight VBV sets each slice's QP
// row by row, starting from the frame's (often maximal) QP and lowering it as rows come in under
// budget, so the last rows of a frame are coded best. Measured with our Encoder (one-frame VBV,
// 1280x720 at 60 fps, 1 Mbit/s): at the top the code never read, at the bottom 96% of frames.
Layout LayoutFor(int width, int height) {
  Layout layout;
  layout.block = width >= 1024 ? 16 : width >= 256 ? 8 : 4;
  layout.columns = width / layout.block < kMaxColumns ? width / layout.block : kMaxColumns;
  if (layout.columns <= 0) return Layout{};
  layout.rows = (kBits + layout.columns - 1) / layout.columns;
  if (layout.height() > height) return Layout{};
  layout.top = (height - layout.height()) / 16 * 16;
  return layout;
}

bool IsSupported(int format) {
  return format == AV_PIX_FMT_NV12 || format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P;
}

bool Usable(const AVFrame* frame, const Layout& layout) {
  return layout.columns > 0 && frame->data[0] != nullptr && frame->linesize[0] > 0;
}

uint32_t MessageCrc(const uint8_t* bytes, size_t length) {
  return av_crc(av_crc_get_table(AV_CRC_32_IEEE_LE), UINT32_MAX, bytes, length) ^ UINT32_MAX;
}

void PutBigEndian(uint8_t* out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}

uint64_t GetBigEndian(const uint8_t* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | in[i];
  return value;
}

bool Bit(const uint8_t* message, int index) { return (message[index / 8] >> (7 - index % 8)) & 1; }

}  // namespace

PixelCodeArea PixelCodeAreaFor(int width, int height) {
  const Layout layout = LayoutFor(width, height);
  return PixelCodeArea{layout.top, layout.width(), layout.height()};
}

bool StampPixelCode(AVFrame* frame, uint32_t frameNumber, int64_t captureUs) {
  const Layout layout = LayoutFor(frame->width, frame->height);
  if (!IsSupported(frame->format) || !Usable(frame, layout)) return false;

  uint8_t message[kMessageBytes];
  message[0] = kSync;
  PutBigEndian(message + 1, frameNumber, 4);
  PutBigEndian(message + 5, static_cast<uint64_t>(captureUs), 7);
  PutBigEndian(message + 12, MessageCrc(message, 12), 4);

  // One row of blocks is one luma row repeated `block` times.
  uint8_t row[kMaxColumns * 16];
  for (int r = 0; r < layout.rows; ++r) {
    const int first = r * layout.columns;
    const int count = first + layout.columns <= kBits ? layout.columns : kBits - first;
    for (int c = 0; c < count; ++c) {
      std::memset(row + c * layout.block, Bit(message, first + c) ? kLumaOne : kLumaZero,
                  layout.block);
    }
    // Past the last bit (narrow pictures only): zero blocks, so the area is still fully drawn.
    std::memset(row + count * layout.block, kLumaZero, (layout.columns - count) * layout.block);
    const int y0 = layout.top + r * layout.block;
    for (int y = y0; y < y0 + layout.block; ++y) {
      std::memcpy(frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0], row,
                  layout.width());
    }
  }

  const int chroma_top = layout.top / 2;
  const int chroma_end = (layout.top + layout.height()) / 2;
  if (frame->format == AV_PIX_FMT_NV12) {
    for (int y = chroma_top; y < chroma_end; ++y) {
      std::memset(frame->data[1] + static_cast<ptrdiff_t>(y) * frame->linesize[1], kChromaNeutral,
                  layout.width());
    }
  } else {
    for (int plane = 1; plane <= 2; ++plane) {
      for (int y = chroma_top; y < chroma_end; ++y) {
        std::memset(frame->data[plane] + static_cast<ptrdiff_t>(y) * frame->linesize[plane],
                    kChromaNeutral, layout.width() / 2);
      }
    }
  }
  return true;
}

bool ReadPixelCode(const AVFrame* frame, uint32_t* frameNumber, int64_t* captureUs) {
  const Layout layout = LayoutFor(frame->width, frame->height);
  if (!IsSupported(frame->format) || !Usable(frame, layout)) return false;

  // The inner half of each block (a quarter of its area): the encoder's ringing and any bleed
  // from neighbouring blocks stay near the edges.
  const int inset = layout.block / 4;
  const int inner = layout.block / 2;
  const int samples = inner * inner;
  uint8_t message[kMessageBytes] = {0};
  for (int bit = 0; bit < kBits; ++bit) {
    const int x0 = (bit % layout.columns) * layout.block + inset;
    const int y0 = layout.top + (bit / layout.columns) * layout.block + inset;
    int sum = 0;
    for (int y = y0; y < y0 + inner; ++y) {
      const uint8_t* luma = frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0] + x0;
      for (int x = 0; x < inner; ++x) sum += luma[x];
    }
    if (2 * sum > kLumaMidTwice * samples)
      message[bit / 8] |= static_cast<uint8_t>(0x80 >> bit % 8);
  }

  if (message[0] != kSync) return false;
  if (static_cast<uint32_t>(GetBigEndian(message + 12, 4)) != MessageCrc(message, 12)) return false;
  *frameNumber = static_cast<uint32_t>(GetBigEndian(message + 1, 4));
  // Sign-extend the 56-bit time so small negative stamps come back as they went in.
  const uint64_t raw = GetBigEndian(message + 5, 7);
  constexpr uint64_t kSignBit = uint64_t{1} << 55;
  *captureUs = static_cast<int64_t>((raw ^ kSignBit) - kSignBit);
  return true;
}

}  // namespace doorway::video
