// EchoCanceller on webrtc-audio-processing 0.3 (feature apm). See echo_canceller.h.
//
// Configuration and why:
// - AEC (not AECM) with ExtendedFilter (128 ms filter, robust to wrong delays) and DelayAgnostic
//   (finds the playout-to-capture delay itself; our delay hint is only a seed, and a doorway's
//   real delay depends on the sound card and PulseAudio). Suppression level: measured with
//   measureEchoCancellation (echo_harness.cc, AEC-only figures, echo −27 dBFS, near end −28 dBFS)
//   at 20/60/120 ms delay: kLow ERLE 29/37/41 dB, near end −4.6 dB; kModerate 35/45/46 dB,
//   −6.7 dB; kHigh 44/46/46 dB but the near end −11 dB in double talk. kModerate keeps a wide
//   margin over the 20 dB target and ducks the near talker far less.
// - Layout (EchoReference, CaptureLayout), measured with measureAudioDsp (stereo 10 ms blocks,
//   full chain, µs p50/p99 on the 2-core CI machine) and measureEchoCancellation (AEC-only ERLE
//   at 20/60/120 ms, double talk): reference/capture stereo/stereo 172/332 µs, ERLE
//   34.5/44.7/46.0 dB, near end −6.6/−6.9/−6.4 dB; mono/stereo 171/902 µs, the same ERLE to the
//   tenth (0.3 downmixes the reverse stream to mono itself: a stereo reference buys nothing but
//   ~2 µs); stereo/mono 91/270 µs and mono/mono 90/247 µs, ERLE 43.7/43.1/48.6 dB, near end
//   −5.9/−6.3/−6.0 dB, correlation ≥ 0.72. The capture side is the cost (AEC, NS, AGC and HPF run
//   per captured channel; AEC alone is 71 µs per channel), so only a mono-mix capture reaches the
//   100 µs budget. Components alone at mono/mono: format + band split 4 µs, AEC 71, HPF 21,
//   NS 29, AGC 23.
// - Echo metrics and delay logging on, so Stats() can report ERLE and the found delay.
// - Noise suppression kHigh, high-pass filter, adaptive digital AGC (target −3 dBFS, 9 dB
//   compression gain, limiter) — the classic WebRTC voice chain.
// - The float deinterleaved API (StreamConfig): 0.3's int16 AudioFrame path rejects 48 kHz on the
//   reverse stream.
// - 5 ms blocks: APM works on 10 ms. Played halves are gathered and handed over in pairs. Captured
//   halves are gathered too; the call that completes a pair processes it and returns its first
//   half, and the next call returns its second. Every half leaves one call (5 ms) after it came,
//   the least a 10 ms processor allows: this ADDS 5 ms of latency on the capture path (10 ms
//   blocks add nothing). Returning the pair a whole call later, as this once did, cost 10 ms.
#include "echo_canceller.h"

#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

namespace doorway::audio {
namespace {

constexpr int kRate = 48000;
constexpr int kBlock = kRate / 100;
constexpr int kHalf = kBlock / 2;
constexpr int kMaxChannels = 8;
constexpr webrtc::EchoCancellation::SuppressionLevel kSuppression =
    webrtc::EchoCancellation::kModerateSuppression;
// APM aggregates its delay metrics per second; we read them (and ERLE) that often.
constexpr uint64_t kMetricsEveryBlocks = 100;

std::string Failed(const char* step, int rc) {
  return std::string("echo canceller: ") + step + " failed with APM code " + std::to_string(rc);
}

class ApmEchoCanceller final : public EchoCanceller {
 public:
  ApmEchoCanceller(std::unique_ptr<webrtc::AudioProcessing> apm,
                   const EchoCancellerOptions& options)
      : apm_(std::move(apm)),
        channels_(options.channels),
        render_channels_(options.reference == EchoReference::kMonoMix ? 1 : options.channels),
        capture_channels_(options.capture == CaptureLayout::kMonoMix ? 1 : options.channels),
        render_stream_(kRate, static_cast<size_t>(render_channels_)),
        capture_stream_(kRate, static_cast<size_t>(capture_channels_)),
        played_(static_cast<size_t>(kBlock) * channels_),
        captured_(static_cast<size_t>(kBlock) * channels_),
        processed_(static_cast<size_t>(kBlock) * channels_, 0.0f),
        planar_(static_cast<size_t>(kBlock) * channels_) {
    for (int c = 0; c < channels_; ++c) {
      planes_[c] = planar_.data() + static_cast<size_t>(c) * kBlock;
    }
  }

