// Feature sdl: SdlDisplay, a window that shows the newest VideoFrame. One display thread owns SDL
// entirely (init, window, renderer, texture, events), because SDL's video subsystem is not
// thread-safe and some drivers (x11, kmsdrm) tie their state to the thread that created it.
// present() on the JS thread only parks a frame reference in a single slot and wakes that thread:
// a frame that was not shown before a newer one arrived is dropped, never queued, so the window
// is never behind the stream.
#include <SDL2/SDL.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "convert.h"
#include "features.h"
#include "frame.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace doorway::video {
namespace {

// How long the constructor waits for the display thread to open the window.
constexpr auto kOpenTimeout = std::chrono::seconds(5);
// How long snapshot() waits for the display thread to read the window back.
constexpr auto kSnapshotTimeout = std::chrono::seconds(2);
// Longest the display thread sleeps without pumping SDL events, so the window stays responsive
// (moves, exposes, close requests) when no frames arrive.
constexpr auto kEventPumpInterval = std::chrono::milliseconds(10);
// Events in flight to JS at once; an event that finds all of them busy is counted and dropped.
constexpr int kEventSlots = 16;

// SDL's video subsystem is process-global: a second display thread would share (and SDL_Quit)
// the first one's state, so one display is open at a time.
std::atomic<bool> g_display_open{false};

enum class EventKind { kPresented, kClosed, kError };

struct EventSlot {
  std::atomic<bool> busy{false};
  EventKind kind = EventKind::kPresented;
  double tag = 0;
  int64_t frame_number = -1;
  int64_t capture_us = 0;
  int64_t presented_us = 0;
  int64_t render_us = 0;
  std::string error;
};

struct DisplayOptions {
  std::string title = "doorway";
  int width = 0;
  int height = 0;
  bool fullscreen = false;
  bool vsync = false;
};

enum class OpenState { kPending, kOpen, kFailed };

struct DisplayShared;
void CallJs(Napi::Env env, Napi::Function callback, DisplayShared* shared, EventSlot* slot);
using EventTsfn = Napi::TypedThreadSafeFunction<DisplayShared, EventSlot, CallJs>;

// What the JS thread and the display thread share. The display thread and the TSFN (whose
// callbacks read the event slots) each hold a shared_ptr, so it outlives whichever ends last.
struct DisplayShared {
  DisplayShared() : pending(NewFrame()) {}

  DisplayOptions options;
  EventTsfn tsfn;

  std::mutex mutex;
  std::condition_variable wake;      // the display thread waits on it
  std::condition_variable answered;  // the JS thread waits on it (open, snapshot)

  // Guarded by mutex.
  OpenState open_state = OpenState::kPending;
  std::string open_error;
  std::string video_driver;
  std::string renderer_name;
  bool stop = false;
  // False once Node has finalised the TSFN (after close(), or when the environment is torn down
  // without close()); nothing may call it after that.
  bool tsfn_alive = true;
  FramePtr pending;  // the newest frame not yet taken by the display thread (empty when none)
  bool has_pending = false;
  double pending_tag = 0;
  int64_t pending_capture_us = 0;
  int64_t pending_frame_number = -1;
  bool snapshot_requested = false;
  bool snapshot_done = false;
  FramePtr snapshot;
  int64_t snapshot_capture_us = 0;
  int64_t snapshot_frame_number = -1;
  std::string snapshot_error;

  std::atomic<uint64_t> presented{0};
  std::atomic<uint64_t> replaced{0};
  std::atomic<uint64_t> events_dropped{0};
  std::atomic<uint64_t> errors{0};

