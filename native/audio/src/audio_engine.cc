// The audio engine: one sound port with the echo canceller and the codec wired to it. Samples stay
// here. Toward JS it gives one event per 10 ms block (the encoded microphone block and how deep the
// playback queue is), and it takes encoded packets back with what the jitter buffer decided to do
// with them (play, shorten, conceal, stretch).
//
// Threads: the port's service thread runs the capture side (echo canceller, encoder) and writes
// events into a fixed ring; a thread-safe function wakes JS, which drains the ring. The playback
// side (decoder, time stretch) runs on the JS thread, because the jitter buffer that drives it
// lives there; it copies finished blocks into the port's lock-free queue.
//
// The rescue: packets are held here as they arrive (hold), and the jitter buffer's decisions name
// them by sequence number. When the queue is still empty 1 ms (RescueLeadNs) before the device
// takes its next block (the JS thread is late: a GC pause, a busy machine), the port's service
// thread plays the next held packet itself, or conceals, so a late JS turn is never heard as
// silence. A decision for a packet the rescue already played is skipped. One mutex, with priority
// inheritance, serializes the decoder and the queue's producer side between the two threads.
#include <napi.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audio_port.h"
#include "features.h"
#include "js_options.h"
#include "pi_mutex.h"
#include "time_stretch.h"
#ifdef DOORWAY_HAS_APM
#include "echo_canceller.h"
#endif
#ifdef DOORWAY_HAS_OPUS
#include "opus_codec.h"
#endif

namespace doorway::audio {
namespace {

constexpr int kMaxPacket = 4000;  // PCM 10 ms stereo int16 is 1920 bytes; Opus far less.
constexpr size_t kEventSlots = 128;
// Packets held for the rescue, by sequence number modulo this: more than the jitter buffer holds.
constexpr size_t kHeldSlots = 256;
// Rescue concealment with nothing held stops after this long: the stream has ended.
constexpr int64_t kRescueConcealUs = 200000;

struct HeldPacket {
  int64_t seq = -1;  // -1: free
  int length = 0;
  std::array<uint8_t, kMaxPacket> bytes{};
};

enum class EventType : uint8_t { kBlock, kLost, kReacquired, kMarkerCaptured, kMarkerPlayed };

struct EngineEvent {
  EventType type = EventType::kBlock;
  int packet_length = 0;  // 0: nothing was encoded (send off, or the block failed)
  std::array<uint8_t, kMaxPacket> packet{};
  int64_t capture_us = 0;
  int64_t seq = 0;
  int queued = 0;
  uint64_t underruns = 0;
  int64_t dac_us = 0;
  int64_t number = 0;
  std::string detail;
};

std::string GetString(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString())
    throw Napi::TypeError::New(o.Env(), std::string("audio engine: ") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

int GetInt(const Napi::Object& o, const char* key, int fallback, int min, int max) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min && d <= max) || std::floor(d) != d) {
    throw Napi::RangeError::New(o.Env(), std::string("audio engine: ") + key +
                                             " must be an integer in " + std::to_string(min) +
                                             ".." + std::to_string(max));
  }
  return static_cast<int>(d);
}

