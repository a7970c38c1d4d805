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

// Packed YUYV (4:2:2, 2 bytes per pixel) to NV12 (4:2:0) on the GPU; all pointers are device
// memory, pitches in bytes. Returns a cudaError_t value (0 on success).
int doorway_cuda_yuyv_to_nv12(const uint8_t* yuyv, size_t yuyv_pitch, uint8_t* luma,
                              size_t luma_pitch, uint8_t* chroma, size_t chroma_pitch, int width,
                              int height, void* stream);
}
