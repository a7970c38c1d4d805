// Feature v4l2: lists /dev/video* nodes with what VIDIOC_QUERYCAP says of each.
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "features.h"

namespace doorway::video {
namespace {

constexpr char kMarker[] = "doorway-feature:v4l2";

Napi::Object Describe(Napi::Env env, const std::string& path) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("path", path);
  int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    out.Set("error", std::string(std::strerror(errno)));
    return out;
  }
  v4l2_capability cap{};
  if (ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
    out.Set("error", std::string("VIDIOC_QUERYCAP: ") + std::strerror(errno));
    close(fd);
    return out;
  }
  close(fd);
  uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  out.Set("driver", std::string(reinterpret_cast<const char*>(cap.driver)));
  out.Set("card", std::string(reinterpret_cast<const char*>(cap.card)));
  out.Set("busInfo", std::string(reinterpret_cast<const char*>(cap.bus_info)));
  out.Set("capture", (caps & V4L2_CAP_VIDEO_CAPTURE) != 0);
  out.Set("streaming", (caps & V4L2_CAP_STREAMING) != 0);
  return out;
}

Napi::Value V4l2Devices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> nodes = ListDeviceNodes("/dev", "video");
  Napi::Array list = Napi::Array::New(env, nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) list.Set(i, Describe(env, nodes[i]));
  return list;
}

}  // namespace

void RegisterV4l2(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("v4l2Devices", Napi::Function::New(env, V4l2Devices, "v4l2Devices"));
}

}  // namespace doorway::video
