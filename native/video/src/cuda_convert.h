// YUYV (4:2:2 packed) to NV12 (4:2:0): the one chroma rule the camera's CPU path, the CUDA kernel
// and the CPU reference of `cudaCompareConversion` share, and (feature cuda) the host side of the
// GPU conversion. Each NV12 chroma sample is the rounded average of the two source rows, so a
// frame converted on either side is the same bytes.
#pragma once

extern "C" {
#include <libavutil/frame.h>
}

#include <cstddef>
#include <cstdint>
#include <string>

#ifdef DOORWAY_HAS_CUDA
#include "cuda/convert.h"
#endif

namespace doorway::video {

// `width` must be even; a last odd row pairs with itself, as in the kernel. Plain loops that the
// compiler vectorises: about 10x faster than swscale's generic packed-to-planar path.
inline void YuyvToNv12Cpu(const uint8_t* yuyv, size_t yuyv_pitch, uint8_t* luma, size_t luma_pitch,
                          uint8_t* chroma, size_t chroma_pitch, int width, int height) {
  const int pairs = width / 2;
  for (int y = 0; y < height; y += 2) {
    const uint8_t* row0 = yuyv + static_cast<size_t>(y) * yuyv_pitch;
    const bool two_rows = y + 1 < height;
    const uint8_t* row1 = two_rows ? row0 + yuyv_pitch : row0;
    uint8_t* out0 = luma + static_cast<size_t>(y) * luma_pitch;
    uint8_t* uv = chroma + static_cast<size_t>(y / 2) * chroma_pitch;
    for (int i = 0; i < pairs; ++i) {
      out0[2 * i] = row0[4 * i];
      out0[2 * i + 1] = row0[4 * i + 2];
      uv[2 * i] = static_cast<uint8_t>((row0[4 * i + 1] + row1[4 * i + 1] + 1) >> 1);
      uv[2 * i + 1] = static_cast<uint8_t>((row0[4 * i + 3] + row1[4 * i + 3] + 1) >> 1);
    }
    if (two_rows) {
      uint8_t* out1 = out0 + luma_pitch;
      for (int i = 0; i < pairs; ++i) {
        out1[2 * i] = row1[4 * i];
        out1[2 * i + 1] = row1[4 * i + 2];
      }
    }
  }
}

#ifdef DOORWAY_HAS_CUDA

// Why CUDA cannot run here, as one line starting "cuda: " ("cuda: no CUDA-capable device is
// detected", "cuda: no CUDA driver is loaded (...)"); empty when device 0 is usable.
std::string CudaUnavailableReason();

// The GPU conversion for one picture size: device buffers and a stream made once. Convert()
// uploads the YUYV picture, runs the kernel and downloads into a (pooled) NV12 frame. The
// download is only there because the encoders take host frames today; an NVENC path can keep the
// result on the GPU (doorway_cuda_yuyv_to_nv12_luma/_chroma) and skip it.
class CudaYuyvToNv12 {
 public:
  // Throws std::runtime_error "cuda: <CUDA's reason>" when there is no usable device.
  CudaYuyvToNv12(int width, int height);
  ~CudaYuyvToNv12();
  CudaYuyvToNv12(const CudaYuyvToNv12&) = delete;
  CudaYuyvToNv12& operator=(const CudaYuyvToNv12&) = delete;

  // `nv12` must be an NV12 frame of this size with writable planes; throws std::runtime_error
  // "cuda: ..." when CUDA fails.
  void Convert(const uint8_t* yuyv, size_t yuyv_pitch, AVFrame* nv12);

  // The same into caller-owned host planes of this size.
  void ConvertTo(const uint8_t* yuyv, size_t yuyv_pitch, uint8_t* luma, size_t luma_pitch,
                 uint8_t* chroma, size_t chroma_pitch);

 private:
  int width_;
  int height_;
  DoorwayCudaYuyvToNv12* gpu_ = nullptr;
};

#endif

}  // namespace doorway::video