  bool ProcessPlayed(const float* block, int frames, std::string* error) override {
    if (frames == kBlock) return Reverse(block, error);
    if (frames != kHalf) return BadFrames(frames, error);
    std::copy(block, block + kHalf * channels_, played_.data() + played_fill_ * channels_);
    played_fill_ += kHalf;
    if (played_fill_ < kBlock) return true;
    played_fill_ = 0;
    return Reverse(played_.data(), error);
  }

  bool ProcessCaptured(const float* captured, float* cleaned, int frames, int delay_hint_ms,
                       std::string* error) override {
    if (frames == kBlock) return Capture(captured, cleaned, delay_hint_ms, error);
    if (frames != kHalf) return BadFrames(frames, error);
    const size_t half = static_cast<size_t>(kHalf) * channels_;
    // Gather this half first: `cleaned` may be `captured` (in place).
    std::copy(captured, captured + half,
              captured_.data() + static_cast<size_t>(captured_fill_) * channels_);
    if (captured_fill_ == 0) {
      // A pair's first half: give back the second half of the pair processed one call ago.
      captured_fill_ = kHalf;
      std::copy(processed_.data() + half, processed_.data() + 2 * half, cleaned);
      return true;
    }
    captured_fill_ = 0;
    if (!Capture(captured_.data(), processed_.data(), delay_hint_ms, error)) return false;
    std::copy(processed_.data(), processed_.data() + half, cleaned);
    return true;
  }

  EchoCancellerStats Stats() const override { return stats_; }

 private:
  bool BadFrames(int frames, std::string* error) {
    *error =
        "echo canceller: blocks must be 480 or 240 frames at 48 kHz, got " + std::to_string(frames);
    return false;
  }

  // Interleaved `channels_` → `planes` planes: one per channel, or their mean in one.
  void Deinterleave(const float* in, int planes) {
    if (planes == channels_) {
      for (int c = 0; c < channels_; ++c) {
        float* plane = planes_[c];
        for (int i = 0; i < kBlock; ++i) plane[i] = in[i * channels_ + c];
      }
      return;
    }
    const float scale = 1.0f / static_cast<float>(channels_);
    float* mono = planes_[0];
    for (int i = 0; i < kBlock; ++i) {
      float sum = 0.0f;
      for (int c = 0; c < channels_; ++c) sum += in[i * channels_ + c];
      mono[i] = sum * scale;
    }
  }

  // `planes` planes → interleaved `channels_`; one plane is written to every channel.
  void Interleave(int planes, float* out) const {
    for (int c = 0; c < channels_; ++c) {
      const float* plane = planes_[planes == channels_ ? c : 0];
      for (int i = 0; i < kBlock; ++i) out[i * channels_ + c] = plane[i];
    }
  }

  bool Reverse(const float* block, std::string* error) {
    Deinterleave(block, render_channels_);
    int rc =
        apm_->ProcessReverseStream(planes_.data(), render_stream_, render_stream_, planes_.data());
    if (rc != webrtc::AudioProcessing::kNoError) {
      *error = Failed("ProcessReverseStream", rc);
      return false;
    }
    ++stats_.reverse_blocks;
    return true;
  }

  bool Capture(const float* captured, float* cleaned, int delay_hint_ms, std::string* error) {
    const auto start = std::chrono::steady_clock::now();
    Deinterleave(captured, capture_channels_);
    apm_->set_stream_delay_ms(std::max(0, delay_hint_ms));
    int rc = apm_->ProcessStream(planes_.data(), capture_stream_, capture_stream_, planes_.data());
    if (rc != webrtc::AudioProcessing::kNoError) {
      *error = Failed("ProcessStream", rc);
      return false;
    }
    Interleave(capture_channels_, cleaned);
    ++stats_.capture_blocks;
    if (stats_.capture_blocks % kMetricsEveryBlocks == 0) ReadMetrics();
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    // Running mean over the last kCostWindow calls (a ring, no allocation).
    cost_sum_ += us - cost_ring_[cost_next_];
    cost_ring_[cost_next_] = us;
    cost_next_ = (cost_next_ + 1) % kCostWindow;
    if (cost_count_ < kCostWindow) ++cost_count_;
    stats_.capture_cost_us = cost_sum_ / cost_count_;
    return true;
  }

