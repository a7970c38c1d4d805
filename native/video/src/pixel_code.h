// The pixel code: a frame's number and capture time written into its picture as large black and
// white luma blocks, so they survive a lossy encode and decode and a receiver can tell exactly
// which frame it shows and when it was taken (end-to-end latency without any side channel).
//
// Layout: 128 square blocks at the bottom left, left to right then top to bottom, starting on the
// last 16-row boundary that leaves room for them (why the bottom: pixel_code.cc). Block side, row
// length and position follow the picture size only, so the reader finds the code in any decoded
// picture of the same size:
//   width >= 1024: 16 px blocks, 64 per row, 2 rows  (one block per H.264 macroblock)
//   width >=  256:  8 px blocks, min(64, width/8) per row
//   otherwise:      4 px blocks, width/4 per row     (128 px wide: 32 per row, 4 rows)
// Bits, most significant first: sync byte 0xD5, 32-bit frame number, 56-bit capture time (µs,
// two's complement), CRC-32 (IEEE) of the 12 bytes before it. Bit 1 is luma 235, bit 0 luma 16.
#pragma once

extern "C" {
#include <libavutil/frame.h>
}

#include <cstdint>

namespace doorway::video {

// Where the code goes in a `width`x`height` picture: luma rows [top, top + height) and columns
// [0, width). All zero when it does not fit.
struct PixelCodeArea {
  int top = 0;
  int width = 0;
  int height = 0;
};
PixelCodeArea PixelCodeAreaFor(int width, int height);

// Writes the code into an nv12, yuv420p or yuvj420p frame: luma blocks, and neutral chroma over
// the code area so colour never bleeds into it. Returns false (writes nothing) for other formats
// or pictures too small to hold the code. `captureUs` keeps its low 56 bits.
bool StampPixelCode(AVFrame* frame, uint32_t frameNumber, int64_t captureUs);

// Reads the code from an nv12, yuv420p or yuvj420p frame (luma only). False when the format is
// not one of those, the picture is too small, or the sync byte or CRC does not match. Reads at
// most 8k luma samples and allocates nothing.
bool ReadPixelCode(const AVFrame* frame, uint32_t* frameNumber, int64_t* captureUs);

}  // namespace doorway::video
