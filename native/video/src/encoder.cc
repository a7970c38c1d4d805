// The `Encoder` class: libx264 or NVENC through libavcodec, tuned for one thing, the lowest
// delay from frame in to packet out: no B-frames, no lookahead, a one-frame VBV, slice threads.
// With an onPacket callback it encodes on its own thread, always the newest frame; without one,
// encodeSync encodes on the calling thread (tests, benches, files).
#include <napi.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
}

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "codec_annexb.h"
#include "codec_log.h"
#include "convert.h"
#include "features.h"
#include "frame.h"

namespace doorway::video {
namespace {

struct EncoderConfig {
  bool hevc = false;
  bool nvenc = false;
  int width = 0;
  int height = 0;
  double fps = 0;
  int64_t bitrate = 0;
  int gop_frames = 0;
  bool intra_refresh = false;
};

// What the JS side knows a frame by, carried from the input frame to its packet.
struct FrameMeta {
  int64_t pts = -1;
  int64_t capture_us = 0;
  int64_t frame_number = -1;
};

struct AvDictionaryDeleter {
  void operator()(AVDictionary* dict) const { av_dict_free(&dict); }
};

struct AvCodecContextDeleter {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};

struct AvPacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};

const char* EncoderName(const EncoderConfig& config) {
  if (config.nvenc) return config.hevc ? "hevc_nvenc" : "h264_nvenc";
  return "libx264";
}

// The VBV size for `bitrate`: one frame's worth, rounded up to whole kbit because libx264 takes
// it in kbit and would otherwise warn that it is smaller than one frame.
int VbvBits(int64_t bitrate, double fps) {
  const double bits = std::ceil(static_cast<double>(bitrate) / fps / 1000.0) * 1000.0;
  return static_cast<int>(std::min(bits, 2.0e9));
}

// Formats the encoders take as they are; anything else is converted to the opened format.
bool TakesDirectly(AVPixelFormat format) {
  return format == AV_PIX_FMT_NV12 || format == AV_PIX_FMT_YUV420P;
}

#ifdef DOORWAY_HAS_NVENC
// NVENC's ultra-low-latency mode: one frame in, its packet out, CBR with the VBV set by Open.
void SetNvencOptions(AVDictionary** options) {
  av_dict_set(options, "preset", "p1", 0);
  av_dict_set(options, "tune", "ull", 0);
  av_dict_set(options, "zerolatency", "1", 0);
  av_dict_set(options, "delay", "0", 0);
  av_dict_set(options, "rc", "cbr", 0);
  av_dict_set(options, "rc-lookahead", "0", 0);
  av_dict_set(options, "strict_gop", "0", 0);
  // With delay 0 a frame's packet comes out before the next frame goes in; the second surface
  // only spares a retry should libavcodec hold on to the first a moment longer.
  av_dict_set(options, "surfaces", "2", 0);
}
#endif

#ifdef DOORWAY_HAS_X264
void SetX264Options(AVCodecContext* ctx, AVDictionary** options) {
  av_dict_set(options, "preset", "ultrafast", 0);
  av_dict_set(options, "tune", "zerolatency", 0);
  av_dict_set(options, "rc-lookahead", "0", 0);
  // zerolatency already implies these; spelt out because the latency depends on them.
  // scenecut=0: keyframes only when asked or at the GOP end, so frame sizes stay predictable.
  av_dict_set(options, "x264-params", "sync-lookahead=0:bframes=0:scenecut=0", 0);
  // Slice threads split each frame; frame threads would add a frame of delay per thread.
  ctx->thread_type = FF_THREAD_SLICE;
  ctx->thread_count = 0;  // as many as x264 sees fit for the cores
}
#endif

// The libavcodec encoder itself. One thread at a time, except RequestBitrate (any thread).
class CodecEncoder {
 public:
  explicit CodecEncoder(const EncoderConfig& config)
      : config_(config), name_(EncoderName(config)), packet_(av_packet_alloc()) {
    if (!packet_) throw std::bad_alloc();
    requested_bitrate_.store(config.bitrate);
    Open(AV_PIX_FMT_NV12);
  }

