// A synthetic sound card on the realtime clock, for machines without one (CI, the bench): one
// thread wakes on absolute CLOCK_MONOTONIC deadlines one block apart, generates a capture block,
// takes a playback block from the queue into a sink, and reports both with times on the realtime
// clock. Times come from the deadlines, not from when the thread woke, so they are exact to the
// sample however late the scheduler runs the thread (a late tick is caught up, as a card's buffer
// would absorb it).
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <thread>
#include <vector>

#include "audio_port.h"
#include "block_ring.h"
#include "wav_file.h"

namespace doorway::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

int64_t MonotonicNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Sleeps until `ns` on CLOCK_MONOTONIC (at once when it has passed), through signals.
void SleepUntilNs(int64_t ns) {
  const timespec until{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
  }
}

// Realtime minus monotonic, µs, taken between two monotonic readings so the pair is close.
int64_t RealtimeMinusMonotonicUs() {
  const int64_t before = MonotonicNowNs();
  const int64_t realtime = RealtimeNowUs();
  const int64_t after = MonotonicNowNs();
  return realtime - (before + after) / 2000;
}

// A change of the realtime clock against the monotonic one larger than this is a step to follow;
// smaller differences are the jitter of reading two clocks.
constexpr int64_t kOffsetStepUs = 200;

int64_t FramesToUs(int64_t frames) { return frames * 1000000 / kSampleRate; }

// xorshift64*: deterministic, cheap, and the same on every machine, so a run is repeatable.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed ? seed : 1) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Between(double low, double high) { return low + (high - low) * Uniform(); }

 private:
  uint64_t state_;
};

// Capture generators. Fill writes one block of interleaved frames; `first_frame` is the index of
// its first frame since the port started.
class Source {
 public:
  virtual ~Source() = default;
  virtual void Fill(float* out, int frames, int channels, int64_t first_frame) = 0;
};

class SilenceSource : public Source {
 public:
  void Fill(float* out, int frames, int channels, int64_t) override {
    std::fill(out, out + static_cast<size_t>(frames) * channels, 0.0f);
  }
};

// A sine at `dbfs` peak.
class ToneSource : public Source {
 public:
  ToneSource(double hz, double dbfs) : step_(2 * kPi * hz / kSampleRate) {
    amplitude_ = std::pow(10.0, dbfs / 20.0);
  }
  void Fill(float* out, int frames, int channels, int64_t) override {
    for (int f = 0; f < frames; ++f) {
      const float v = static_cast<float>(amplitude_ * std::sin(phase_));
      phase_ += step_;
      if (phase_ > 2 * kPi) phase_ -= 2 * kPi;
      for (int c = 0; c < channels; ++c) out[f * channels + c] = v;
    }
  }

 private:
  double step_;
  double amplitude_;
  double phase_ = 0;
};

// Two-pole resonator (a formant): unity gain at its centre frequency.
class Resonator {
 public:
  void Set(double hz, double bandwidth_hz) {
    const double r = std::exp(-kPi * bandwidth_hz / kSampleRate);
    a1_ = -2 * r * std::cos(2 * kPi * hz / kSampleRate);
    a2_ = r * r;
    gain_ = (1 - r) * std::sqrt(1 - 2 * r * std::cos(4 * kPi * hz / kSampleRate) + r * r);
  }
  double Run(double x) {
    const double y = gain_ * x - a1_ * y1_ - a2_ * y2_;
    y2_ = y1_;
    y1_ = y;
    return y;
  }

 private:
  double a1_ = 0, a2_ = 0, gain_ = 0, y1_ = 0, y2_ = 0;
};

// Speech-like: syllables of 150–300 ms (a glottal pulse train at 100–220 Hz with its pitch gliding,
// through two formant resonators that change per syllable, under a smooth envelope) separated by
// 100–400 ms pauses. Enough like speech for the echo canceller, the codec's VAD and the jitter
// buffer's silence handling to behave as they would with a talker; deterministic from its seed.
class SpeechSource : public Source {
 public:
  SpeechSource() : random_(0x5EEDD00Bull) { StartPause(); }
  void Fill(float* out, int frames, int channels, int64_t) override {
    for (int f = 0; f < frames; ++f) {
      const float v = static_cast<float>(Next());
      for (int c = 0; c < channels; ++c) out[f * channels + c] = v;
    }
  }

