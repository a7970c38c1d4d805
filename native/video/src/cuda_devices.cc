// Feature cuda: what the CUDA runtime sees (driver, devices), for `doorway doctor`.
#include "cuda/convert.h"
#include "features.h"

namespace doorway::video {
namespace {

constexpr char kMarker[] = "doorway-feature:cuda";

Napi::Value CudaDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DoorwayCudaInfo cuda;
  doorway_cuda_query(&cuda);
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", cuda.device_count);
  out.Set("driverVersion", cuda.driver_version);
  out.Set("runtimeVersion", cuda.runtime_version);
  if (cuda.device_count > 0) {
    out.Set("firstDevice", std::string(cuda.first_device));
    out.Set("computeCapability",
            std::to_string(cuda.compute_major) + "." + std::to_string(cuda.compute_minor));
  }
  if (cuda.error[0] != '\0') out.Set("error", std::string(cuda.error));
  return out;
}

}  // namespace

void RegisterCuda(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("cudaDevices", Napi::Function::New(env, CudaDevices, "cudaDevices"));
}

}  // namespace doorway::video