  ~CodecEncoder() { Free(); }
  CodecEncoder(const CodecEncoder&) = delete;
  CodecEncoder& operator=(const CodecEncoder&) = delete;

  // Takes effect before the next frame: both libavcodec wrappers compare these fields with
  // what they configured on every frame and reconfigure the running encoder when they differ.
  void RequestBitrate(int64_t bps) { requested_bitrate_.store(bps, std::memory_order_relaxed); }

  const char* name() const { return name_; }

  // Encodes `frame`, a reference this call may modify, and calls
  // `sink(const AVPacket&, bool keyframe, const FrameMeta&, int64_t encode_us)` for each packet
  // libavcodec hands back (exactly one per frame with these settings). Throws
  // std::runtime_error with a one-line reason.
  template <typename Sink>
  void Encode(AVFrame* frame, bool force_keyframe, int64_t capture_us, int64_t frame_number,
              Sink&& sink) {
    if (!ctx_) throw std::runtime_error(std::string("encoder ") + name_ + ": not open");
    if (frame->width != ctx_->width || frame->height != ctx_->height) {
      throw std::runtime_error(SizeMismatch(frame->width, frame->height));
    }
    const auto format = static_cast<AVPixelFormat>(frame->format);
    if (format != ctx_->pix_fmt && !started_ && TakesDirectly(format)) {
      // Nothing encoded yet: reopening in the source's format avoids a conversion per frame.
      Open(format);
    }
    AVFrame* input = frame;
    FramePtr converted;
    if (format != ctx_->pix_fmt) {
      if (!converter_ || converter_->out_format() != ctx_->pix_fmt) {
        converter_ = std::make_unique<FrameConverter>(ctx_->pix_fmt);
      }
      converted = converter_->Convert(frame);
      input = converted.get();
    }
    ApplyBitrate();
    const int64_t pts = next_pts_++;
    input->pts = pts;
    // Decoded frames carry the source's picture types; only a forced keyframe may force one.
    input->pict_type = force_keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    metas_[pts % metas_.size()] = FrameMeta{pts, capture_us, frame_number};

    log_.Clear();
    const int64_t start_us = RealtimeNowUs();
    int rc = avcodec_send_frame(ctx_.get(), input);
    if (rc < 0) throw std::runtime_error(Failure(rc));
    started_ = true;
    for (;;) {
      rc = avcodec_receive_packet(ctx_.get(), packet_.get());
      if (rc == AVERROR(EAGAIN)) break;
      if (rc < 0) throw std::runtime_error(Failure(rc));
      const int64_t encode_us = RealtimeNowUs() - start_us;
      const bool keyframe = (packet_->flags & AV_PKT_FLAG_KEY) != 0 &&
                            StartsDecodable(packet_->data, packet_->size, config_.hevc);
      const FrameMeta& meta = metas_[packet_->pts % metas_.size()];
      sink(*packet_, keyframe, meta.pts == packet_->pts ? meta : FrameMeta{}, encode_us);
      av_packet_unref(packet_.get());
    }
  }