 private:
  static constexpr int kAttackFrames = kSampleRate * 20 / 1000;
  static constexpr int kReleaseFrames = kSampleRate * 40 / 1000;

  void StartPause() {
    voiced_ = false;
    left_ = static_cast<int>(random_.Between(0.100, 0.400) * kSampleRate);
  }
  void StartSyllable() {
    voiced_ = true;
    length_ = static_cast<int>(random_.Between(0.150, 0.300) * kSampleRate);
    left_ = length_;
    f0_start_ = random_.Between(100, 220);
    f0_end_ = std::clamp(f0_start_ * random_.Between(0.75, 1.25), 100.0, 220.0);
    f1_.Set(random_.Between(300, 850), 90);
    f2_.Set(random_.Between(900, 2400), 140);
    level_ = random_.Between(0.5, 1.0);
  }
  double Next() {
    if (left_ == 0) {
      if (voiced_) {
        StartPause();
      } else {
        StartSyllable();
      }
    }
    --left_;
    double excitation = 0;
    if (voiced_) {
      const int done = length_ - left_;
      const double t = static_cast<double>(done) / length_;
      const double f0 = f0_start_ + (f0_end_ - f0_start_) * t;
      phase_ += f0 / kSampleRate;
      // A glottal pulse per period: a sharp closing edge, rich in harmonics like a real voice.
      if (phase_ >= 1) {
        phase_ -= 1;
        excitation = 1;
      }
      double envelope = 1;
      if (done < kAttackFrames) {
        envelope = std::sin(0.5 * kPi * done / kAttackFrames);
        envelope *= envelope;
      } else if (left_ < kReleaseFrames) {
        envelope = std::sin(0.5 * kPi * left_ / kReleaseFrames);
        envelope *= envelope;
      }
      // A little breath noise, as voiced speech has.
      excitation = level_ * envelope * (excitation + 0.02 * (random_.Uniform() - 0.5));
    }
    // The glottal source has a falling spectrum; one pole tilts the pulses the same way.
    tilt_ = 0.9 * tilt_ + excitation;
    const double y = f1_.Run(tilt_) + 0.5 * f2_.Run(tilt_);
    // Scaled so that loud syllables peak near -6 dBFS and sit near -20 dBFS RMS.
    return std::clamp(y * kGain, -1.0, 1.0);
  }
  static constexpr double kGain = 4.0;

  Random random_;
  bool voiced_ = false;
  int left_ = 0;
  int length_ = 1;
  double f0_start_ = 120, f0_end_ = 120, level_ = 1;
  double phase_ = 0;
  double tilt_ = 0;
  Resonator f1_, f2_;
};

// A 10 ms burst of white noise at -6 dBFS peak every 500 ms starting 100 ms in, exact silence
// between. Each sample's magnitude is at least 0.2 (random sign), so a burst's very first sample
// crosses the onset threshold and the onset found at the speaker is exact to the sample in a
// clean path.
class MarkerSource : public Source {
 public:
  static constexpr int64_t kFirstFrame = kSampleRate / 10;
  static constexpr int64_t kPeriodFrames = kSampleRate / 2;
  static constexpr int64_t kBurstFrames = kSampleRate / 100;

  MarkerSource() : random_(0xB0B5EEDull) {}
  void Fill(float* out, int frames, int channels, int64_t first_frame) override {
    for (int f = 0; f < frames; ++f) {
      const int64_t at = first_frame + f - kFirstFrame;
      float v = 0;
      if (at >= 0 && at % kPeriodFrames < kBurstFrames) {
        const double magnitude = random_.Between(0.2, 0.5);
        v = static_cast<float>((random_.Next() & 1) ? magnitude : -magnitude);
      }
      for (int c = 0; c < channels; ++c) out[f * channels + c] = v;
    }
  }
  // Calls `report(number, frame)` for every burst starting in [first_frame, first_frame+frames).
  template <typename Report>
  static void Bursts(int64_t first_frame, int frames, Report report) {
    const int64_t end = first_frame + frames;
    int64_t number = first_frame <= kFirstFrame
                         ? 0
                         : (first_frame - kFirstFrame + kPeriodFrames - 1) / kPeriodFrames;
    for (int64_t start = kFirstFrame + number * kPeriodFrames; start < end;
         start += kPeriodFrames, ++number) {
      report(number, start);
    }
  }

