// The `Decoder` class: libavcodec's H.264/HEVC decoder (slice threads only: frame threads hold
// a frame back per thread) or NVDEC through h264_cuvid/hevc_cuvid with no display delay. Each
// access unit from the transport goes in whole and its picture comes straight out.
// With an onFrame callback it decodes on its own thread behind a short queue of reused packet
// buffers; without one, decodeSync decodes on the calling thread.
#include <napi.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
}

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "codec_annexb.h"
#include "codec_log.h"
#include "features.h"
#include "frame.h"

namespace doorway::video {
namespace {

struct DecoderConfig {
  bool hevc = false;
  bool nvdec = false;
};

struct AvCodecContextDeleter {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};

struct AvPacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};

// One access unit's bytes in a reference-counted buffer that is kept and reused: libavcodec
// takes its own reference instead of copying, and the next access unit overwrites it in place
// unless the codec still holds that reference.
class PacketBuffer {
 public:
  PacketBuffer() = default;
  ~PacketBuffer() { av_buffer_unref(&buf_); }
  PacketBuffer(const PacketBuffer&) = delete;
  PacketBuffer& operator=(const PacketBuffer&) = delete;

  void Fill(const uint8_t* data, size_t size) {
    const size_t need = size + AV_INPUT_BUFFER_PADDING_SIZE;
    if (buf_ == nullptr || buf_->size < need || !av_buffer_is_writable(buf_)) {
      // Grow with headroom so a stream's sizes settle on one buffer quickly.
      const size_t capacity = std::max(need + need / 2, static_cast<size_t>(64 * 1024));
      av_buffer_unref(&buf_);
      buf_ = av_buffer_alloc(capacity);
      if (buf_ == nullptr) throw std::bad_alloc();
    }
    std::memcpy(buf_->data, data, size);
    std::memset(buf_->data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    size_ = size;
  }

  // Points `packet` (unreferenced) at these bytes with a new reference to the buffer.
  int Reference(AVPacket* packet) const {
    packet->buf = av_buffer_ref(buf_);
    if (packet->buf == nullptr) return AVERROR(ENOMEM);
    packet->data = buf_->data;
    packet->size = static_cast<int>(size_);
    return 0;
  }

  const uint8_t* data() const { return buf_ != nullptr ? buf_->data : nullptr; }
  size_t size() const { return size_; }

 private:
  AVBufferRef* buf_ = nullptr;
  size_t size_ = 0;
};

// The libavcodec decoder itself. One thread at a time.
class CodecDecoder {
 public:
  explicit CodecDecoder(const DecoderConfig& config)
      : hevc_(config.hevc), packet_(av_packet_alloc()), frame_(NewFrame()) {
    if (!packet_) throw std::bad_alloc();
    const AVCodec* codec;
    if (config.nvdec) {
      name_ = config.hevc ? "hevc_cuvid" : "h264_cuvid";
      codec = avcodec_find_decoder_by_name(name_.c_str());
      if (codec == nullptr) throw std::runtime_error(name_ + " decoder: not in this libavcodec");
    } else {
      codec = avcodec_find_decoder(config.hevc ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264);
      name_ = config.hevc ? "hevc" : "h264";
      if (codec == nullptr) throw std::runtime_error(name_ + " decoder: not in this libavcodec");
      name_ = codec->name;
    }
    ctx_.reset(avcodec_alloc_context3(codec));
    if (!ctx_) throw std::bad_alloc();
    AVCodecContext* ctx = ctx_.get();
    // Output each picture as soon as it is decoded; the streams we take have no reordering.
    ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx->flags2 |= AV_CODEC_FLAG2_FAST;
    // Report broken access units as errors (the transport then asks for a keyframe) instead
    // of concealing them silently.
    ctx->err_recognition |= AV_EF_EXPLODE;
    AVDictionary* options = nullptr;
    if (config.nvdec) {
#ifdef DOORWAY_HAS_NVDEC
      // Decode surfaces hold the reference frames plus the one being decoded; our encoders use
      // one to a few references, so 8 leaves headroom without reserving 25 frames of GPU memory.
      // Display delay is what costs latency, and AV_CODEC_FLAG_LOW_DELAY sets it to 0.
      av_dict_set(&options, "surfaces", "8", 0);
#endif
    } else {
      ctx->thread_type = FF_THREAD_SLICE;
      ctx->thread_count = 2;
    }
    log_.Attach(ctx);
    const int rc = avcodec_open2(ctx, codec, &options);
    av_dict_free(&options);
    if (rc < 0) {
      std::string reason = Failure(rc);
      CodecLog::Install();
      ctx_.reset();
      log_.Detach();
      throw std::runtime_error(reason);
    }
  }