 private:
  void Open(AVPixelFormat format) {
    const AVCodec* codec = avcodec_find_encoder_by_name(name_);
    if (codec == nullptr) {
      throw std::runtime_error(std::string("encoder ") + name_ + ": libavcodec has no " + name_);
    }
    Free();
    ctx_.reset(avcodec_alloc_context3(codec));
    if (!ctx_) throw std::bad_alloc();
    AVCodecContext* ctx = ctx_.get();
    ctx->width = config_.width;
    ctx->height = config_.height;
    ctx->pix_fmt = format;
    const AVRational rate = av_d2q(config_.fps, 1001000);
    ctx->framerate = rate;
    ctx->time_base = av_inv_q(rate);
    ctx->gop_size = config_.gop_frames;
    ctx->max_b_frames = 0;
    const int64_t bitrate = requested_bitrate_.load(std::memory_order_relaxed);
    ctx->bit_rate = bitrate;
    ctx->rc_max_rate = bitrate;
    ctx->rc_buffer_size = VbvBits(bitrate, config_.fps);
    // Parameter sets in-band with every keyframe, so a receiver can start at any keyframe.
    ctx->flags &= ~AV_CODEC_FLAG_GLOBAL_HEADER;

    AVDictionary* raw = nullptr;
    // Each implementation's settings exist only in builds with its feature (ParseConfig refuses
    // the others before anything is opened).
    if (config_.nvenc) {
#ifdef DOORWAY_HAS_NVENC
      SetNvencOptions(&raw);
#endif
    } else {
#ifdef DOORWAY_HAS_X264
      SetX264Options(ctx, &raw);
#endif
    }
    av_dict_set(&raw, "forced-idr", "1", 0);
    if (config_.intra_refresh) av_dict_set(&raw, "intra-refresh", "1", 0);
    std::unique_ptr<AVDictionary, AvDictionaryDeleter> options(raw);

    log_.Attach(ctx);
    AVDictionary* opts = options.release();
    const int rc = avcodec_open2(ctx, codec, &opts);
    options.reset(opts);
    if (rc < 0) {
      std::string reason = Failure(rc);
      Free();
      throw std::runtime_error(reason);
    }
    if (AVDictionaryEntry* left = av_dict_get(options.get(), "", nullptr, AV_DICT_IGNORE_SUFFIX)) {
      // An option this libavcodec does not know would silently change the latency settings.
      std::string reason = std::string("encoder ") + name_ + ": unknown option " + left->key;
      Free();
      throw std::runtime_error(reason);
    }
    started_ = false;
    // Frames in flight in the old context have no packet to come; their metas are stale.
    for (FrameMeta& meta : metas_) meta = FrameMeta{};
  }

  // Frees the context with its log still claimed: libx264 prints a summary as it closes.
  void Free() {
    CodecLog::Install();
    ctx_.reset();
    log_.Detach();
  }

  void ApplyBitrate() {
    const int64_t want = requested_bitrate_.load(std::memory_order_relaxed);
    if (want == ctx_->bit_rate) return;
    ctx_->bit_rate = want;
    ctx_->rc_max_rate = want;
    ctx_->rc_buffer_size = VbvBits(want, config_.fps);
  }

  // "encoder libx264: <libavcodec's first error line, else the error code's text>"
  std::string Failure(int rc) {
    std::string logged = log_.TakeFirstError();
    return std::string("encoder ") + name_ + ": " + (logged.empty() ? AvError(rc) : logged);
  }

  std::string SizeMismatch(int width, int height) const {
    return std::string("encoder ") + name_ + ": frame is " + std::to_string(width) + "x" +
           std::to_string(height) + " but the encoder was opened for " +
           std::to_string(config_.width) + "x" + std::to_string(config_.height);
  }

  const EncoderConfig config_;
  const char* name_;
  CodecLog log_;
  std::unique_ptr<AVCodecContext, AvCodecContextDeleter> ctx_;
  std::unique_ptr<AVPacket, AvPacketDeleter> packet_;
  std::unique_ptr<FrameConverter> converter_;
  std::atomic<int64_t> requested_bitrate_{0};
  int64_t next_pts_ = 0;
  bool started_ = false;
  std::array<FrameMeta, 16> metas_{};
};

// One packet (or failure) on its way to JS. The encoder thread fills a free slot and hands it
// to the JS thread, which copies it into a Buffer and frees the slot; the byte vectors keep
// their capacity, so a steady stream allocates nothing here.
struct PacketSlot {
  std::vector<uint8_t> data;
  size_t size = 0;
  bool keyframe = false;
  int64_t capture_us = 0;
  int64_t frame_number = -1;
  int64_t encode_us = 0;
  std::string error;  // non-empty: this slot reports a failure for frame_number
  std::atomic<bool> busy{false};
};

class EncoderCore;
void DeliverPacket(Napi::Env env, Napi::Function callback, EncoderCore* core, PacketSlot* slot);
using PacketTsfn = Napi::TypedThreadSafeFunction<EncoderCore, PacketSlot, DeliverPacket>;

constexpr size_t kPacketSlots = 8;

struct EncoderStats {
  std::atomic<int64_t> frames_in{0};
  std::atomic<int64_t> encoded{0};
  std::atomic<int64_t> dropped{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> last_encode_us{0};
};

// What the JS object, the encoder thread and the thread-safe function share. Kept alive by the
// JS object and by the thread-safe function until its last delivery, whichever ends later.
class EncoderCore {
 public:
  explicit EncoderCore(const EncoderConfig& config)
      : codec(std::make_unique<CodecEncoder>(config)), pending_(NewFrame()), work_(NewFrame()) {}