 private:
  Random random_;
};

class FileSource : public Source {
 public:
  explicit FileSource(WavData data) : data_(std::move(data)) {}
  void Fill(float* out, int frames, int channels, int64_t) override {
    for (int f = 0; f < frames; ++f) {
      std::copy_n(&data_.samples[static_cast<size_t>(position_) * channels], channels,
                  out + static_cast<size_t>(f) * channels);
      if (++position_ == data_.frames) position_ = 0;
    }
  }

 private:
  WavData data_;
  int64_t position_ = 0;
};

// Finds burst onsets in the played stream: the first sample above kOnset once the stream has
// stayed below kQuiet for kQuietFrames. Once armed, samples between the two thresholds (Opus
// pre-echo, a noise suppressor's residue) do not disarm it; only an onset does. The thresholds
// leave room for the path a marker takes: Opus keeps a -6 dBFS burst's first milliseconds above
// -26 dBFS (0.05), and the 490 ms of digital silence between bursts decodes, and comes out of
// WebRTC's noise suppression and AGC, well under -40 dBFS (0.01) within the 100 ms needed to
// re-arm; an AGC gain of up to +12 dB on the residue still stays below it.
class OnsetDetector {
 public:
  static constexpr float kOnset = 0.05f;
  static constexpr float kQuiet = 0.01f;
  static constexpr int64_t kQuietFrames = kSampleRate / 10;

  // Calls `report(frame_in_block)` for each onset in the block.
  template <typename Report>
  void Scan(const float* block, int frames, int channels, Report report) {
    for (int f = 0; f < frames; ++f) {
      float peak = 0;
      for (int c = 0; c < channels; ++c) peak = std::max(peak, std::fabs(block[f * channels + c]));
      if (armed_) {
        if (peak > kOnset) {
          armed_ = false;
          quiet_ = 0;
          report(f);
        }
      } else if (peak < kQuiet) {
        if (++quiet_ >= kQuietFrames) armed_ = true;
      } else {
        quiet_ = 0;
      }
    }
  }

 private:
  bool armed_ = false;
  int64_t quiet_ = 0;
};

class ClockedPort : public AudioPort {
 public:
  explicit ClockedPort(const ClockedPortOptions& options)
      : options_(options),
        playback_(options.queue_blocks, options.format.block_samples()),
        capture_block_(options.format.block_samples()),
        played_block_(options.format.block_samples()),
        room_(options.room_echo_delay_frames < 0
                  ? 0
                  : static_cast<size_t>(options.format.channels) *
                        (options.room_echo_delay_frames + options.format.block_frames)) {}
  ~ClockedPort() override { Stop(); }

  bool Start(PortListener* listener, std::string* error) override {
    if (thread_.joinable()) return Fail(error, "already started");
    const AudioFormat& format = options_.format;
    if (format.channels < 1 || format.channels > 2 || format.block_frames <= 0 ||
        format.block_frames % 48 != 0 || format.block_frames > kSampleRate) {
      return Fail(error, "unsupported format (" + std::to_string(format.channels) + " channels, " +
                             std::to_string(format.block_frames) + " frames)");
    }
    if (!MakeSource(error) || !OpenSink(error)) return false;
    listener_ = listener;
    stop_.store(false);
    thread_ = std::thread([this] { Run(); });
    return true;
  }

  void Stop() override {
    if (!thread_.joinable()) return;
    stop_.store(true);
    thread_.join();
    sink_file_.Close(nullptr);
  }

  // One producer thread at a time (the engine's receive thread): the queue is single-producer.
  bool QueuePlayback(const float* block) override { return playback_.Push(block, 0); }
  void ClearPlayback() override { playback_.Clear(); }
  int QueuedPlayback() const override { return playback_.Size(); }
  int64_t NextPlaybackDueUs() const override {
    return next_due_us_.load(std::memory_order_acquire);
  }