bool GetBool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean())
    throw Napi::TypeError::New(o.Env(), std::string("audio engine: ") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// Raw 16-bit little-endian interleaved PCM, for profiles without Opus and for measurements that
// want the codec out of the way. Loss concealment fades the last block out.
class PcmCodec {
 public:
  PcmCodec(int channels, int frames) : samples_(channels * frames), last_(samples_, 0.0f) {}
  int bytes() const { return samples_ * 2; }
  int Encode(const float* block, uint8_t* out) const {
    for (int i = 0; i < samples_; ++i) {
      const float clamped = std::max(-1.0f, std::min(1.0f, block[i]));
      const auto v = static_cast<int16_t>(std::lround(clamped * 32767.0f));
      out[2 * i] = static_cast<uint8_t>(v & 0xff);
      out[2 * i + 1] = static_cast<uint8_t>((static_cast<uint16_t>(v) >> 8) & 0xff);
    }
    return bytes();
  }
  bool Decode(const uint8_t* packet, int length, float* out) {
    if (length != bytes()) return false;
    for (int i = 0; i < samples_; ++i) {
      const auto v = static_cast<int16_t>(static_cast<uint16_t>(packet[2 * i]) |
                                          static_cast<uint16_t>(packet[2 * i + 1]) << 8);
      out[i] = static_cast<float>(v) / 32768.0f;
    }
    std::memcpy(last_.data(), out, sizeof(float) * samples_);
    return true;
  }
  void Conceal(float* out) {
    for (int i = 0; i < samples_; ++i) {
      const float fade = 1.0f - static_cast<float>(i) / static_cast<float>(samples_);
      out[i] = last_[i] * fade * 0.5f;
      last_[i] = 0.0f;
    }
  }

 private:
  int samples_;
  std::vector<float> last_;
};

class AudioEngine : public Napi::ObjectWrap<AudioEngine>,
                    public PortListener,
                    public MarkerListener {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor =
        DefineClass(env, "AudioEngine",
                    {
                        InstanceMethod("start", &AudioEngine::Start),
                        InstanceMethod("play", &AudioEngine::Play),
                        InstanceMethod("accelerate", &AudioEngine::Accelerate),
                        InstanceMethod("conceal", &AudioEngine::Conceal),
                        InstanceMethod("expand", &AudioEngine::Expand),
                        InstanceMethod("clearPlayback", &AudioEngine::ClearPlayback),
                        InstanceMethod("hold", &AudioEngine::Hold),
                        InstanceMethod("playHeld", &AudioEngine::PlayHeld),
                        InstanceMethod("concealFromHeld", &AudioEngine::ConcealFromHeld),
                        InstanceMethod("forgetHeld", &AudioEngine::ForgetHeld),
                        InstanceMethod("setRescue", &AudioEngine::SetRescue),
                        InstanceMethod("queued", &AudioEngine::Queued),
                        InstanceMethod("playbackDueUs", &AudioEngine::PlaybackDueUs),
                        InstanceMethod("rescueConcealed", &AudioEngine::RescueConcealed),
                        InstanceMethod("setBitrate", &AudioEngine::SetBitrate),
                        InstanceMethod("stats", &AudioEngine::GetStats),
                        InstanceMethod("close", &AudioEngine::Close),
                    });
    exports.Set("AudioEngine", ctor);
  }

  explicit AudioEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AudioEngine>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      throw Napi::TypeError::New(env, "AudioEngine(options, onEvent)");
    }
    Napi::Object o = info[0].As<Napi::Object>();
    format_.channels = GetInt(o, "channels", 2, 1, 2);
    format_.block_frames = GetInt(o, "blockFrames", 480, 240, 480);
    if (format_.block_frames != 240 && format_.block_frames != 480) {
      throw Napi::RangeError::New(env,
                                  "audio engine: blockFrames must be 240 (5 ms) or 480 (10 ms)");
    }
    send_ = GetBool(o, "send", true);
    const int queue_blocks = GetInt(o, "queueBlocks", 16, 2, 256);
    const std::string port = GetString(o, "port", "clocked");
    const std::string codec = GetString(o, "codec", "opus");
    const bool echo_cancel = GetBool(o, "echoCancel", false);

    if (port == "portaudio") {
#ifdef DOORWAY_HAS_AUDIO_IO
      PortAudioOptions p;
      p.capture = GetString(o, "capture", "default");
      p.playback = GetString(o, "playback", "default");
      p.format = format_;
      p.queue_blocks = queue_blocks;
      p.playback_latency_ms = GetInt(o, "playbackLatencyMs", 0, 0, 500);
      port_ = NewPortAudioPort(p);
#else
      throw Napi::Error::New(
          env, "this build has no audio-io feature (PortAudio); its profile leaves it out");
#endif
    } else if (port == "clocked") {
      ClockedPortOptions c;
      c.source = GetString(o, "source", "speech");
      c.sink = GetString(o, "sink", "null");
      c.format = format_;
      c.queue_blocks = queue_blocks;
      c.sink_latency_frames = GetInt(o, "sinkLatencyFrames", 240, 0, 48000);
      // The room's delay is counted from the speaker, so the sink's own latency comes on top.
      const int echo_delay_ms = GetInt(o, "roomEchoDelayMs", -1, -1, 500);
      if (echo_delay_ms >= 0) {
        c.room_echo_delay_frames = c.sink_latency_frames + echo_delay_ms * (kSampleRate / 1000);
        c.room_echo_gain =
            static_cast<float>(std::pow(10.0, GetInt(o, "roomEchoGainDb", -10, -60, 0) / 20.0));
      }
      if (GetBool(o, "markers", false)) c.markers = this;
      c.service_late_us =
          GetInt(o, "serviceLateUs", 0, 0, static_cast<int>(format_.block_us()) - 1);
      port_ = NewClockedPort(c);
    } else {
      throw Napi::RangeError::New(
          env, "audio engine: port must be \"portaudio\" or \"clocked\", not \"" + port + "\"");
    }

    std::string error;
    if (codec == "opus") {
#ifdef DOORWAY_HAS_OPUS
      OpusEncoderOptions e;
      e.channels = format_.channels;
      e.frames = format_.block_frames;
      e.bitrate_bps = GetInt(o, "bitrateBps", 128000, 6000, 510000);
      e.expected_loss_percent = GetInt(o, "expectedLossPercent", 5, 0, 100);
      // Restricted low delay (CELT only, 2.5 ms) unless asked for speech mode (SILK/hybrid, 6.5
      // ms), whose in-band FEC is the only kind Opus has; the transport's audio FEC covers loss
      // either way.
      const std::string mode = GetString(o, "opusMode", "low-delay");
      if (mode != "low-delay" && mode != "voip") {
        throw Napi::RangeError::New(
            env, "audio engine: opusMode must be \"low-delay\" or \"voip\", not \"" + mode + "\"");
      }
      e.low_delay = mode == "low-delay";
      encoder_ = AudioEncoder::Create(e, &error);
      if (!encoder_) throw Napi::Error::New(env, "opus encoder: " + error);
      decoder_ = AudioDecoder::Create(format_.channels, format_.block_frames, &error);
      if (!decoder_) throw Napi::Error::New(env, "opus decoder: " + error);
#else
      throw Napi::Error::New(
          env, "this build has no opus feature; use codec \"pcm\" or a profile with opus");
#endif
    } else if (codec == "pcm") {
      pcm_ = std::make_unique<PcmCodec>(format_.channels, format_.block_frames);
    } else {
      throw Napi::RangeError::New(
          env, "audio engine: codec must be \"opus\" or \"pcm\", not \"" + codec + "\"");
    }

    if (echo_cancel) {
#ifdef DOORWAY_HAS_APM
      EchoCancellerOptions a;
      a.channels = format_.channels;
      a.noise_suppression = GetBool(o, "noiseSuppression", true);
      a.gain_control = GetBool(o, "gainControl", true);
      // One mix each by default: what a doorway's one microphone and one speaker mix need, and
      // the only layout within the canceller's budget (see echo_canceller.cc).
      a.reference = OptionalMono(o, "echoReference", true) ? EchoReference::kMonoMix
                                                           : EchoReference::kPerChannel;
      a.capture = OptionalMono(o, "echoCapture", true) ? CaptureLayout::kMonoMix
                                                       : CaptureLayout::kPerChannel;
      apm_ = EchoCanceller::Create(a, &error);
      if (!apm_) throw Napi::Error::New(env, "echo canceller: " + error);
#else
      throw Napi::Error::New(
          env, "this build has no apm feature (echo cancellation); its profile leaves it out");
#endif
    }

    const size_t samples = static_cast<size_t>(format_.block_samples());
    decoded_.assign(samples, 0.0f);
    stretched_.assign(samples * 2, 0.0f);
    pending_.assign(samples * 4, 0.0f);
    capture_copy_.assign(samples, 0.0f);
    stretch_ = std::make_unique<TimeStretch>(format_.channels);
    events_ = std::make_unique<std::array<EngineEvent, kEventSlots>>();
    held_ = std::make_unique<std::array<HeldPacket, kHeldSlots>>();
    rescue_conceal_limit_ = static_cast<int>(kRescueConcealUs / format_.block_us());

    on_event_ = Napi::Persistent(info[1].As<Napi::Function>());
  }

  // A started engine holds a reference to itself until its thread-safe function is finalized, so
  // it is only collected once stopped and no wake-up can reach it.
  ~AudioEngine() override {
    if (port_ && !closed_) port_->Stop();
  }

  // PortListener, on the port's service thread.
  void OnPlayed(const float* block, int64_t dac_us) override {
#ifdef DOORWAY_HAS_APM
    std::string error;
    if (apm_ && !apm_->ProcessPlayed(block, format_.block_frames, &error))
      ReportError("echo canceller: " + error);
#else
    (void)block;
#endif
    last_dac_us_.store(dac_us, std::memory_order_relaxed);
  }

  void OnCaptured(const float* block, int64_t adc_us) override {
    EngineEvent* slot = BeginEvent();
    if (slot == nullptr) return;
    slot->type = EventType::kBlock;
    slot->packet_length = 0;
    slot->capture_us = adc_us;
    slot->dac_us = last_dac_us_.load(std::memory_order_relaxed);
    const PortStats port_stats = port_->Stats();
    slot->queued = port_stats.queued_playback;
    slot->underruns = port_stats.underruns;
    if (send_) {
      std::string error;
      // The canceller writes the cleaned block straight into the encoder's input; without it the
      // port's block is copied there (the port owns it).
      bool cleaned = false;
#ifdef DOORWAY_HAS_APM
      if (apm_) {
        const int hint_ms =
            static_cast<int>((port_stats.input_latency_us + port_stats.output_latency_us) / 1000);
        cleaned = apm_->ProcessCaptured(block, capture_copy_.data(), format_.block_frames, hint_ms,
                                        &error);
        if (!cleaned) ReportError("echo canceller: " + error);
      }
#endif
      if (!cleaned) std::memcpy(capture_copy_.data(), block, sizeof(float) * capture_copy_.size());
      int length = -1;
#ifdef DOORWAY_HAS_OPUS
      if (encoder_)
        length = encoder_->Encode(capture_copy_.data(), slot->packet.data(), kMaxPacket, &error);
#endif
      if (pcm_) length = pcm_->Encode(capture_copy_.data(), slot->packet.data());
      if (length > 0) {
        slot->packet_length = length;
        slot->seq = seq_++;
        encoded_blocks_.fetch_add(1, std::memory_order_relaxed);
      } else {
        encode_errors_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    CommitEvent();
  }

  void OnPortEvent(PortEvent event, const std::string& detail) override {
    EngineEvent* slot = BeginEvent();
    if (slot == nullptr) return;
    slot->type = event == PortEvent::kLost ? EventType::kLost : EventType::kReacquired;
    slot->detail = detail;
    CommitEvent();
  }

  // The queue ran dry: the JS thread is late with the next block (see the rescue above).
  void OnPlaybackDue() override {
    if (!rescue_.load(std::memory_order_acquire)) return;
    std::lock_guard<PiMutex> lock(playback_mutex_);
    // JS may have queued while this thread waited for the lock.
    if (!rescue_.load(std::memory_order_relaxed) || port_->QueuedPlayback() > 0) return;
    if (next_seq_ >= 0) {
      bool played = false;
      if (HeldPacket* packet = Held(next_seq_)) {
        DecodeInto(packet->bytes.data(), static_cast<size_t>(packet->length));
        packet->seq = -1;
        played = true;
      } else {
        // As the jitter buffer does: a missing packet with the next one held is rebuilt from that
        // one's in-band FEC and given up.
        played = DecodeFecFromHeld(next_seq_ + 1);
      }
      if (played) {
        ++next_seq_;
        rescue_conceal_run_ = 0;
        rescued_.fetch_add(1, std::memory_order_relaxed);
        Output(decoded_.data(), format_.block_frames);
        return;
      }
    }
    if (rescue_conceal_run_ >= rescue_conceal_limit_) return;
    ++rescue_conceal_run_;
    ConcealInto();
    rescue_concealed_.fetch_add(1, std::memory_order_relaxed);
    Output(decoded_.data(), format_.block_frames);
  }

  // MarkerListener, on the port's service thread.
  void OnMarkerCaptured(int64_t number, int64_t adc_us) override {
    EngineEvent* slot = BeginEvent();
    if (slot == nullptr) return;
    slot->type = EventType::kMarkerCaptured;
    slot->number = number;
    slot->capture_us = adc_us;
    CommitEvent();
  }

  void OnMarkerPlayed(int64_t dac_us) override {
    EngineEvent* slot = BeginEvent();
    if (slot == nullptr) return;
    slot->type = EventType::kMarkerPlayed;
    slot->dac_us = dac_us;
    CommitEvent();
  }

 private:
  // Service-thread side of the event ring: one producer (the port's service thread), one consumer
  // (JS). A full ring drops the event and counts it rather than block the audio thread.
  EngineEvent* BeginEvent() {
    const uint64_t w = write_.load(std::memory_order_relaxed);
    if (w - read_.load(std::memory_order_acquire) >= kEventSlots) {
      events_dropped_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    return &(*events_)[w % kEventSlots];
  }

  void CommitEvent() {
    write_.fetch_add(1, std::memory_order_release);
    if (!wake_pending_.exchange(true)) {
      tsfn_.NonBlockingCall([this](Napi::Env env, Napi::Function) { Drain(env); });
    }
  }

  void ReportError(const std::string& message) {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (last_error_ != message) last_error_ = message;
    errors_.fetch_add(1, std::memory_order_relaxed);
  }

  // JS thread: hands every ready event to onEvent(kind, a, b, c, d).
  void Drain(Napi::Env env) {
    wake_pending_.store(false);
    if (closed_) return;
    Napi::HandleScope scope(env);
    Napi::Function fn = on_event_.Value();
    uint64_t r = read_.load(std::memory_order_relaxed);
    while (r != write_.load(std::memory_order_acquire)) {
      EngineEvent& e = (*events_)[r % kEventSlots];
      switch (e.type) {
        case EventType::kBlock: {
          Napi::Value packet = env.Null();
          if (e.packet_length > 0)
            packet = Napi::Buffer<uint8_t>::Copy(env, e.packet.data(), e.packet_length);
          fn.Call({Napi::String::New(env, "block"), packet,
                   Napi::Number::New(env, static_cast<double>(e.capture_us)),
                   Napi::Number::New(env, static_cast<double>(e.seq)),
                   Napi::Number::New(env, e.queued),
                   Napi::Number::New(env, static_cast<double>(e.dac_us)),
                   Napi::Number::New(env, static_cast<double>(e.underruns))});
          break;
        }
        case EventType::kLost:
        case EventType::kReacquired:
          fn.Call({Napi::String::New(env, e.type == EventType::kLost ? "lost" : "reacquired"),
                   Napi::String::New(env, e.detail)});
          break;
        case EventType::kMarkerCaptured:
          fn.Call({Napi::String::New(env, "marker-captured"),
                   Napi::Number::New(env, static_cast<double>(e.number)),
                   Napi::Number::New(env, static_cast<double>(e.capture_us))});
          break;
        case EventType::kMarkerPlayed:
          fn.Call({Napi::String::New(env, "marker-played"),
                   Napi::Number::New(env, static_cast<double>(e.dac_us))});
          break;
      }
      read_.store(++r, std::memory_order_release);
      if (closed_) return;
    }
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) throw Napi::Error::New(env, "audio engine: closed");
    if (started_) return env.Undefined();
    std::string error;
    tsfn_ =
        Napi::ThreadSafeFunction::New(env, on_event_.Value(), "doorway-audio-engine", 0, 1, this,
                                      [](Napi::Env, AudioEngine* self) { self->Unref(); });
    Ref();
    if (!port_->Start(this, &error)) {
      tsfn_.Release();
      throw Napi::Error::New(env, error);
    }
    started_ = true;
    return env.Undefined();
  }

  struct PacketView {
    const uint8_t* data;
    size_t length;
  };

  // A packet from the jitter buffer: a Uint8Array at `index` and its length at `index + 1` (the
  // bytes live in a pooled slot longer than the packet). Throws a TypeError naming `what`.
  static PacketView PacketArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
    if (info.Length() <= index || !info[index].IsTypedArray()) {
      throw Napi::TypeError::New(info.Env(),
                                 std::string("audio engine: ") + what + " must be a Uint8Array");
    }
    Napi::Uint8Array bytes = info[index].As<Napi::Uint8Array>();
    size_t length = bytes.ByteLength();
    if (info.Length() > index + 1 && info[index + 1].IsNumber()) {
      const double wanted = info[index + 1].As<Napi::Number>().DoubleValue();
      if (!(wanted >= 0 && wanted <= static_cast<double>(length))) {
        throw Napi::RangeError::New(info.Env(),
                                    std::string("audio engine: ") + what + " length out of range");
      }
      length = static_cast<size_t>(wanted);
    }
    return {bytes.Data(), length};
  }

  // Decodes into decoded_; false (and concealment written instead) when the packet is corrupt.
  bool DecodeInto(const uint8_t* data, size_t length) {
#ifdef DOORWAY_HAS_OPUS
    if (decoder_) {
      std::string error;
      if (decoder_->Decode(data, static_cast<int>(length), decoded_.data(), &error) ==
          format_.block_frames) {
        return true;
      }
      decoder_->Conceal(decoded_.data());
      corrupt_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
#endif
    if (pcm_->Decode(data, static_cast<int>(length), decoded_.data())) return true;
    pcm_->Conceal(decoded_.data());
    corrupt_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  // Appends `frames` frames to the pending output and queues every whole block. Returns `frames`.
  int Output(const float* samples, int frames) {
    const int ch = format_.channels;
    const int block = format_.block_frames;
    if (pending_frames_ + frames > static_cast<int>(pending_.size()) / ch) {
      // Cannot happen with the sizes above (at most one block plus two stretches pending); drop
      // rather than overflow.
      dropped_frames_ += frames;
      return frames;
    }
    std::memcpy(pending_.data() + static_cast<size_t>(pending_frames_) * ch, samples,
                sizeof(float) * frames * ch);
    pending_frames_ += frames;
    int offset = 0;
    while (pending_frames_ - offset >= block) {
      if (!port_->QueuePlayback(pending_.data() + static_cast<size_t>(offset) * ch)) queue_full_++;
      offset += block;
    }
    if (offset > 0) {
      std::memmove(pending_.data(), pending_.data() + static_cast<size_t>(offset) * ch,
                   sizeof(float) * (pending_frames_ - offset) * ch);
      pending_frames_ -= offset;
    }
    return frames;
  }

  // Loss concealment into decoded_: Opus PLC, or the PCM fade.
  void ConcealInto() {
#ifdef DOORWAY_HAS_OPUS
    if (decoder_) {
      decoder_->Conceal(decoded_.data());
      return;
    }
#endif
    pcm_->Conceal(decoded_.data());
  }

  // Rebuilds the block before the held packet `next` from that one's in-band FEC into decoded_;
  // false when `next` is not held or there is no Opus decoder. Under playback_mutex_.
  bool DecodeFecFromHeld(int64_t next) {
#ifdef DOORWAY_HAS_OPUS
    HeldPacket* after = Held(next);
    if (after == nullptr || !decoder_) return false;
    decoder_->DecodeFec(after->bytes.data(), after->length, decoded_.data());
    return true;
#else
    (void)next;
    return false;
#endif
  }

  // The held packet `seq`, or null. Under playback_mutex_.
  HeldPacket* Held(int64_t seq) {
    if (seq < 0) return nullptr;
    HeldPacket& slot = (*held_)[static_cast<size_t>(seq) % kHeldSlots];
    return slot.seq == seq ? &slot : nullptr;
  }

  static int64_t SeqArg(const Napi::CallbackInfo& info, size_t index, bool allow_none) {
    const double v = info.Length() > index && info[index].IsNumber()
                         ? info[index].As<Napi::Number>().DoubleValue()
                         : NAN;
    if (!(std::floor(v) == v && v >= (allow_none ? -1 : 0) && v <= 9007199254740991.0)) {
      throw Napi::TypeError::New(info.Env(), allow_none
                                                 ? "audio engine: seq must be an integer >= -1"
                                                 : "audio engine: seq must be an integer >= 0");
    }
    return static_cast<int64_t>(v);
  }

  // Decisions without sequence numbers: the caller owns the bytes and the order.
  Napi::Value Play(const Napi::CallbackInfo& info) {
    const PacketView packet = PacketArg(info, 0, "packet");
    std::lock_guard<PiMutex> lock(playback_mutex_);
    DecodeInto(packet.data, packet.length);
    return Napi::Number::New(info.Env(), Output(decoded_.data(), format_.block_frames));
  }

  Napi::Value Accelerate(const Napi::CallbackInfo& info) {
    const PacketView packet = PacketArg(info, 0, "packet");
    std::lock_guard<PiMutex> lock(playback_mutex_);
    DecodeInto(packet.data, packet.length);
    const int frames =
        stretch_->Accelerate(decoded_.data(), format_.block_frames, stretched_.data());
    return Napi::Number::New(info.Env(), Output(stretched_.data(), frames));
  }

  // conceal(nextPacket | null, length?): the missing block from the next packet's in-band FEC, or
  // PLC.
  Napi::Value Conceal(const Napi::CallbackInfo& info) {
    const bool fec = info.Length() > 0 && info[0].IsTypedArray();
    const PacketView next = fec ? PacketArg(info, 0, "next packet") : PacketView{nullptr, 0};
    std::lock_guard<PiMutex> lock(playback_mutex_);
#ifdef DOORWAY_HAS_OPUS
    if (decoder_ && fec) {
      decoder_->DecodeFec(next.data, static_cast<int>(next.length), decoded_.data());
      return Napi::Number::New(info.Env(), Output(decoded_.data(), format_.block_frames));
    }
#endif
    ConcealInto();
    return Napi::Number::New(info.Env(), Output(decoded_.data(), format_.block_frames));
  }

  // expand(): the buffer runs shallow; a block of concealment continues the sound while it fills.
  Napi::Value Expand(const Napi::CallbackInfo& info) {
    std::lock_guard<PiMutex> lock(playback_mutex_);
    ConcealInto();
    return Napi::Number::New(info.Env(), Output(decoded_.data(), format_.block_frames));
  }

  Napi::Value ClearPlayback(const Napi::CallbackInfo& info) {
    std::lock_guard<PiMutex> lock(playback_mutex_);
    pending_frames_ = 0;
    port_->ClearPlayback();
    return info.Env().Undefined();
  }

  // hold(seq, packet, length?): keeps a copy of an arrived packet for the decisions below and
  // for the rescue.
  Napi::Value Hold(const Napi::CallbackInfo& info) {
    const int64_t seq = SeqArg(info, 0, false);
    const PacketView packet = PacketArg(info, 1, "packet");
    if (packet.length > static_cast<size_t>(kMaxPacket)) {
      throw Napi::RangeError::New(
          info.Env(), "audio engine: packet longer than " + std::to_string(kMaxPacket) + " bytes");
    }
    std::lock_guard<PiMutex> lock(playback_mutex_);
    HeldPacket& slot = (*held_)[static_cast<size_t>(seq) % kHeldSlots];
    slot.seq = seq;
    slot.length = static_cast<int>(packet.length);
    std::memcpy(slot.bytes.data(), packet.data, packet.length);
    return info.Env().Undefined();
  }

  // playHeld(seq, accelerate): decodes the held packet `seq` (shortened when `accelerate`) and
  // returns the frames queued. A packet the rescue already played queues nothing and returns 0:
  // its block went out while this thread was late, so the jitter buffer's timeline, which starts
  // over at `now` when it fell behind, has already passed it. One no longer held (overwritten by a
  // far later one) is concealed.
  Napi::Value PlayHeld(const Napi::CallbackInfo& info) {
    const int64_t seq = SeqArg(info, 0, false);
    const bool accelerate = info.Length() > 1 && info[1].ToBoolean().Value();
    std::lock_guard<PiMutex> lock(playback_mutex_);
    rescue_conceal_run_ = 0;
    if (seq < next_seq_) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      return Napi::Number::New(info.Env(), 0);
    }
    next_seq_ = seq + 1;
    HeldPacket* packet = Held(seq);
    if (packet == nullptr) {
      held_missing_.fetch_add(1, std::memory_order_relaxed);
      ConcealInto();
      return Napi::Number::New(info.Env(), Output(decoded_.data(), format_.block_frames));
    }
    DecodeInto(packet->bytes.data(), static_cast<size_t>(packet->length));
    packet->seq = -1;
    if (!accelerate) {
      return Napi::Number::New(info.Env(), Output(decoded_.data(), format_.block_frames));
    }
    const int frames =
        stretch_->Accelerate(decoded_.data(), format_.block_frames, stretched_.data());
    return Napi::Number::New(info.Env(), Output(stretched_.data(), frames));
  }

  // concealFromHeld(nextSeq): the packet before `nextSeq` is missing; rebuilds it from the held
  // `nextSeq`'s in-band FEC (Opus), else conceals. -1: plain concealment, no packet given up.
  Napi::Value ConcealFromHeld(const Napi::CallbackInfo& info) {
    const int64_t next = SeqArg(info, 0, true);
    std::lock_guard<PiMutex> lock(playback_mutex_);
    if (next >= 0) {
      rescue_conceal_run_ = 0;
      if (next - 1 < next_seq_) {
        skipped_.fetch_add(1, std::memory_order_relaxed);
        return Napi::Number::New(info.Env(), 0);
      }
      next_seq_ = next;
      if (DecodeFecFromHeld(next)) {
        return Napi::Number::New(info.Env(), Output(decoded_.data(), format_.block_frames));
      }
    }
    ConcealInto();
    return Napi::Number::New(info.Env(), Output(decoded_.data(), format_.block_frames));
  }

  // forgetHeld(): a new stream (the sender restarted): sequence numbers start over.
  Napi::Value ForgetHeld(const Napi::CallbackInfo& info) {
    std::lock_guard<PiMutex> lock(playback_mutex_);
    for (HeldPacket& slot : *held_) slot.seq = -1;
    next_seq_ = -1;
    return info.Env().Undefined();
  }

  // setRescue(on): whether the port's thread fills a block itself when the queue runs dry. On
  // while the jitter buffer plays a stream; off before it starts and once it is idle.
  Napi::Value SetRescue(const Napi::CallbackInfo& info) {
    const bool on = info.Length() > 0 && info[0].ToBoolean().Value();
    std::lock_guard<PiMutex> lock(playback_mutex_);
    rescue_conceal_run_ = 0;
    rescue_.store(on, std::memory_order_release);
    return info.Env().Undefined();
  }

  Napi::Value Queued(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), port_->QueuedPlayback());
  }

  // playbackDueUs(): when the port needs the next block not yet queued, µs realtime: its check
  // before the tick that will play that block (NaN before the port runs). The receiver measures
  // its jitter buffer's delay to this, so the slack a packet has is the true one. Read twice
  // around the queue so a tick between the reads cannot pair a stale time with a fresh count.
  Napi::Value PlaybackDueUs(const Napi::CallbackInfo& info) {
    int64_t due = 0;
    int queued = 0;
    for (int tries = 0; tries < 4; ++tries) {
      due = port_->NextPlaybackDueUs();
      queued = port_->QueuedPlayback();
      if (port_->NextPlaybackDueUs() == due) break;
    }
    if (due == 0) return Napi::Number::New(info.Env(), NAN);
    return Napi::Number::New(info.Env(), static_cast<double>(due + queued * format_.block_us()));
  }

  // rescueConcealed(): blocks the rescue concealed with nothing to play, since the start. The
  // jitter buffer books each as its own concealment of the slot (see the receive pipeline).
  Napi::Value RescueConcealed(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(rescue_concealed_.load()));
  }

  Napi::Value SetBitrate(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber())
      throw Napi::TypeError::New(info.Env(), "setBitrate(bps)");
