// Feature cuda: YUYV -> NV12 conversion on the GPU, so camera frames never visit the CPU.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>

#include "convert.h"

namespace {

// One thread per 2x2 block of output pixels: two luma rows and one interleaved UV pair,
// averaging the chroma of the two source rows (4:2:2 -> 4:2:0).
__global__ void YuyvToNv12(const uint8_t* yuyv, size_t yuyv_pitch, uint8_t* luma, size_t luma_pitch,
                           uint8_t* chroma, size_t chroma_pitch, int width, int height) {
  int bx = blockIdx.x * blockDim.x + threadIdx.x;
  int by = blockIdx.y * blockDim.y + threadIdx.y;
  int x = bx * 2;
  int y = by * 2;
  if (x >= width || y >= height) return;
  const uint8_t* row0 = yuyv + static_cast<size_t>(y) * yuyv_pitch + static_cast<size_t>(x) * 2;
  const uint8_t* row1 = y + 1 < height ? row0 + yuyv_pitch : row0;
  uint8_t* out0 = luma + static_cast<size_t>(y) * luma_pitch + x;
  out0[0] = row0[0];
  out0[1] = row0[2];
  if (y + 1 < height) {
    uint8_t* out1 = out0 + luma_pitch;
    out1[0] = row1[0];
    out1[1] = row1[2];
  }
  uint8_t* uv = chroma + static_cast<size_t>(by) * chroma_pitch + x;
  uv[0] = static_cast<uint8_t>((row0[1] + row1[1] + 1) >> 1);
  uv[1] = static_cast<uint8_t>((row0[3] + row1[3] + 1) >> 1);
}

void CopyError(char* dst, size_t n, const char* text) {
  std::strncpy(dst, text, n - 1);
  dst[n - 1] = '\0';
}

}  // namespace

extern "C" void doorway_cuda_query(DoorwayCudaInfo* info) {
  std::memset(info, 0, sizeof *info);
  cudaDriverGetVersion(&info->driver_version);
  cudaRuntimeGetVersion(&info->runtime_version);
  cudaError_t rc = cudaGetDeviceCount(&info->device_count);
  if (rc != cudaSuccess) {
    info->device_count = 0;
    CopyError(info->error, sizeof info->error, cudaGetErrorString(rc));
    return;
  }
  if (info->device_count > 0) {
    cudaDeviceProp prop;
    rc = cudaGetDeviceProperties(&prop, 0);
    if (rc != cudaSuccess) {
      CopyError(info->error, sizeof info->error, cudaGetErrorString(rc));
      return;
    }
    CopyError(info->first_device, sizeof info->first_device, prop.name);
    info->compute_major = prop.major;
    info->compute_minor = prop.minor;
  }
}

extern "C" const char* doorway_cuda_error_string(int code) {
  return cudaGetErrorString(static_cast<cudaError_t>(code));
}

extern "C" int doorway_cuda_yuyv_to_nv12(const uint8_t* yuyv, size_t yuyv_pitch, uint8_t* luma,
                                         size_t luma_pitch, uint8_t* chroma, size_t chroma_pitch,
                                         int width, int height, void* stream) {
  if (width <= 0 || height <= 0 || (width & 1) != 0) return cudaErrorInvalidValue;
  dim3 block(16, 8);
  dim3 grid((width / 2 + block.x - 1) / block.x, ((height + 1) / 2 + block.y - 1) / block.y);
  YuyvToNv12<<<grid, block, 0, static_cast<cudaStream_t>(stream)>>>(
      yuyv, yuyv_pitch, luma, luma_pitch, chroma, chroma_pitch, width, height);
  return static_cast<int>(cudaGetLastError());
}

struct DoorwayCudaYuyvToNv12 {
  int width = 0;
  int height = 0;
  cudaStream_t stream = nullptr;
  uint8_t* yuyv = nullptr;
  size_t yuyv_pitch = 0;
  uint8_t* luma = nullptr;
  size_t luma_pitch = 0;
  uint8_t* chroma = nullptr;
  size_t chroma_pitch = 0;
};