  EventSlot slots[kEventSlots];
  int next_slot = 0;  // display thread only
};

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string SdlError() {
  const char* error = SDL_GetError();
  return OneLine(error != nullptr && *error != '\0' ? error : "unknown SDL error");
}

bool Supported(int format) {
  return format == AV_PIX_FMT_NV12 || format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P;
}

// The YUV to RGB matrix SDL should use for this frame (SDL applies it when it draws).
SDL_YUV_CONVERSION_MODE ConversionMode(const AVFrame* frame) {
  if (frame->format == AV_PIX_FMT_YUVJ420P || frame->color_range == AVCOL_RANGE_JPEG) {
    return SDL_YUV_CONVERSION_JPEG;
  }
  switch (frame->colorspace) {
    case AVCOL_SPC_BT709:
      return SDL_YUV_CONVERSION_BT709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
      return SDL_YUV_CONVERSION_BT601;
    default:
      return SDL_YUV_CONVERSION_AUTOMATIC;
  }
}

// Everything SDL, owned and used by the display thread only.
class DisplayThread {
 public:
  explicit DisplayThread(std::shared_ptr<DisplayShared> shared)
      : shared_(std::move(shared)), current_(NewFrame()) {}

  void Run() {
    pthread_setname_np(pthread_self(), "doorway-display");
    std::string error;
    const bool opened = Open(error);
    bool run = false;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      if (opened && !shared_->stop) {
        shared_->open_state = OpenState::kOpen;
        run = true;
      } else {
        shared_->open_state = OpenState::kFailed;
        shared_->open_error = opened ? "display: opening was abandoned" : error;
      }
    }
    shared_->answered.notify_all();
    if (run) Loop();
    Teardown();
    g_display_open.store(false);
  }