  ~CodecDecoder() {
    CodecLog::Install();
    ctx_.reset();
    log_.Detach();
  }
  CodecDecoder(const CodecDecoder&) = delete;
  CodecDecoder& operator=(const CodecDecoder&) = delete;

  const std::string& name() const { return name_; }

  // Decodes one access unit; its picture, or null when it held none (parameter sets only).
  // Throws std::runtime_error with a one-line reason.
  FramePtr Decode(const PacketBuffer& au) {
    if (au.size() == 0) throw std::runtime_error(name_ + " decoder: empty access unit");
    if (!StartsWithStartCode(au.data(), au.size())) {
      throw std::runtime_error(name_ + " decoder: " + AvError(AVERROR_INVALIDDATA) +
                               " (no Annex B start code)");
    }
    log_.Clear();
    int rc = au.Reference(packet_.get());
    if (rc < 0) throw std::runtime_error(Failure(rc));
    rc = avcodec_send_packet(ctx_.get(), packet_.get());
    av_packet_unref(packet_.get());
    if (rc == AVERROR_INVALIDDATA && OnlyParameterSets(au.data(), au.size(), hevc_)) {
      return nullptr;  // the decoder kept them for the pictures to come
    }
    if (rc < 0) {
      // Pictures left over from an earlier failure would come out with the wrong tag.
      Drain();
      throw std::runtime_error(Failure(rc));
    }
    FramePtr out;
    for (;;) {
      rc = avcodec_receive_frame(ctx_.get(), frame_.get());
      if (rc == AVERROR(EAGAIN)) break;
      if (rc < 0) throw std::runtime_error(Failure(rc));
      // More than one picture per access unit does not happen with whole access units and
      // no reordering; should it, the newest is the one to show.
      if (!out) out = NewFrame();
      av_frame_unref(out.get());
      av_frame_move_ref(out.get(), frame_.get());
    }
    return out;
  }

 private:
  void Drain() {
    while (avcodec_receive_frame(ctx_.get(), frame_.get()) >= 0) av_frame_unref(frame_.get());
  }

  // "h264 decoder: <av_strerror> (<libavcodec's first error line>)"
  std::string Failure(int rc) {
    std::string logged = log_.TakeFirstError();
    std::string line = name_ + " decoder: ";
    if (rc == AVERROR_INVALIDDATA || rc == AVERROR(EINVAL)) {
      line += AvError(rc);
      if (!logged.empty()) line += " (" + logged + ")";
    } else {
      line += logged.empty() ? AvError(rc) : logged;
    }
    return line;
  }

  bool hevc_;
  std::string name_;
  CodecLog log_;
  std::unique_ptr<AVCodecContext, AvCodecContextDeleter> ctx_;
  std::unique_ptr<AVPacket, AvPacketDeleter> packet_;
  FramePtr frame_;
};

// One access unit from decode() to its onFrame call. JS fills a free slot; the decoder thread
// decodes queued slots in order and posts each to the JS thread, which frees it after making
// the callback's object. So the queue bounds the access units in flight end to end.
struct DecodeSlot {
  enum State { kFree, kQueued, kDone };
  PacketBuffer packet;
  double tag = 0;
  FramePtr frame;
  std::string error;
  int64_t decoded_us = 0;
  int64_t decode_us = 0;
  std::atomic<int> state{kFree};
};

class DecoderCore;
void DeliverFrame(Napi::Env env, Napi::Function callback, DecoderCore* core, DecodeSlot* slot);
using FrameTsfn = Napi::TypedThreadSafeFunction<DecoderCore, DecodeSlot, DeliverFrame>;

constexpr size_t kDecodeSlots = 8;

struct DecoderStats {
  std::atomic<int64_t> packets_in{0};
  std::atomic<int64_t> decoded{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> dropped{0};
};

// Shared by the JS object, the decoder thread and the thread-safe function (see EncoderCore).
class DecoderCore {
 public:
  explicit DecoderCore(const DecoderConfig& config)
      : codec(std::make_unique<CodecDecoder>(config)) {}
  ~DecoderCore() { StopThread(); }
  DecoderCore(const DecoderCore&) = delete;
  DecoderCore& operator=(const DecoderCore&) = delete;

  void StartThread(FrameTsfn tsfn) {
    tsfn_ = tsfn;
    tsfn_live = true;
    thread_ = std::thread([this] { Run(); });
  }

  void StopThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  void ReleaseTsfn() {
    if (tsfn_live) {
      tsfn_live = false;
      tsfn_.Release();
    }
  }

