// Feature cuda: C interface of the CUDA kernels, callable from host C++ compiled by g++.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

struct DoorwayCudaInfo {
  int device_count;
  int driver_version;  // 0 where no driver is loaded
  int runtime_version;
  char first_device[256];
  int compute_major;
  int compute_minor;
  char error[256];  // empty when the query succeeded
};

void doorway_cuda_query(DoorwayCudaInfo* info);

// CUDA's own text for a cudaError_t value.
const char* doorway_cuda_error_string(int code);

// Packed YUYV (4:2:2, 2 bytes per pixel) to NV12 (4:2:0) on the GPU; all pointers are device
// memory, pitches in bytes. Each chroma sample is the rounded average of the two source rows
// ((top + bottom + 1) >> 1); a last odd row pairs with itself. Returns a cudaError_t value (0 on
// success).
int doorway_cuda_yuyv_to_nv12(const uint8_t* yuyv, size_t yuyv_pitch, uint8_t* luma,
                              size_t luma_pitch, uint8_t* chroma, size_t chroma_pitch, int width,
                              int height, void* stream);

// Device buffers and a stream for converting pictures of one size, made once per camera so the
// per-frame path allocates nothing.
struct DoorwayCudaYuyvToNv12;

// Allocates the device buffers on device 0; sets *out and returns 0, or returns a cudaError_t.
int doorway_cuda_yuyv_to_nv12_create(int width, int height, DoorwayCudaYuyvToNv12** out);

// Host memory in, host memory out: uploads the YUYV picture, converts, downloads both NV12 planes
// and waits for the stream. Returns a cudaError_t value (0 on success).
int doorway_cuda_yuyv_to_nv12_host(DoorwayCudaYuyvToNv12* converter, const uint8_t* yuyv,
                                   size_t yuyv_pitch, uint8_t* luma, size_t luma_pitch,
                                   uint8_t* chroma, size_t chroma_pitch);

// Device pointers of the last converted picture, for a consumer that stays on the GPU (NVENC can
// take them as a registered CUDA input without the download above).
const uint8_t* doorway_cuda_yuyv_to_nv12_luma(const DoorwayCudaYuyvToNv12* converter,
                                              size_t* pitch);
const uint8_t* doorway_cuda_yuyv_to_nv12_chroma(const DoorwayCudaYuyvToNv12* converter,
                                                size_t* pitch);

void doorway_cuda_yuyv_to_nv12_destroy(DoorwayCudaYuyvToNv12* converter);
}