 private:
  // Runs while the constructor waits for it, so JS cannot change the environment under the
  // getenv calls here and in SDL_Init.
  bool Open(std::string& error) {
    const DisplayOptions& options = shared_->options;
    // Node owns SIGINT/SIGTERM; SDL's handlers would turn them into SDL_QUIT events.
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    // Without an X or Wayland session the appliance shows on the console through KMS.
    // SDL_VIDEODRIVER in the environment still wins over this default-priority hint.
    const bool chose_kmsdrm = std::getenv("SDL_VIDEODRIVER") == nullptr &&
                              std::getenv("DISPLAY") == nullptr &&
                              std::getenv("WAYLAND_DISPLAY") == nullptr;
    if (chose_kmsdrm) SDL_SetHint(SDL_HINT_VIDEODRIVER, "kmsdrm");
    SDL_SetMainReady();
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
      error = "display: cannot open a window (" + SdlError() + DriverContext(chose_kmsdrm) + ")";
      return false;
    }
    Uint32 window_flags = SDL_WINDOW_SHOWN | SDL_WINDOW_RESIZABLE;
    if (options.fullscreen) window_flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    window_ = SDL_CreateWindow(options.title.c_str(), SDL_WINDOWPOS_CENTERED,
                               SDL_WINDOWPOS_CENTERED, options.width, options.height, window_flags);
    if (window_ == nullptr) {
      error = "display: cannot open a " + std::to_string(options.width) + "x" +
              std::to_string(options.height) + " window on " + CurrentDriver() + " (" + SdlError() +
              ")";
      return false;
    }
    if (options.fullscreen) SDL_ShowCursor(SDL_DISABLE);
    // Any renderer that works, best first; vsync makes SDL_RenderPresent wait for the flip.
    const Uint32 renderer_flags = options.vsync ? Uint32{SDL_RENDERER_PRESENTVSYNC} : Uint32{0};
    renderer_ = SDL_CreateRenderer(window_, -1, renderer_flags);
    if (renderer_ == nullptr) {
      error = "display: cannot create a renderer on " + CurrentDriver() + " (" + SdlError() + ")";
      return false;
    }
    SDL_RendererInfo info{};
    SDL_GetRendererInfo(renderer_, &info);
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->video_driver = CurrentDriver();
      shared_->renderer_name = info.name != nullptr ? info.name : "unknown";
    }
    // A black window until the first frame.
    Draw();
    SDL_RenderPresent(renderer_);
    return true;
  }

  static std::string CurrentDriver() {
    const char* driver = SDL_GetCurrentVideoDriver();
    return driver != nullptr ? driver : "no video driver";
  }

  static std::string DriverContext(bool chose_kmsdrm) {
    if (chose_kmsdrm) return "; kmsdrm chosen because neither DISPLAY nor WAYLAND_DISPLAY is set";
    const char* driver = std::getenv("SDL_VIDEODRIVER");
    if (driver == nullptr) return "";
    const std::string name = driver;
    if (name == "x11" && std::getenv("DISPLAY") == nullptr) return ": no DISPLAY";
    if (name == "wayland" && std::getenv("WAYLAND_DISPLAY") == nullptr) {
      return ": no WAYLAND_DISPLAY";
    }
    return "";
  }

  void Loop() {
    for (;;) {
      bool have_frame = false;
      bool want_snapshot = false;
      double tag = 0;
      {
        std::unique_lock<std::mutex> lock(shared_->mutex);
        shared_->wake.wait_for(lock, kEventPumpInterval, [this] {
          return shared_->stop || shared_->has_pending || shared_->snapshot_requested;
        });
        if (shared_->stop) return;
        if (shared_->has_pending) {
          av_frame_unref(current_.get());
          av_frame_move_ref(current_.get(), shared_->pending.get());
          shared_->has_pending = false;
          tag = shared_->pending_tag;
          current_capture_us_ = shared_->pending_capture_us;
          current_frame_number_ = shared_->pending_frame_number;
          have_frame = true;
        }
        want_snapshot = shared_->snapshot_requested;
      }
      if (have_frame) ShowCurrent(tag);
      PumpEvents();
      if (want_snapshot) TakeSnapshot();
    }
  }

  void ShowCurrent(double tag) {
    const int64_t start_us = RealtimeNowUs();
    std::string error;
    const bool uploaded = Upload(current_.get(), error);
    // The texture has its own copy now; the frame's buffers go back to their pool at once.
    av_frame_unref(current_.get());
    if (!uploaded) {
      shared_->errors.fetch_add(1);
      EventSlot* slot = TakeSlot();
      if (slot == nullptr) return;
      slot->kind = EventKind::kError;
      slot->tag = tag;
      slot->frame_number = current_frame_number_;
      slot->error = error;
      Emit(slot);
      return;
    }
    shown_capture_us_ = current_capture_us_;
    shown_frame_number_ = current_frame_number_;
    Draw();
    SDL_RenderPresent(renderer_);
    const int64_t presented_us = RealtimeNowUs();
    shared_->presented.fetch_add(1);
    EventSlot* slot = TakeSlot();
    if (slot == nullptr) return;
    slot->kind = EventKind::kPresented;
    slot->tag = tag;
    slot->frame_number = current_frame_number_;
    slot->capture_us = current_capture_us_;
    slot->presented_us = presented_us;
    slot->render_us = presented_us - start_us;
    Emit(slot);
  }

  bool Upload(const AVFrame* frame, std::string& error) {
    const bool nv12 = frame->format == AV_PIX_FMT_NV12;
    const Uint32 format = nv12 ? SDL_PIXELFORMAT_NV12 : SDL_PIXELFORMAT_IYUV;
    const SDL_YUV_CONVERSION_MODE mode = ConversionMode(frame);
    if (texture_ == nullptr || texture_width_ != frame->width || texture_height_ != frame->height ||
        texture_format_ != format || texture_mode_ != mode) {
      if (texture_ != nullptr) SDL_DestroyTexture(texture_);
      // SDL reads the (global) conversion mode for YUV textures; only this thread uses SDL.
      SDL_SetYUVConversionMode(mode);
      texture_ = SDL_CreateTexture(renderer_, format, SDL_TEXTUREACCESS_STREAMING, frame->width,
                                   frame->height);
      if (texture_ == nullptr) {
        error = "display: cannot create a " + std::to_string(frame->width) + "x" +
                std::to_string(frame->height) + " " + (nv12 ? "NV12" : "IYUV") + " texture (" +
                SdlError() + ")";
        return false;
      }
      texture_width_ = frame->width;
      texture_height_ = frame->height;
      texture_format_ = format;
      texture_mode_ = mode;
    }
    sample_aspect_ = frame->sample_aspect_ratio;
    if (frame->linesize[0] <= 0 || frame->linesize[1] <= 0 || (!nv12 && frame->linesize[2] <= 0)) {
      error = "display: cannot show a frame with bottom-up rows";
      return false;
    }
    const int result =
        nv12 ? SDL_UpdateNVTexture(texture_, nullptr, frame->data[0], frame->linesize[0],
                                   frame->data[1], frame->linesize[1])
             : SDL_UpdateYUVTexture(texture_, nullptr, frame->data[0], frame->linesize[0],
                                    frame->data[1], frame->linesize[1], frame->data[2],
                                    frame->linesize[2]);
    if (result != 0) {
      error = "display: cannot upload a frame (" + SdlError() + ")";
      return false;
    }
    return true;
  }

  // Black, then the last uploaded picture scaled to fit the window with its aspect kept.
  void Draw() {
    SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
    SDL_RenderClear(renderer_);
    if (texture_ == nullptr) return;
    int out_width = 0;
    int out_height = 0;
    if (SDL_GetRendererOutputSize(renderer_, &out_width, &out_height) != 0 || out_width <= 0 ||
        out_height <= 0) {
      return;
    }
    double picture_width = texture_width_;
    if (sample_aspect_.num > 0 && sample_aspect_.den > 0) {
      picture_width = picture_width * sample_aspect_.num / sample_aspect_.den;
    }
    const double scale_x = out_width / picture_width;
    const double scale_y = static_cast<double>(out_height) / texture_height_;
    const double scale = scale_x < scale_y ? scale_x : scale_y;
    SDL_Rect target;
    target.w = static_cast<int>(picture_width * scale + 0.5);
    target.h = static_cast<int>(texture_height_ * scale + 0.5);
    target.x = (out_width - target.w) / 2;
    target.y = (out_height - target.h) / 2;
    SDL_RenderCopy(renderer_, texture_, nullptr, &target);
  }

  void PumpEvents() {
    SDL_Event event;
    bool redraw = false;
    while (SDL_PollEvent(&event) != 0) {
      switch (event.type) {
        case SDL_QUIT:
          ReportClosed();
          break;
        case SDL_WINDOWEVENT:
          switch (event.window.event) {
            case SDL_WINDOWEVENT_CLOSE:
              ReportClosed();
              break;
            case SDL_WINDOWEVENT_EXPOSED:
            case SDL_WINDOWEVENT_SIZE_CHANGED:
              redraw = true;
              break;
            default:
              break;
          }
          break;
        case SDL_RENDER_DEVICE_RESET:
          // The texture is gone with the device; the next frame recreates it.
          if (texture_ != nullptr) SDL_DestroyTexture(texture_);
          texture_ = nullptr;
          redraw = true;
          break;
        case SDL_RENDER_TARGETS_RESET:
          redraw = true;
          break;
        default:
          break;
      }
    }
    if (redraw) {
      Draw();
      SDL_RenderPresent(renderer_);
    }
  }

  void ReportClosed() {
    if (close_reported_) return;
    close_reported_ = true;
    EventSlot* slot = TakeSlot();
    if (slot == nullptr) return;
    slot->kind = EventKind::kClosed;
    Emit(slot);
  }

  // Reads back what the window shows (drawn again into the back buffer, not presented) as a
  // yuv420p frame. Diagnostics and tests only: it allocates.
  void TakeSnapshot() {
    FramePtr result;
    std::string error;
    try {
      Draw();
      int width = 0;
      int height = 0;
      if (SDL_GetRendererOutputSize(renderer_, &width, &height) != 0) {
        throw std::runtime_error("display: cannot read the window size (" + SdlError() + ")");
      }
      FramePtr rgb = NewFrame();
      rgb->format = AV_PIX_FMT_RGB24;
      rgb->width = width;
      rgb->height = height;
      const int allocated = av_frame_get_buffer(rgb.get(), 0);
      if (allocated < 0) throw std::runtime_error("display: snapshot: " + AvError(allocated));
      if (SDL_RenderReadPixels(renderer_, nullptr, SDL_PIXELFORMAT_RGB24, rgb->data[0],
                               rgb->linesize[0]) != 0) {
        throw std::runtime_error("display: cannot read the window back (" + SdlError() + ")");
      }
      if (!snapshot_converter_) {
        snapshot_converter_ = std::make_unique<FrameConverter>(AV_PIX_FMT_YUV420P);
      }
      result = snapshot_converter_->Convert(rgb.get());
    } catch (const std::exception& e) {
      error = OneLine(e.what());
    }
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->snapshot = std::move(result);
      shared_->snapshot_error = error;
      shared_->snapshot_capture_us = shown_capture_us_;
      shared_->snapshot_frame_number = shown_frame_number_;
      shared_->snapshot_requested = false;
      shared_->snapshot_done = true;
    }
    shared_->answered.notify_all();
  }

  EventSlot* TakeSlot() {
    for (int i = 0; i < kEventSlots; ++i) {
      EventSlot& slot = shared_->slots[(shared_->next_slot + i) % kEventSlots];
      bool expected = false;
      if (slot.busy.compare_exchange_strong(expected, true)) {
        shared_->next_slot = (shared_->next_slot + i + 1) % kEventSlots;
        return &slot;
      }
    }
    // JS is far behind; never wait for it.
    shared_->events_dropped.fetch_add(1);
    return nullptr;
  }

  void Emit(EventSlot* slot) {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (!shared_->tsfn_alive || shared_->tsfn.NonBlockingCall(slot) != napi_ok) {
      slot->busy.store(false);
      shared_->events_dropped.fetch_add(1);
    }
  }

  void Teardown() {
    if (texture_ != nullptr) SDL_DestroyTexture(texture_);
    if (renderer_ != nullptr) SDL_DestroyRenderer(renderer_);
    if (window_ != nullptr) SDL_DestroyWindow(window_);
    texture_ = nullptr;
    renderer_ = nullptr;
    window_ = nullptr;
    // SDL_Quit also after a failed SDL_Init: it clears the hints and half-initialised state.
    SDL_Quit();
  }

  std::shared_ptr<DisplayShared> shared_;
  FramePtr current_;
  int64_t current_capture_us_ = 0;
  int64_t current_frame_number_ = -1;
  int64_t shown_capture_us_ = 0;
  int64_t shown_frame_number_ = -1;
  bool close_reported_ = false;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  int texture_width_ = 0;
  int texture_height_ = 0;
  Uint32 texture_format_ = 0;
  SDL_YUV_CONVERSION_MODE texture_mode_ = SDL_YUV_CONVERSION_AUTOMATIC;
  AVRational sample_aspect_{0, 1};
  std::unique_ptr<FrameConverter> snapshot_converter_;
};