  ~EncoderCore() { StopThread(); }
  EncoderCore(const EncoderCore&) = delete;
  EncoderCore& operator=(const EncoderCore&) = delete;

  void StartThread(PacketTsfn tsfn) {
    tsfn_ = tsfn;
    tsfn_live = true;
    thread_ = std::thread([this] { Run(); });
  }

  // Joins the encoder thread; safe to call more than once.
  void StopThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  // Releases the thread-safe function after the thread has stopped, so queued packets are
  // still delivered and the process can exit.
  void ReleaseTsfn() {
    if (tsfn_live) {
      tsfn_live = false;
      tsfn_.Release();
    }
  }

  // Queues `frame` (newest wins). False when it replaced a frame not yet started.
  bool Submit(const AVFrame* frame, bool force_keyframe, int64_t capture_us, int64_t frame_number) {
    bool replaced;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      replaced = pending_full_;
      if (replaced) av_frame_unref(pending_.get());
      const int rc = av_frame_ref(pending_.get(), frame);
      if (rc < 0) {
        pending_full_ = false;
        throw std::runtime_error(std::string("encoder ") + codec->name() +
                                 ": cannot reference frame: " + AvError(rc));
      }
      // A replaced frame's keyframe request carries over: the request must not get lost.
      pending_force_ = (replaced && pending_force_) || force_keyframe;
      pending_capture_us_ = capture_us;
      pending_frame_number_ = frame_number;
      pending_full_ = true;
    }
    wake_.notify_one();
    stats.frames_in.fetch_add(1, std::memory_order_relaxed);
    if (replaced) stats.dropped.fetch_add(1, std::memory_order_relaxed);
    return !replaced;
  }

  std::unique_ptr<CodecEncoder> codec;
  EncoderStats stats;
  std::array<PacketSlot, kPacketSlots> slots;
  bool tsfn_live = false;  // JS thread only

 private:
  void Run() {
    for (;;) {
      bool force;
      int64_t capture_us;
      int64_t frame_number;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || pending_full_; });
        if (stop_) return;
        av_frame_move_ref(work_.get(), pending_.get());
        pending_full_ = false;
        force = pending_force_;
        capture_us = pending_capture_us_;
        frame_number = pending_frame_number_;
      }
      // A packet that could not be handed on leaves the receiver without a reference; the next
      // frame starts the stream afresh.
      force = force || force_next_keyframe_;
      force_next_keyframe_ = false;
      try {
        codec->Encode(work_.get(), force, capture_us, frame_number,
                      [this](const AVPacket& packet, bool keyframe, const FrameMeta& meta,
                             int64_t encode_us) { Post(packet, keyframe, meta, encode_us); });
      } catch (const std::exception& e) {
        stats.errors.fetch_add(1, std::memory_order_relaxed);
        PostError(e.what(), frame_number);
      }
      av_frame_unref(work_.get());
    }
  }

  PacketSlot* TakeSlot() {
    PacketSlot& slot = slots[next_slot_];
    if (slot.busy.load(std::memory_order_acquire)) return nullptr;
    next_slot_ = (next_slot_ + 1) % slots.size();
    return &slot;
  }

  void Send(PacketSlot* slot) {
    slot->busy.store(true, std::memory_order_release);
    if (tsfn_.NonBlockingCall(slot) != napi_ok) {
      slot->busy.store(false, std::memory_order_release);
      OutputLost();
    }
  }

  void OutputLost() {
    stats.dropped.fetch_add(1, std::memory_order_relaxed);
    force_next_keyframe_ = true;
  }

  void Post(const AVPacket& packet, bool keyframe, const FrameMeta& meta, int64_t encode_us) {
    stats.encoded.fetch_add(1, std::memory_order_relaxed);
    stats.last_encode_us.store(encode_us, std::memory_order_relaxed);
    PacketSlot* slot = TakeSlot();
    if (slot == nullptr) return OutputLost();
    slot->data.assign(packet.data, packet.data + packet.size);
    slot->size = static_cast<size_t>(packet.size);
    slot->keyframe = keyframe;
    slot->capture_us = meta.capture_us;
    slot->frame_number = meta.frame_number;
    slot->encode_us = encode_us;
    slot->error.clear();
    Send(slot);
  }

  void PostError(const char* error, int64_t frame_number) {
    PacketSlot* slot = TakeSlot();
    if (slot == nullptr) return OutputLost();
    slot->size = 0;
    slot->frame_number = frame_number;
    slot->error = error;
    Send(slot);
  }

  PacketTsfn tsfn_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  FramePtr pending_;
  bool pending_full_ = false;
  bool pending_force_ = false;
  int64_t pending_capture_us_ = 0;
  int64_t pending_frame_number_ = -1;
  FramePtr work_;  // encoder thread only
  size_t next_slot_ = 0;
  bool force_next_keyframe_ = false;
};