  void ReadMetrics() {
    webrtc::EchoCancellation* aec = apm_->echo_cancellation();
    webrtc::EchoCancellation::Metrics metrics;
    if (aec->GetMetrics(&metrics) == webrtc::AudioProcessing::kNoError) {
      // The long-term average restarts (−100) whenever the AEC re-aligns its delay; the instant
      // value is the best there is then.
      const auto& erle = metrics.echo_return_loss_enhancement;
      stats_.echo_return_loss_enhancement_db =
          static_cast<float>(erle.average > -100 ? erle.average : erle.instant);
    }
    int median = -1;
    int deviation = 0;
    float poor = 0.0f;
    if (aec->GetDelayMetrics(&median, &deviation, &poor) == webrtc::AudioProcessing::kNoError &&
        median >= 0) {
      stats_.delay_estimate_ms = median;
    }
  }

  static constexpr int kCostWindow = 100;
  std::unique_ptr<webrtc::AudioProcessing> apm_;
  const int channels_;
  const int render_channels_;   // APM's reverse stream: channels_ or 1 (mono mix)
  const int capture_channels_;  // APM's capture stream: channels_ or 1 (mono mix)
  const webrtc::StreamConfig render_stream_;
  const webrtc::StreamConfig capture_stream_;
  std::vector<float> played_;     // interleaved 10 ms, gathering 5 ms halves
  std::vector<float> captured_;   // interleaved 10 ms, gathering 5 ms halves
  std::vector<float> processed_;  // interleaved 10 ms, the last processed capture (5 ms mode)
  int played_fill_ = 0;
  int captured_fill_ = 0;
  std::vector<float> planar_;  // channels × 10 ms, deinterleaved for APM (one direction at a time)
  std::array<float*, kMaxChannels> planes_{};
  std::array<double, kCostWindow> cost_ring_{};
  double cost_sum_ = 0.0;
  int cost_next_ = 0;
  int cost_count_ = 0;
  EchoCancellerStats stats_;
};

}  // namespace

std::unique_ptr<EchoCanceller> EchoCanceller::Create(const EchoCancellerOptions& options,
                                                     std::string* error) {
  if (options.channels < 1 || options.channels > kMaxChannels) {
    *error = "echo canceller: channels must be 1.." + std::to_string(kMaxChannels) + ", got " +
             std::to_string(options.channels);
    return nullptr;
  }
  webrtc::Config config;
  config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
  config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
  std::unique_ptr<webrtc::AudioProcessing> apm(webrtc::AudioProcessing::Create(config));
  if (!apm) {
    *error = "echo canceller: AudioProcessing::Create returned nothing";
    return nullptr;
  }
  int rc;
  webrtc::EchoCancellation* aec = apm->echo_cancellation();
  if ((rc = aec->set_suppression_level(kSuppression)) != 0) {
    *error = Failed("AEC suppression level", rc);
    return nullptr;
  }
  if ((rc = aec->enable_metrics(true)) != 0 || (rc = aec->enable_delay_logging(true)) != 0) {
    *error = Failed("AEC metrics", rc);
    return nullptr;
  }
  if ((rc = aec->Enable(options.echo_cancellation)) != 0) {
    *error = Failed("AEC enable", rc);
    return nullptr;
  }
  if (options.noise_suppression) {
    if ((rc = apm->noise_suppression()->set_level(webrtc::NoiseSuppression::kHigh)) != 0 ||
        (rc = apm->noise_suppression()->Enable(true)) != 0) {
      *error = Failed("noise suppression", rc);
      return nullptr;
    }
  }
  if (options.high_pass && (rc = apm->high_pass_filter()->Enable(true)) != 0) {
    *error = Failed("high-pass filter", rc);
    return nullptr;
  }
  if (options.gain_control) {
    webrtc::GainControl* agc = apm->gain_control();
    if ((rc = agc->set_mode(webrtc::GainControl::kAdaptiveDigital)) != 0 ||
        (rc = agc->set_target_level_dbfs(3)) != 0 || (rc = agc->set_compression_gain_db(9)) != 0 ||
        (rc = agc->enable_limiter(true)) != 0 || (rc = agc->Enable(true)) != 0) {
      *error = Failed("gain control", rc);
      return nullptr;
    }
  }
  // Fix the formats now so the first block does not reinitialise APM (which allocates).
  const webrtc::StreamConfig capture(kRate, options.capture == CaptureLayout::kMonoMix
                                                ? 1
                                                : static_cast<size_t>(options.channels));
  const webrtc::StreamConfig render(kRate, options.reference == EchoReference::kMonoMix
                                               ? 1
                                               : static_cast<size_t>(options.channels));
  webrtc::ProcessingConfig formats = {{capture, capture, render, render}};
  if ((rc = apm->Initialize(formats)) != 0) {
    *error = Failed("Initialize 48 kHz", rc);
    return nullptr;
  }
  return std::make_unique<ApmEchoCanceller>(std::move(apm), options);
}

}  // namespace doorway::audio