void CallJs(Napi::Env env, Napi::Function callback, DisplayShared*, EventSlot* slot) {
  const EventKind kind = slot->kind;
  const double tag = slot->tag;
  const int64_t frame_number = slot->frame_number;
  const int64_t capture_us = slot->capture_us;
  const int64_t presented_us = slot->presented_us;
  const int64_t render_us = slot->render_us;
  std::string error;
  if (kind == EventKind::kError) error.swap(slot->error);
  slot->busy.store(false);
  if (env == nullptr || callback.IsEmpty()) return;
  try {
    Napi::Object event = Napi::Object::New(env);
    switch (kind) {
      case EventKind::kPresented:
        event.Set("kind", "presented");
        event.Set("tag", tag);
        event.Set("frameNumber", static_cast<double>(frame_number));
        event.Set("captureUs", static_cast<double>(capture_us));
        event.Set("presentedUs", static_cast<double>(presented_us));
        event.Set("renderUs", static_cast<double>(render_us));
        break;
      case EventKind::kClosed:
        event.Set("kind", "closed");
        break;
      case EventKind::kError:
        event.Set("kind", "error");
        event.Set("tag", tag);
        event.Set("frameNumber", static_cast<double>(frame_number));
        event.Set("error", error);
        break;
    }
    callback.Call({event});
  } catch (const Napi::Error& e) {
    // A throwing handler becomes an uncaught exception, as for any event emitter.
    e.ThrowAsJavaScriptException();
  }
}

