// Shared by doorway's addons: the feature markers, probe results and device-node listing.
#pragma once

#include <dirent.h>
#include <napi.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace doorway {

// Every feature unit carries a marker string "doorway-feature:<name>". The build test reads the
// addon binary for these markers to prove an absent feature's code is not linked.
inline void AddFeature(std::vector<std::string>& features, const char* marker) {
  static constexpr char kPrefix[] = "doorway-feature:";
  features.emplace_back(marker + std::strlen(kPrefix));
}

// Exports the list of compiled features as `features`.
inline void ExportFeatures(Napi::Env env, Napi::Object exports,
                           const std::vector<std::string>& features) {
  Napi::Array list = Napi::Array::New(env, features.size());
  for (size_t i = 0; i < features.size(); ++i) list.Set(i, features[i]);
  exports.Set("features", list);
}

// { ok: true } or { ok: false, error }: whether a native part worked on this machine.
inline Napi::Object ProbeResult(Napi::Env env, bool ok, const std::string& error) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", ok);
  if (!ok) out.Set("error", error);
  return out;
}

// Sorted paths of the entries of `dir` whose names start with `prefix` (e.g. /dev, "video").
inline std::vector<std::string> ListDeviceNodes(const char* dir, const char* prefix) {
  std::vector<std::string> nodes;
  DIR* handle = opendir(dir);
  if (handle == nullptr) return nodes;
  const size_t length = std::strlen(prefix);
  while (dirent* entry = readdir(handle)) {
    if (std::strncmp(entry->d_name, prefix, length) == 0) {
      nodes.push_back(std::string(dir) + "/" + entry->d_name);
    }
  }
  closedir(handle);
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

}  // namespace doorway