  PortStats Stats() const override {
    PortStats stats;
    stats.captured_blocks = captured_.load(std::memory_order_relaxed);
    stats.played_blocks = played_.load(std::memory_order_relaxed);
    stats.underruns = underruns_.load(std::memory_order_relaxed);
    stats.device_xruns = xruns_.load(std::memory_order_relaxed);
    stats.queued_playback = playback_.Size();
    stats.output_latency_us = FramesToUs(options_.sink_latency_frames);
    stats.input_latency_us = 0;
    stats.scheduling = scheduling_.load(std::memory_order_relaxed);
    return stats;
  }
  const AudioFormat& format() const override { return options_.format; }
  std::string Describe() const override {
    const std::string room =
        options_.room_echo_delay_frames < 0
            ? ""
            : ", room echo after " + std::to_string(options_.room_echo_delay_frames / 48) + " ms";
    return "clocked port (source " + options_.source + ", sink " + options_.sink + room + ", " +
           std::to_string(options_.format.channels) + " ch, " +
           std::to_string(options_.format.block_frames) + " frames/block)";
  }

 private:
  bool Fail(std::string* error, const std::string& what) const {
    if (error != nullptr) *error = "clocked audio port: " + what;
    return false;
  }

  bool MakeSource(std::string* error) {
    const std::string& spec = options_.source;
    if (spec == "silence") {
      source_ = std::make_unique<SilenceSource>();
    } else if (spec == "tone") {
      source_ = std::make_unique<ToneSource>(440.0, -12.0);
    } else if (spec == "speech") {
      source_ = std::make_unique<SpeechSource>();
    } else if (spec == "markers") {
      source_ = std::make_unique<MarkerSource>();
    } else if (spec.rfind("file:", 0) == 0 && spec.size() > 5) {
      WavData data;
      std::string why;
      if (!ReadWav(spec.substr(5), options_.format.channels, &data, &why)) {
        return Fail(error, "source " + why);
      }
      source_ = std::make_unique<FileSource>(std::move(data));
    } else {
      return Fail(error,
                  "unknown source \"" + spec + "\" (silence, tone, speech, markers or file:PATH)");
    }
    return true;
  }

  bool OpenSink(std::string* error) {
    const std::string& spec = options_.sink;
    if (spec == "null") return true;
    if (spec.rfind("file:", 0) == 0 && spec.size() > 5) {
      std::string why;
      if (!sink_file_.Open(spec.substr(5), options_.format.channels, &why)) {
        return Fail(error, "sink " + why);
      }
      return true;
    }
    return Fail(error, "unknown sink \"" + spec + "\" (null or file:PATH)");
  }

  void Run() {
    scheduling_.store(RaiseAudioThreadPriority(), std::memory_order_relaxed);
    const AudioFormat& format = options_.format;
    const int channels = format.channels;
    const int frames = format.block_frames;
    // Exact: block_frames is a multiple of 48, so a block is a whole number of microseconds.
    const int64_t period_ns = static_cast<int64_t>(frames) * 1000000000 / kSampleRate;
    const int64_t block_us = format.block_us();
    const int64_t sink_latency_us = FramesToUs(options_.sink_latency_frames);
    int64_t deadline_ns = MonotonicNowNs() + period_ns;
    int64_t frame = 0;
    int64_t realtime_offset_us = RealtimeMinusMonotonicUs();
    const int64_t lead_ns = RescueLeadNs(period_ns);
    next_due_us_.store((deadline_ns - lead_ns) / 1000 + realtime_offset_us,
                       std::memory_order_release);
    while (!stop_.load(std::memory_order_relaxed)) {
      SleepUntilNs(deadline_ns);
      if (stop_.load(std::memory_order_relaxed)) break;
      // More than four blocks late (the machine was suspended, the thread starved): a card would
      // have overrun, so count it and start again from now instead of replaying the gap at once.
      const int64_t late_ns = MonotonicNowNs() - deadline_ns;
      if (late_ns > 4 * period_ns) {
        xruns_.fetch_add(1, std::memory_order_relaxed);
        deadline_ns += (late_ns / period_ns) * period_ns;
      }
      // The offset is measured every tick but only adopted when the realtime clock has stepped
      // (NTP, an operator), so block times advance by exactly one block otherwise.
      const int64_t offset_us = RealtimeMinusMonotonicUs();
      if (std::abs(offset_us - realtime_offset_us) > kOffsetStepUs) realtime_offset_us = offset_us;
      const int64_t tick_us = deadline_ns / 1000 + realtime_offset_us;
      deadline_ns += period_ns;
      // Before the tick's events: the receiver that wakes on them plans against the next check.
      next_due_us_.store((deadline_ns - lead_ns) / 1000 + realtime_offset_us,
                         std::memory_order_release);
      Tick(channels, frames, frame, tick_us, block_us, sink_latency_us);
      frame += frames;
      if (options_.service_late_us > 0)
        SleepUntilNs(MonotonicNowNs() + options_.service_late_us * 1000LL);
      // RescueLeadNs before the next tick: a queue still empty gets its block from the listener
      // (a card's service thread does the same, see OnPlaybackDue). A thread already past that
      // point (it was starved, and is catching up) asks at once: skipping the ask would play
      // the next tick as silence.
      const int64_t due_ns = deadline_ns - lead_ns;
      if (listener_ != nullptr) {
        if (MonotonicNowNs() < due_ns) {
          SleepUntilNs(due_ns);
          if (stop_.load(std::memory_order_relaxed)) break;
        }
        if (playback_.Size() == 0) listener_->OnPlaybackDue();
      }
    }
  }

