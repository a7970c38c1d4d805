// Feature cuda: the host side of the GPU YUYV -> NV12 conversion the camera uses, and
// `cudaCompareConversion`, which proves the kernel and the CPU rule produce the same bytes.
#include "cuda_convert.h"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda/convert.h"
#include "features.h"

namespace doorway::video {
namespace {

std::string CudaFailure(int code) {
  return std::string("cuda: ") + doorway_cuda_error_string(code);
}

// A YUYV picture whose chroma changes from row to row and pixel to pixel, so a kernel that sited
// chroma differently from the CPU rule (top row instead of the average, or the wrong pair) shows.
std::vector<uint8_t> TestPicture(int width, int height, size_t pitch) {
  std::vector<uint8_t> picture(pitch * static_cast<size_t>(height), 0);
  uint32_t state = 0x2545F491u;
  for (int y = 0; y < height; ++y) {
    uint8_t* row = picture.data() + pitch * static_cast<size_t>(y);
    for (int x = 0; x < width * 2; ++x) {
      state = state * 1664525u + 1013904223u;  // Numerical Recipes LCG: fixed, portable.
      row[x] = static_cast<uint8_t>(state >> 24);
    }
  }
  return picture;
}

int EvenSize(const Napi::Value& value, const char* what) {
  Napi::Env env = value.Env();
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
  const int size = static_cast<int>(number);
  if (!value.IsNumber() || number != size || size < 2 || size > 8192 || (size & 1) != 0) {
    throw Napi::RangeError::New(env, std::string("cudaCompareConversion: ") + what +
                                         " must be an even number from 2 to 8192");
  }
  return size;
}

Napi::Value CudaCompareConversion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int width = EvenSize(info[0], "width");
  const int height = EvenSize(info[1], "height");
  const std::string reason = CudaUnavailableReason();
  if (!reason.empty()) throw Napi::Error::New(env, reason);

  // Rows padded past the picture, as V4L2 and FramePool rows can be, so pitch handling is tested.
  const size_t yuyv_pitch = static_cast<size_t>(width) * 2 + 64;
  const size_t luma_pitch = static_cast<size_t>(width) + 32;
  const size_t chroma_pitch = luma_pitch;
  const size_t chroma_rows = static_cast<size_t>(height + 1) / 2;
  const std::vector<uint8_t> yuyv = TestPicture(width, height, yuyv_pitch);
  std::vector<uint8_t> cpu_luma(luma_pitch * height, 0);
  std::vector<uint8_t> cpu_chroma(chroma_pitch * chroma_rows, 0);
  std::vector<uint8_t> gpu_luma(luma_pitch * height, 0);
  std::vector<uint8_t> gpu_chroma(chroma_pitch * chroma_rows, 0);
  YuyvToNv12Cpu(yuyv.data(), yuyv_pitch, cpu_luma.data(), luma_pitch, cpu_chroma.data(),
                chroma_pitch, width, height);
  try {
    CudaYuyvToNv12 gpu(width, height);
    gpu.ConvertTo(yuyv.data(), yuyv_pitch, gpu_luma.data(), luma_pitch, gpu_chroma.data(),
                  chroma_pitch);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }

  int max_diff = 0;
  double samples = 0;
  auto compare = [&](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, size_t pitch,
                     size_t rows) {
    for (size_t y = 0; y < rows; ++y) {
      for (size_t x = 0; x < static_cast<size_t>(width); ++x) {
        const int diff = std::abs(int{a[y * pitch + x]} - int{b[y * pitch + x]});
        if (diff > max_diff) max_diff = diff;
        samples += 1;
      }
    }
  };
  compare(cpu_luma, gpu_luma, luma_pitch, static_cast<size_t>(height));
  compare(cpu_chroma, gpu_chroma, chroma_pitch, chroma_rows);

  Napi::Object out = Napi::Object::New(env);
  out.Set("maxAbsDiff", max_diff);
  out.Set("samples", samples);
  return out;
}

}  // namespace

std::string CudaUnavailableReason() {
  DoorwayCudaInfo cuda;
  doorway_cuda_query(&cuda);
  if (cuda.device_count > 0 && cuda.error[0] == '\0') return "";
  const std::string error = cuda.error[0] != '\0' ? cuda.error : "";
  // Without libcuda the runtime answers "driver version is insufficient", which misleads.
  if (cuda.driver_version == 0) {
    return "cuda: no CUDA driver is loaded" + (error.empty() ? "" : " (" + error + ")");
  }
  if (!error.empty()) return "cuda: " + error;
  return "cuda: no CUDA-capable device is detected";
}

CudaYuyvToNv12::CudaYuyvToNv12(int width, int height) : width_(width), height_(height) {
  const std::string reason = CudaUnavailableReason();
  if (!reason.empty()) throw std::runtime_error(reason);
  const int rc = doorway_cuda_yuyv_to_nv12_create(width, height, &gpu_);
  if (rc != 0) throw std::runtime_error(CudaFailure(rc));
}

CudaYuyvToNv12::~CudaYuyvToNv12() { doorway_cuda_yuyv_to_nv12_destroy(gpu_); }

void CudaYuyvToNv12::ConvertTo(const uint8_t* yuyv, size_t yuyv_pitch, uint8_t* luma,
                               size_t luma_pitch, uint8_t* chroma, size_t chroma_pitch) {
  const int rc = doorway_cuda_yuyv_to_nv12_host(gpu_, yuyv, yuyv_pitch, luma, luma_pitch, chroma,
                                                chroma_pitch);
  if (rc != 0) throw std::runtime_error(CudaFailure(rc));
}

void CudaYuyvToNv12::Convert(const uint8_t* yuyv, size_t yuyv_pitch, AVFrame* nv12) {
  if (nv12->format != AV_PIX_FMT_NV12 || nv12->width != width_ || nv12->height != height_) {
    throw std::runtime_error("cuda: conversion target is not an NV12 frame of the camera's size");
  }
  ConvertTo(yuyv, yuyv_pitch, nv12->data[0], static_cast<size_t>(nv12->linesize[0]), nv12->data[1],
            static_cast<size_t>(nv12->linesize[1]));
}

void RegisterCudaConvert(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaCompareConversion",
              Napi::Function::New(env, CudaCompareConversion, "cudaCompareConversion"));
}

}  // namespace doorway::video