  // Copies the access unit into the next slot. False when all slots are in flight. JS thread.
  bool Submit(const uint8_t* data, size_t size, double tag) {
    DecodeSlot& slot = slots[tail_];
    if (slot.state.load(std::memory_order_acquire) != DecodeSlot::kFree) return false;
    // A free slot is touched by nobody else until it is queued.
    slot.packet.Fill(data, size);
    slot.tag = tag;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slot.state.store(DecodeSlot::kQueued, std::memory_order_release);
    }
    tail_ = (tail_ + 1) % slots.size();
    wake_.notify_one();
    return true;
  }

  std::unique_ptr<CodecDecoder> codec;
  DecoderStats stats;
  std::array<DecodeSlot, kDecodeSlots> slots;
  bool tsfn_live = false;  // JS thread only

 private:
  void Run() {
    for (;;) {
      DecodeSlot& slot = slots[head_];
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          return stop_ || slot.state.load(std::memory_order_acquire) == DecodeSlot::kQueued;
        });
        if (stop_) return;
      }
      head_ = (head_ + 1) % slots.size();
      slot.error.clear();
      slot.frame.reset();
      const int64_t start_us = RealtimeNowUs();
      try {
        slot.frame = codec->Decode(slot.packet);
        if (slot.frame) stats.decoded.fetch_add(1, std::memory_order_relaxed);
      } catch (const std::exception& e) {
        stats.errors.fetch_add(1, std::memory_order_relaxed);
        slot.error = e.what();
      }
      slot.decoded_us = RealtimeNowUs();
      slot.decode_us = slot.decoded_us - start_us;
      slot.state.store(DecodeSlot::kDone, std::memory_order_release);
      if (tsfn_.NonBlockingCall(&slot) != napi_ok) {
        // Only when the environment is closing: nobody is left to tell.
        slot.frame.reset();
        stats.dropped.fetch_add(1, std::memory_order_relaxed);
        slot.state.store(DecodeSlot::kFree, std::memory_order_release);
      }
    }
  }

  FrameTsfn tsfn_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  size_t tail_ = 0;  // JS thread: the next slot to fill
  size_t head_ = 0;  // decoder thread: the next slot to decode
};

void DeliverFrame(Napi::Env env, Napi::Function callback, DecoderCore*, DecodeSlot* slot) {
  // The slot goes back however this ends (a throw included), or the queue would shrink for good.
  struct FreeSlot {
    DecodeSlot* slot;
    ~FreeSlot() {
      slot->frame.reset();
      slot->state.store(DecodeSlot::kFree, std::memory_order_release);
    }
  };
  Napi::Object out;
  {
    FreeSlot release{slot};
    // A null env: the environment is going away and there is nobody to deliver to.
    if (static_cast<napi_env>(env) == nullptr || callback.IsEmpty()) return;
    out = Napi::Object::New(env);
    out.Set("tag", slot->tag);
    if (!slot->error.empty()) {
      out.Set("error", slot->error);
    } else {
      // The decoder knows nothing of capture times; the pixel code or the transport does.
      out.Set("frame",
              slot->frame ? VideoFrame::New(env, std::move(slot->frame), 0, -1) : env.Null());
      out.Set("decodedUs", static_cast<double>(slot->decoded_us));
      out.Set("decodeUs", static_cast<double>(slot->decode_us));
    }
  }
  callback.Call({out});
}

DecoderConfig ParseConfig(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw Napi::TypeError::New(env, "decoder: options must be an object");
  Napi::Object options = value.As<Napi::Object>();
  auto text = [&](const char* key) -> std::string {
    Napi::Value v = options.Get(key);
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  };
  DecoderConfig config;
  const std::string codec = text("codec");
  if (codec != "h264" && codec != "hevc") {
    throw Napi::TypeError::New(env, "decoder: codec must be 'h264' or 'hevc'");
  }
  config.hevc = codec == "hevc";
  const std::string implementation = text("implementation");
  if (implementation != "software" && implementation != "nvdec") {
    throw Napi::TypeError::New(env, "decoder: implementation must be 'software' or 'nvdec'");
  }
  config.nvdec = implementation == "nvdec";
#ifndef DOORWAY_HAS_NVDEC
  if (config.nvdec) throw Napi::Error::New(env, "decoder 'nvdec' is not in this build");
#endif
  return config;
}

// The bytes of a Uint8Array (or any typed array / Buffer) argument; throws a TypeError.
std::pair<const uint8_t*, size_t> Bytes(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), "decoder: data must be a Uint8Array");
  }
  Napi::Uint8Array array = value.As<Napi::Uint8Array>();
  return {array.Data(), array.ByteLength()};
}