extern "C" void doorway_cuda_yuyv_to_nv12_destroy(DoorwayCudaYuyvToNv12* converter) {
  if (converter == nullptr) return;
  if (converter->stream != nullptr) cudaStreamSynchronize(converter->stream);
  cudaFree(converter->yuyv);
  cudaFree(converter->luma);
  cudaFree(converter->chroma);
  if (converter->stream != nullptr) cudaStreamDestroy(converter->stream);
  delete converter;
}

extern "C" int doorway_cuda_yuyv_to_nv12_create(int width, int height,
                                                DoorwayCudaYuyvToNv12** out) {
  *out = nullptr;
  if (width <= 0 || height <= 0 || (width & 1) != 0) return cudaErrorInvalidValue;
  auto* converter = new DoorwayCudaYuyvToNv12;
  converter->width = width;
  converter->height = height;
  const size_t w = static_cast<size_t>(width);
  const size_t h = static_cast<size_t>(height);
  // A non-blocking stream: the camera thread's copies never wait on work of other streams.
  cudaError_t rc = cudaStreamCreateWithFlags(&converter->stream, cudaStreamNonBlocking);
  if (rc == cudaSuccess) rc = cudaMallocPitch(&converter->yuyv, &converter->yuyv_pitch, w * 2, h);
  if (rc == cudaSuccess) rc = cudaMallocPitch(&converter->luma, &converter->luma_pitch, w, h);
  if (rc == cudaSuccess) {
    rc = cudaMallocPitch(&converter->chroma, &converter->chroma_pitch, w, (h + 1) / 2);
  }
  if (rc != cudaSuccess) {
    doorway_cuda_yuyv_to_nv12_destroy(converter);
    return static_cast<int>(rc);
  }
  *out = converter;
  return 0;
}

extern "C" int doorway_cuda_yuyv_to_nv12_host(DoorwayCudaYuyvToNv12* c, const uint8_t* yuyv,
                                              size_t yuyv_pitch, uint8_t* luma, size_t luma_pitch,
                                              uint8_t* chroma, size_t chroma_pitch) {
  const size_t w = static_cast<size_t>(c->width);
  const size_t h = static_cast<size_t>(c->height);
  // Pageable host memory (the V4L2 mmap buffer, a pooled AVFrame): the copies stage through the
  // driver's pinned buffers, which is fine at camera rates and needs no registration.
  cudaError_t rc = cudaMemcpy2DAsync(c->yuyv, c->yuyv_pitch, yuyv, yuyv_pitch, w * 2, h,
                                     cudaMemcpyHostToDevice, c->stream);
  if (rc != cudaSuccess) return static_cast<int>(rc);
  int kernel = doorway_cuda_yuyv_to_nv12(c->yuyv, c->yuyv_pitch, c->luma, c->luma_pitch, c->chroma,
                                         c->chroma_pitch, c->width, c->height, c->stream);
  if (kernel != 0) return kernel;
  rc = cudaMemcpy2DAsync(luma, luma_pitch, c->luma, c->luma_pitch, w, h, cudaMemcpyDeviceToHost,
                         c->stream);
  if (rc != cudaSuccess) return static_cast<int>(rc);
  rc = cudaMemcpy2DAsync(chroma, chroma_pitch, c->chroma, c->chroma_pitch, w, (h + 1) / 2,
                         cudaMemcpyDeviceToHost, c->stream);
  if (rc != cudaSuccess) return static_cast<int>(rc);
  return static_cast<int>(cudaStreamSynchronize(c->stream));
}

extern "C" const uint8_t* doorway_cuda_yuyv_to_nv12_luma(const DoorwayCudaYuyvToNv12* c,
                                                         size_t* pitch) {
  *pitch = c->luma_pitch;
  return c->luma;
}

extern "C" const uint8_t* doorway_cuda_yuyv_to_nv12_chroma(const DoorwayCudaYuyvToNv12* c,
                                                           size_t* pitch) {
  *pitch = c->chroma_pitch;
  return c->chroma;
}