  void Tick(int channels, int frames, int64_t frame, int64_t tick_us, int64_t block_us,
            int64_t sink_latency_us) {
    // Playback first: the engine must see what the speaker played before the microphone block
    // that may carry its echo.
    if (!playback_.PopInto(played_block_.data())) {
      std::fill(played_block_.begin(), played_block_.end(), 0.0f);
      underruns_.fetch_add(1, std::memory_order_relaxed);
    }
    if (sink_file_.is_open()) sink_file_.Write(played_block_.data(), frames);
    const int64_t dac_us = tick_us + sink_latency_us;
    played_.fetch_add(1, std::memory_order_relaxed);
    if (listener_ != nullptr) listener_->OnPlayed(played_block_.data(), dac_us);
    if (options_.markers != nullptr) {
      onsets_.Scan(played_block_.data(), frames, channels,
                   [&](int at) { options_.markers->OnMarkerPlayed(dac_us + FramesToUs(at)); });
    }

    // The block just captured spans the last period: its first sample is one block ago.
    const int64_t adc_us = tick_us - block_us;
    source_->Fill(capture_block_.data(), frames, channels, frame);
    if (options_.markers != nullptr && options_.source == "markers") {
      MarkerSource::Bursts(frame, frames, [&](int64_t number, int64_t start) {
        options_.markers->OnMarkerCaptured(number, adc_us + FramesToUs(start - frame));
      });
    }
    if (!room_.empty()) AddRoomEcho(channels, frames);
    captured_.fetch_add(1, std::memory_order_relaxed);
    if (listener_ != nullptr) listener_->OnCaptured(capture_block_.data(), adc_us);
  }

  // The room: the block just played goes into a delay line one block longer than the echo delay,
  // and the microphone block gets what was played that long ago. Preallocated; one pass per block.
  void AddRoomEcho(int channels, int frames) {
    const size_t samples = static_cast<size_t>(channels) * frames;
    const size_t size = room_.size();
    const size_t delay = static_cast<size_t>(channels) * options_.room_echo_delay_frames;
    const float gain = options_.room_echo_gain;
    for (size_t i = 0; i < samples; ++i) room_[(room_write_ + i) % size] = played_block_[i];
    // The echo of sample i left the speaker `delay` samples before it (size > delay, no wrap).
    const size_t read = (room_write_ + size - delay) % size;
    for (size_t i = 0; i < samples; ++i) capture_block_[i] += gain * room_[(read + i) % size];
    room_write_ = (room_write_ + samples) % size;
  }

  const ClockedPortOptions options_;
  BlockRing playback_;
  std::vector<float> capture_block_;
  std::vector<float> played_block_;
  // The room's delay line (empty without a room) and where the next played block goes in it.
  std::vector<float> room_;
  size_t room_write_ = 0;
  std::unique_ptr<Source> source_;
  WavWriter sink_file_;
  OnsetDetector onsets_;
  PortListener* listener_ = nullptr;
  std::thread thread_;
  std::atomic<ThreadScheduling> scheduling_{ThreadScheduling::kNormal};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> captured_{0};
  std::atomic<uint64_t> played_{0};
  std::atomic<uint64_t> underruns_{0};
  std::atomic<uint64_t> xruns_{0};
  std::atomic<int64_t> next_due_us_{0};
};

}  // namespace

std::unique_ptr<AudioPort> NewClockedPort(const ClockedPortOptions& options) {
  return std::make_unique<ClockedPort>(options);
}

}  // namespace doorway::audio