#ifdef DOORWAY_HAS_OPUS
    if (encoder_) encoder_->SetBitrate(info[0].As<Napi::Number>().Int32Value());
#endif
    return info.Env().Undefined();
  }

  Napi::Value GetStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const PortStats s = port_->Stats();
    Napi::Object out = Napi::Object::New(env);
    out.Set("device", port_->Describe());
    out.Set("capturedBlocks", static_cast<double>(s.captured_blocks));
    out.Set("playedBlocks", static_cast<double>(s.played_blocks));
    out.Set("underruns", static_cast<double>(s.underruns));
    out.Set("overruns", static_cast<double>(s.overruns));
    out.Set("deviceXruns", static_cast<double>(s.device_xruns));
    out.Set("lost", static_cast<double>(s.lost));
    out.Set("reacquired", static_cast<double>(s.reacquired));
    out.Set("queuedPlayback", s.queued_playback);
    out.Set("outputLatencyUs", static_cast<double>(s.output_latency_us));
    out.Set("inputLatencyUs", static_cast<double>(s.input_latency_us));
    out.Set("scheduling", SchedulingName(s.scheduling));
    out.Set("encodedBlocks", static_cast<double>(encoded_blocks_.load()));
    out.Set("encodeErrors", static_cast<double>(encode_errors_.load()));
    out.Set("corruptPackets", static_cast<double>(corrupt_.load()));
    out.Set("eventsDropped", static_cast<double>(events_dropped_.load()));
    {
      // Written under the lock by both playing threads.
      std::lock_guard<PiMutex> lock(playback_mutex_);
      out.Set("playbackQueueFull", static_cast<double>(queue_full_));
      out.Set("droppedFrames", static_cast<double>(dropped_frames_));
    }
    out.Set("rescuedBlocks", static_cast<double>(rescued_.load()));
    out.Set("rescueConcealedBlocks", static_cast<double>(rescue_concealed_.load()));
    out.Set("skippedDecisions", static_cast<double>(skipped_.load()));
    out.Set("heldMissing", static_cast<double>(held_missing_.load()));
    out.Set("processingErrors", static_cast<double>(errors_.load()));
    {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!last_error_.empty()) out.Set("lastError", last_error_);
    }