bool OptionalBool(const Napi::Object& options, const char* name, bool fallback) {
  Napi::Value value = options.Get(name);
  if (value.IsUndefined()) return fallback;
  if (!value.IsBoolean()) {
    throw Napi::TypeError::New(options.Env(),
                               std::string("display: options.") + name + " must be a boolean");
  }
  return value.As<Napi::Boolean>().Value();
}

int WindowSide(const Napi::Object& options, const char* name) {
  Napi::Value value = options.Get(name);
  const double side = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : 0;
  if (!value.IsNumber() || side < 1 || side > 16384 || side != static_cast<int>(side)) {
    throw Napi::TypeError::New(options.Env(), std::string("display: options.") + name +
                                                  " must be a whole number from 1 to 16384");
  }
  return static_cast<int>(side);
}

class SdlDisplay : public Napi::ObjectWrap<SdlDisplay> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("SdlDisplay", DefineClass(env, "SdlDisplay",
                                          {
                                              InstanceMethod<&SdlDisplay::Present>("present"),
                                              InstanceMethod<&SdlDisplay::Stats>("stats"),
                                              InstanceMethod<&SdlDisplay::Info>("info"),
                                              InstanceMethod<&SdlDisplay::Snapshot>("snapshot"),
                                              InstanceMethod<&SdlDisplay::Close>("close"),
                                          }));
  }

  explicit SdlDisplay(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SdlDisplay>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(env, "display: options must be an object");
    }
    Napi::Object options = info[0].As<Napi::Object>();
    auto shared = std::make_shared<DisplayShared>();
    Napi::Value title = options.Get("title");
    if (!title.IsUndefined()) {
      if (!title.IsString()) throw Napi::TypeError::New(env, "display: options.title must be text");
      shared->options.title = title.As<Napi::String>().Utf8Value();
    }
    shared->options.width = WindowSide(options, "width");
    shared->options.height = WindowSide(options, "height");
    shared->options.fullscreen = OptionalBool(options, "fullscreen", false);
    shared->options.vsync = OptionalBool(options, "vsync", false);
    Napi::Function callback;
    if (info.Length() >= 2 && !info[1].IsUndefined()) {
      if (!info[1].IsFunction()) {
        throw Napi::TypeError::New(env, "display: onPresented must be a function");
      }
      callback = info[1].As<Napi::Function>();
    } else {
      callback = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
    }

    bool expected = false;
    if (!g_display_open.compare_exchange_strong(expected, true)) {
      throw Napi::Error::New(env, "display: a window is already open in this process");
    }
    // The TSFN keeps the event slots alive until its last callback has run.
    shared->tsfn = EventTsfn::New(
        env, callback, "doorway-display", 0, 1, shared.get(),
        [](Napi::Env, std::shared_ptr<DisplayShared>* keep, DisplayShared* context) {
          {
            std::lock_guard<std::mutex> lock(context->mutex);
            context->tsfn_alive = false;
            context->stop = true;
          }
          context->wake.notify_one();
          delete keep;
        },
        new std::shared_ptr<DisplayShared>(shared));
    try {
      thread_ = std::thread([runner = std::make_shared<DisplayThread>(shared)] { runner->Run(); });
    } catch (const std::system_error& e) {
      ReleaseEvents(*shared);
      g_display_open.store(false);
      throw Napi::Error::New(env,
                             std::string("display: cannot start its thread (") + e.what() + ")");
    }

    std::unique_lock<std::mutex> lock(shared->mutex);
    const bool settled = shared->answered.wait_for(
        lock, kOpenTimeout, [&] { return shared->open_state != OpenState::kPending; });
    if (settled && shared->open_state == OpenState::kOpen) {
      shared_ = std::move(shared);
      return;
    }
    std::string error = shared->open_error;
    if (!settled) {
      // SDL is stuck inside a driver; leave the thread to finish on its own. It sees `stop`
      // and emits nothing, so releasing the TSFN now is safe.
      shared->stop = true;
      lock.unlock();
      thread_.detach();
      error = "display: no window after 5 s (the SDL video driver did not answer)";
    } else {
      lock.unlock();
      thread_.join();
    }
    ReleaseEvents(*shared);
    throw Napi::Error::New(env, error);
  }

  ~SdlDisplay() override { Shutdown(); }

 private:
  Napi::Value Present(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!shared_) throw Napi::Error::New(env, "display: closed");
    VideoFrame& handle = VideoFrame::FromValue(info[0], "display: frame");
    const AVFrame* frame = handle.frame();
    if (!Supported(frame->format)) {
      const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format));
      throw Napi::Error::New(env, std::string("display: cannot show ") +
                                      (name != nullptr ? name : "unknown") +
                                      " frames (nv12, yuv420p or yuvj420p)");
    }
    if (info.Length() < 2 || !info[1].IsNumber()) {
      throw Napi::TypeError::New(env, "display: tag must be a number");
    }
    const double tag = info[1].As<Napi::Number>().DoubleValue();
    bool replaced = false;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      if (shared_->has_pending) {
        av_frame_unref(shared_->pending.get());
        shared_->has_pending = false;
        replaced = true;
      }
      const int result = av_frame_ref(shared_->pending.get(), frame);
      if (result < 0) {
        throw Napi::Error::New(env,
                               "display: cannot reference the frame (" + AvError(result) + ")");
      }
      shared_->has_pending = true;
      shared_->pending_tag = tag;
      shared_->pending_capture_us = handle.captureUs();
      shared_->pending_frame_number = handle.frameNumber();
    }
    if (replaced) shared_->replaced.fetch_add(1);
    shared_->wake.notify_one();
    return Napi::Boolean::New(env, !replaced);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (shared_) SaveCounters();
    Napi::Object out = Napi::Object::New(env);
    out.Set("presented", static_cast<double>(presented_));
    out.Set("replaced", static_cast<double>(replaced_));
    out.Set("eventsDropped", static_cast<double>(events_dropped_));
    out.Set("errors", static_cast<double>(errors_));
    return out;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!shared_) throw Napi::Error::New(env, "display: closed");
    Napi::Object out = Napi::Object::New(env);
    std::lock_guard<std::mutex> lock(shared_->mutex);
    out.Set("videoDriver", shared_->video_driver);
    out.Set("renderer", shared_->renderer_name);
    out.Set("width", shared_->options.width);
    out.Set("height", shared_->options.height);
    out.Set("fullscreen", shared_->options.fullscreen);
    out.Set("vsync", shared_->options.vsync);
    return out;
  }

  // What the window shows now, read back as a yuv420p VideoFrame carrying the captureUs and
  // frameNumber of the frame on screen (-1: none yet). Blocks the JS thread briefly.
  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!shared_) throw Napi::Error::New(env, "display: closed");
    std::unique_lock<std::mutex> lock(shared_->mutex);
    shared_->snapshot_requested = true;
    shared_->snapshot_done = false;
    shared_->wake.notify_one();
    if (!shared_->answered.wait_for(lock, kSnapshotTimeout,
                                    [this] { return shared_->snapshot_done; })) {
      shared_->snapshot_requested = false;
      throw Napi::Error::New(env, "display: the display thread did not answer a snapshot in 2 s");
    }
    FramePtr frame = std::move(shared_->snapshot);
    const std::string error = shared_->snapshot_error;
    const int64_t capture_us = shared_->snapshot_capture_us;
    const int64_t frame_number = shared_->snapshot_frame_number;
    lock.unlock();
    if (!frame) throw Napi::Error::New(env, error);
    return VideoFrame::New(env, std::move(frame), capture_us, frame_number);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void SaveCounters() {
    presented_ = shared_->presented.load();
    replaced_ = shared_->replaced.load();
    events_dropped_ = shared_->events_dropped.load();
    errors_ = shared_->errors.load();
  }

  void Shutdown() {
    if (!shared_) return;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->stop = true;
    }
    shared_->wake.notify_one();
    if (thread_.joinable()) thread_.join();
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      av_frame_unref(shared_->pending.get());
      shared_->has_pending = false;
    }
    SaveCounters();
    ReleaseEvents(*shared_);
    shared_.reset();
  }

  static void ReleaseEvents(DisplayShared& shared) {
    std::lock_guard<std::mutex> lock(shared.mutex);
    if (shared.tsfn_alive) shared.tsfn.Release();
  }

  std::shared_ptr<DisplayShared> shared_;
  std::thread thread_;
  // The counters as last read, so stats() still answers after close().
  uint64_t presented_ = 0;
  uint64_t replaced_ = 0;
  uint64_t events_dropped_ = 0;
  uint64_t errors_ = 0;
};

}  // namespace

void RegisterSdlDisplay(Napi::Env env, Napi::Object exports) { SdlDisplay::Register(env, exports); }

}  // namespace doorway::video