void DeliverPacket(Napi::Env env, Napi::Function callback, EncoderCore*, PacketSlot* slot) {
  // The slot goes back however this ends (a throw included), or the ring would shrink for good.
  struct FreeSlot {
    PacketSlot* slot;
    ~FreeSlot() { slot->busy.store(false, std::memory_order_release); }
  };
  Napi::Object out;
  {
    FreeSlot release{slot};
    // A null env: the environment is going away and there is nobody to deliver to.
    if (static_cast<napi_env>(env) == nullptr || callback.IsEmpty()) return;
    out = Napi::Object::New(env);
    if (!slot->error.empty()) {
      out.Set("error", slot->error);
      out.Set("frameNumber", static_cast<double>(slot->frame_number));
    } else {
      out.Set("data", Napi::Buffer<uint8_t>::Copy(env, slot->data.data(), slot->size));
      out.Set("keyframe", slot->keyframe);
      out.Set("captureUs", static_cast<double>(slot->capture_us));
      out.Set("frameNumber", static_cast<double>(slot->frame_number));
      out.Set("encodeUs", static_cast<double>(slot->encode_us));
    }
  }
  callback.Call({out});
}

// Reads and checks the constructor's options; throws a one-line JS error.
EncoderConfig ParseConfig(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw Napi::TypeError::New(env, "encoder: options must be an object");
  Napi::Object options = value.As<Napi::Object>();
  auto text = [&](const char* key) -> std::string {
    Napi::Value v = options.Get(key);
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  };
  auto number = [&](const char* key) -> double {
    Napi::Value v = options.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  };
  auto whole = [](double v) { return std::isfinite(v) && v == std::floor(v); };

  EncoderConfig config;
  const std::string codec = text("codec");
  if (codec != "h264" && codec != "hevc") {
    throw Napi::TypeError::New(env, "encoder: codec must be 'h264' or 'hevc'");
  }
  config.hevc = codec == "hevc";
  const std::string implementation = text("implementation");
  if (implementation != "x264" && implementation != "nvenc") {
    throw Napi::TypeError::New(env, "encoder: implementation must be 'x264' or 'nvenc'");
  }
  config.nvenc = implementation == "nvenc";
#ifndef DOORWAY_HAS_X264
  if (!config.nvenc) throw Napi::Error::New(env, "encoder 'x264' is not in this build");
#endif
#ifndef DOORWAY_HAS_NVENC
  if (config.nvenc) throw Napi::Error::New(env, "encoder 'nvenc' is not in this build");
#endif
  if (config.hevc && !config.nvenc) {
    throw Napi::Error::New(env,
                           "encoder: hevc needs the nvenc encoder; x264 encodes h264 only (use "
                           "codec 'h264' or implementation 'nvenc')");
  }
  const double width = number("width");
  const double height = number("height");
  if (!whole(width) || !whole(height) || width < 16 || height < 16 || width > 8192 ||
      height > 8192 || std::fmod(width, 2) != 0 || std::fmod(height, 2) != 0) {
    throw Napi::RangeError::New(
        env, "encoder: width and height must be even whole numbers from 16 to 8192 (got " +
                 options.Get("width").ToString().Utf8Value() + "x" +
                 options.Get("height").ToString().Utf8Value() + ")");
  }
  config.width = static_cast<int>(width);
  config.height = static_cast<int>(height);
  config.fps = number("fps");
  if (!(config.fps >= 1 && config.fps <= 240)) {
    throw Napi::RangeError::New(env, "encoder: fps must be a number from 1 to 240");
  }
  const double bitrate = number("bitrateBps");
  if (!(bitrate >= 10'000 && bitrate <= 1e9)) {
    throw Napi::RangeError::New(env,
                                "encoder: bitrateBps must be from 10000 to 1e9 bits per second");
  }
  config.bitrate = static_cast<int64_t>(bitrate);
  const double gop = number("gopFrames");
  if (!whole(gop) || gop < 1 || gop > 100000) {
    throw Napi::RangeError::New(env, "encoder: gopFrames must be a whole number from 1 to 100000");
  }
  config.gop_frames = static_cast<int>(gop);
  Napi::Value refresh = options.Get("intraRefresh");
  if (!refresh.IsBoolean()) {
    throw Napi::TypeError::New(env, "encoder: intraRefresh must be true or false");
  }
  config.intra_refresh = refresh.As<Napi::Boolean>().Value();
  return config;
}

class Encoder : public Napi::ObjectWrap<Encoder> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "Encoder",
                                      {
                                          InstanceMethod<&Encoder::Encode>("encode"),
                                          InstanceMethod<&Encoder::EncodeSync>("encodeSync"),
                                          InstanceMethod<&Encoder::SetBitrate>("setBitrate"),
                                          InstanceMethod<&Encoder::Stats>("stats"),
                                          InstanceMethod<&Encoder::Close>("close"),
                                      });
    exports.Set("Encoder", ctor);
  }

  explicit Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Encoder>(info) {
    Napi::Env env = info.Env();
    const EncoderConfig config = ParseConfig(info[0]);
    width_ = config.width;
    height_ = config.height;
    const bool async = info.Length() > 1 && !info[1].IsUndefined();
    if (async && !info[1].IsFunction()) {
      throw Napi::TypeError::New(env, "encoder: onPacket must be a function");
    }
    try {
      core_ = std::make_shared<EncoderCore>(config);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    if (async) {
      // The thread-safe function holds its own reference to the core: packets queued before
      // close() are delivered after it, and the finalizer stops the thread should the
      // environment be torn down first.
      auto keep = std::make_unique<std::shared_ptr<EncoderCore>>(core_);
      PacketTsfn tsfn = PacketTsfn::New(
          env, info[1].As<Napi::Function>(), "doorway.Encoder", kPacketSlots, 1, core_.get(),
          [](Napi::Env, std::shared_ptr<EncoderCore>* held, EncoderCore* core) {
            core->tsfn_live = false;
            core->StopThread();
            delete held;
          },
          keep.get());
      keep.release();  // the finalizer deletes it
      core_->StartThread(tsfn);
    }
  }

  ~Encoder() override { Shutdown(); }

 private:
  EncoderCore& Live(Napi::Env env) {
    if (!core_) throw Napi::Error::New(env, "encoder: already closed");
    return *core_;
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EncoderCore& core = Live(env);
    if (!core.tsfn_live) {
      throw Napi::Error::New(env,
                             "encoder: encode() needs the onPacket callback; this encoder was "
                             "made without one, use encodeSync()");
    }
    const VideoFrame& frame = VideoFrame::FromValue(info[0], "encoder: frame");
    CheckSize(env, *frame.frame());
    try {
      return Napi::Boolean::New(env, core.Submit(frame.frame(), info[1].ToBoolean(),
                                                 frame.captureUs(), frame.frameNumber()));
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

  Napi::Value EncodeSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EncoderCore& core = Live(env);
    if (core.tsfn_live) {
      throw Napi::Error::New(env,
                             "encoder: encodeSync() cannot be used on an encoder with an "
                             "onPacket callback (its thread owns the codec); use encode()");
    }
    const VideoFrame& frame = VideoFrame::FromValue(info[0], "encoder: frame");
    CheckSize(env, *frame.frame());
    core.stats.frames_in.fetch_add(1, std::memory_order_relaxed);
    Napi::Value result = env.Null();
    try {
      if (!scratch_) scratch_ = NewFrame();
      const int rc = av_frame_ref(scratch_.get(), frame.frame());
      if (rc < 0) throw std::runtime_error("encoder: cannot reference frame: " + AvError(rc));
      core.codec->Encode(
          scratch_.get(), info[1].ToBoolean(), frame.captureUs(), frame.frameNumber(),
          [&](const AVPacket& packet, bool keyframe, const FrameMeta& meta, int64_t encode_us) {
            core.stats.encoded.fetch_add(1, std::memory_order_relaxed);
            core.stats.last_encode_us.store(encode_us, std::memory_order_relaxed);
            Napi::Object out = Napi::Object::New(env);
            out.Set("data", Napi::Buffer<uint8_t>::Copy(env, packet.data, packet.size));
            out.Set("keyframe", keyframe);
            out.Set("captureUs", static_cast<double>(meta.capture_us));
            out.Set("frameNumber", static_cast<double>(meta.frame_number));
            out.Set("encodeUs", static_cast<double>(encode_us));
            // Only one packet per frame comes out with these settings.
            result = out;
          });
      av_frame_unref(scratch_.get());
    } catch (const std::exception& e) {
      av_frame_unref(scratch_.get());
      core.stats.errors.fetch_add(1, std::memory_order_relaxed);
      throw Napi::Error::New(env, e.what());
    }
    return result;
  }

  Napi::Value SetBitrate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const double bps = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : NAN;
    if (!(bps >= 10'000 && bps <= 1e9)) {
      throw Napi::RangeError::New(env,
                                  "encoder: bitrate must be from 10000 to 1e9 bits per second");
    }
    // After close there is nothing to apply it to. Not an error: rate control reacts to the
    // network, whose last reports can come in while the sender is shutting down.
    if (core_) core_->codec->RequestBitrate(static_cast<int64_t>(bps));
    return env.Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    const EncoderStats* stats = core_ ? &core_->stats : &final_stats_;
    out.Set("framesIn", static_cast<double>(stats->frames_in.load()));
    out.Set("encoded", static_cast<double>(stats->encoded.load()));
    out.Set("dropped", static_cast<double>(stats->dropped.load()));
    out.Set("errors", static_cast<double>(stats->errors.load()));
    out.Set("lastEncodeUs", static_cast<double>(stats->last_encode_us.load()));
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void CheckSize(Napi::Env env, const AVFrame& frame) {
    if (frame.width != config_width() || frame.height != config_height()) {
      throw Napi::Error::New(
          env, std::string("encoder ") + core_->codec->name() + ": frame is " +
                   std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                   " but the encoder was opened for " + std::to_string(config_width()) + "x" +
                   std::to_string(config_height()));
    }
  }

  int config_width() const { return width_; }
  int config_height() const { return height_; }

  // Stops the thread, frees the codec, and lets go of the core (the thread-safe function may
  // still hold it for packets in its queue). Idempotent.
  void Shutdown() {
    if (!core_) return;
    core_->StopThread();
    core_->ReleaseTsfn();
    final_stats_.frames_in.store(core_->stats.frames_in.load());
    final_stats_.encoded.store(core_->stats.encoded.load());
    final_stats_.dropped.store(core_->stats.dropped.load());
    final_stats_.errors.store(core_->stats.errors.load());
    final_stats_.last_encode_us.store(core_->stats.last_encode_us.load());
    core_->codec.reset();
    core_.reset();
    scratch_.reset();
  }

  std::shared_ptr<EncoderCore> core_;
  FramePtr scratch_;  // encodeSync's reference to the caller's frame, reused
  EncoderStats final_stats_;
  int width_ = 0;
  int height_ = 0;
};

}  // namespace

void RegisterEncoder(Napi::Env env, Napi::Object exports) { Encoder::Register(env, exports); }

}  // namespace doorway::video