#ifdef DOORWAY_HAS_APM
    if (apm_) {
      const EchoCancellerStats a = apm_->Stats();
      Napi::Object echo = Napi::Object::New(env);
      echo.Set("delayEstimateMs", a.delay_estimate_ms);
      echo.Set("erleDb", a.echo_return_loss_enhancement_db);
      echo.Set("captureCostUs", a.capture_cost_us);
      out.Set("echo", echo);
    }
#endif
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    if (port_) port_->Stop();
    if (started_) tsfn_.Release();
  }

  AudioFormat format_;
  bool send_ = true;
  bool started_ = false;
  bool closed_ = false;
  std::unique_ptr<AudioPort> port_;
#ifdef DOORWAY_HAS_APM
  std::unique_ptr<EchoCanceller> apm_;
#endif
#ifdef DOORWAY_HAS_OPUS
  std::unique_ptr<AudioEncoder> encoder_;
  std::unique_ptr<AudioDecoder> decoder_;
#endif
  std::unique_ptr<PcmCodec> pcm_;
  std::unique_ptr<TimeStretch> stretch_;
  std::vector<float> capture_copy_;
  std::vector<float> decoded_;
  std::vector<float> stretched_;
  std::vector<float> pending_;
  // Guards the decoder, the time stretch, the pending output and the held packets: the JS thread
  // and the port's service thread (the rescue) both play.
  PiMutex playback_mutex_;
  int pending_frames_ = 0;
  uint64_t dropped_frames_ = 0;
  uint64_t queue_full_ = 0;
  std::unique_ptr<std::array<HeldPacket, kHeldSlots>> held_;
  // The next sequence number to play: one past the last one played or given up. -1: none yet.
  int64_t next_seq_ = -1;
  std::atomic<bool> rescue_{false};
  int rescue_conceal_run_ = 0;
  int rescue_conceal_limit_ = 20;
  std::atomic<uint64_t> rescued_{0};
  std::atomic<uint64_t> rescue_concealed_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> held_missing_{0};
  int64_t seq_ = 0;
  std::atomic<int64_t> last_dac_us_{0};
  std::atomic<uint64_t> encoded_blocks_{0};
  std::atomic<uint64_t> encode_errors_{0};
  std::atomic<uint64_t> corrupt_{0};
  std::atomic<uint64_t> events_dropped_{0};
  std::atomic<uint64_t> errors_{0};
  std::mutex error_mutex_;
  std::string last_error_;
  std::unique_ptr<std::array<EngineEvent, kEventSlots>> events_;
  std::atomic<uint64_t> write_{0};
  std::atomic<uint64_t> read_{0};
  std::atomic<bool> wake_pending_{false};
  Napi::FunctionReference on_event_;
  Napi::ThreadSafeFunction tsfn_;
};

}  // namespace

void RegisterEngine(Napi::Env env, Napi::Object exports) { AudioEngine::Register(env, exports); }

}  // namespace doorway::audio