class Decoder : public Napi::ObjectWrap<Decoder> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "Decoder",
                                      {
                                          InstanceMethod<&Decoder::Decode>("decode"),
                                          InstanceMethod<&Decoder::DecodeSync>("decodeSync"),
                                          InstanceMethod<&Decoder::Stats>("stats"),
                                          InstanceMethod<&Decoder::Close>("close"),
                                      });
    exports.Set("Decoder", ctor);
  }

  explicit Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Decoder>(info) {
    Napi::Env env = info.Env();
    const DecoderConfig config = ParseConfig(info[0]);
    const bool async = info.Length() > 1 && !info[1].IsUndefined();
    if (async && !info[1].IsFunction()) {
      throw Napi::TypeError::New(env, "decoder: onFrame must be a function");
    }
    try {
      core_ = std::make_shared<DecoderCore>(config);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    if (async) {
      auto keep = std::make_unique<std::shared_ptr<DecoderCore>>(core_);
      FrameTsfn tsfn = FrameTsfn::New(
          env, info[1].As<Napi::Function>(), "doorway.Decoder", kDecodeSlots, 1, core_.get(),
          [](Napi::Env, std::shared_ptr<DecoderCore>* held, DecoderCore* core) {
            core->tsfn_live = false;
            core->StopThread();
            delete held;
          },
          keep.get());
      keep.release();  // the finalizer deletes it
      core_->StartThread(tsfn);
    }
  }

  ~Decoder() override { Shutdown(); }

 private:
  DecoderCore& Live(Napi::Env env) {
    if (!core_) throw Napi::Error::New(env, "decoder: already closed");
    return *core_;
  }

  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DecoderCore& core = Live(env);
    if (!core.tsfn_live) {
      throw Napi::Error::New(env,
                             "decoder: decode() needs the onFrame callback; this decoder was "
                             "made without one, use decodeSync()");
    }
    const auto [data, size] = Bytes(info[0]);
    if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "decoder: tag must be a number");
    const double tag = info[1].As<Napi::Number>().DoubleValue();
    core.stats.packets_in.fetch_add(1, std::memory_order_relaxed);
    bool queued;
    try {
      queued = core.Submit(data, size, tag);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, std::string("decoder: ") + e.what());
    }
    if (!queued) core.stats.dropped.fetch_add(1, std::memory_order_relaxed);
    return Napi::Boolean::New(env, queued);
  }

  Napi::Value DecodeSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DecoderCore& core = Live(env);
    if (core.tsfn_live) {
      throw Napi::Error::New(env,
                             "decoder: decodeSync() cannot be used on a decoder with an onFrame "
                             "callback (its thread owns the codec); use decode()");
    }
    const auto [data, size] = Bytes(info[0]);
    core.stats.packets_in.fetch_add(1, std::memory_order_relaxed);
    FramePtr frame;
    try {
      packet_.Fill(data, size);
      frame = core.codec->Decode(packet_);
    } catch (const std::exception& e) {
      core.stats.errors.fetch_add(1, std::memory_order_relaxed);
      throw Napi::Error::New(env, e.what());
    }
    if (!frame) return env.Null();
    core.stats.decoded.fetch_add(1, std::memory_order_relaxed);
    return VideoFrame::New(env, std::move(frame), 0, -1);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const DecoderStats* stats = core_ ? &core_->stats : &final_stats_;
    Napi::Object out = Napi::Object::New(env);
    out.Set("packetsIn", static_cast<double>(stats->packets_in.load()));
    out.Set("decoded", static_cast<double>(stats->decoded.load()));
    out.Set("errors", static_cast<double>(stats->errors.load()));
    out.Set("dropped", static_cast<double>(stats->dropped.load()));
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  // Stops the thread (access units still queued get no callback), frees the codec and lets go
  // of the core. Idempotent.
  void Shutdown() {
    if (!core_) return;
    core_->StopThread();
    core_->ReleaseTsfn();
    final_stats_.packets_in.store(core_->stats.packets_in.load());
    final_stats_.decoded.store(core_->stats.decoded.load());
    final_stats_.errors.store(core_->stats.errors.load());
    final_stats_.dropped.store(core_->stats.dropped.load());
    core_->codec.reset();
    core_.reset();
  }

  std::shared_ptr<DecoderCore> core_;
  PacketBuffer packet_;  // decodeSync's copy of the access unit, reused
  DecoderStats final_stats_;
};

}  // namespace

void RegisterDecoder(Napi::Env env, Napi::Object exports) { Decoder::Register(env, exports); }

}  // namespace doorway::video
