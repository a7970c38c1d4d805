// Feature kms: lists /dev/dri/card* with the kernel driver behind each and its connected outputs.
#include <fcntl.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "features.h"

namespace doorway::video {
namespace {

constexpr char kMarker[] = "doorway-feature:kms";

Napi::Object Describe(Napi::Env env, const std::string& path) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("path", path);
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    out.Set("error", std::string(std::strerror(errno)));
    return out;
  }
  if (drmVersionPtr version = drmGetVersion(fd)) {
    out.Set("driver", std::string(version->name, version->name_len));
    drmFreeVersion(version);
  }
  uint32_t connected = 0;
  if (drmModeResPtr res = drmModeGetResources(fd)) {
    for (int i = 0; i < res->count_connectors; ++i) {
      if (drmModeConnectorPtr conn = drmModeGetConnector(fd, res->connectors[i])) {
        if (conn->connection == DRM_MODE_CONNECTED) ++connected;
        drmModeFreeConnector(conn);
      }
    }
    drmModeFreeResources(res);
  }
  out.Set("connectedOutputs", connected);
  close(fd);
  return out;
}

Napi::Value DrmDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> nodes = ListDeviceNodes("/dev/dri", "card");
  Napi::Array list = Napi::Array::New(env, nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) list.Set(i, Describe(env, nodes[i]));
  return list;
}

}  // namespace

void RegisterKms(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("drmDevices", Napi::Function::New(env, DrmDevices, "drmDevices"));
}

}  // namespace doorway::video
