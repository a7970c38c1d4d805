// Feature sdl: the linked SDL2 version and the video drivers it was built with.
#include <SDL2/SDL.h>

#include <string>

#include "features.h"

namespace doorway::video {
namespace {

constexpr char kMarker[] = "doorway-feature:sdl";

Napi::Value SdlInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SDL_version linked;
  SDL_GetVersion(&linked);
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", std::to_string(linked.major) + "." + std::to_string(linked.minor) + "." +
                         std::to_string(linked.patch));
  int count = SDL_GetNumVideoDrivers();
  Napi::Array drivers = Napi::Array::New(env, count > 0 ? count : 0);
  for (int i = 0; i < count; ++i) drivers.Set(i, SDL_GetVideoDriver(i));
  out.Set("videoDrivers", drivers);
  return out;
}

}  // namespace

void RegisterSdl(Napi::Env env, Napi::Object exports, std::vector<std::string>& features) {
  AddFeature(features, kMarker);
  exports.Set("sdlInfo", Napi::Function::New(env, SdlInfo, "sdlInfo"));
}

}  // namespace doorway::video
