// Echo cancellation and clean-up of the microphone signal with webrtc-audio-processing 0.3
// (feature apm): AEC with extended filter and delay-agnostic mode, noise suppression, high-pass
// filter and adaptive digital gain control. Not thread-safe: one thread feeds both directions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace doorway::audio {

// What APM hears as the far end (its reverse stream).
enum class EchoReference {
  // Every played channel is its own reference: for speakers that carry different mixes, where
  // each microphone channel hears each speaker through its own path.
  kPerChannel,
  // The played channels averaged into one reference: for speakers that carry one mix (or one
  // speaker). The AEC then runs one filter per capture channel instead of one per capture ×
  // played channel pair, at a fraction of the cost.
  kMonoMix,
};

// How the microphone signal is processed.
enum class CaptureLayout {
  kPerChannel,  // each captured channel is cleaned on its own
  // The captured channels averaged and cleaned once, the result written to every channel: for a
  // mono microphone delivered as stereo, or a mono send.
  kMonoMix,
};

struct EchoCancellerOptions {
  int channels = 2;  // interleaved channels of the blocks in both directions
  EchoReference reference = EchoReference::kPerChannel;
  CaptureLayout capture = CaptureLayout::kPerChannel;
  // Off only to measure what the rest of the chain costs (dsp_bench.cc): the product always
  // cancels.
  bool echo_cancellation = true;
  bool noise_suppression = true;
  bool gain_control = true;
  bool high_pass = true;
};

struct EchoCancellerStats {
  uint64_t capture_blocks = 0;
  uint64_t reverse_blocks = 0;
  // APM's own echo metrics when it has them (delay-agnostic AEC's estimate), else -1 / NaN-free
  // -100.
  int delay_estimate_ms = -1;
  float echo_return_loss_enhancement_db = -100.0f;
  // Mean µs per ProcessStream call, last 100 calls.
  double capture_cost_us = 0.0;
};

class EchoCanceller {
 public:
  // Null with `error` set (one line) when APM cannot be created or configured.
  static std::unique_ptr<EchoCanceller> Create(const EchoCancellerOptions& options,
                                               std::string* error);
  virtual ~EchoCanceller() = default;
  // Interleaved 10 ms blocks (480 frames × channels) at 48 kHz. A 5 ms block must be given in
  // pairs: APM works on 10 ms; the implementation buffers internally.
  // The far end: exactly what the speaker played, in play order.
  virtual bool ProcessPlayed(const float* block, int frames, std::string* error) = 0;
  // The near end: `captured` (as the port handed it over, left untouched) is cleaned into
  // `cleaned`, so the caller needs no copy of its own; the two may be the same block (in place).
  // `delay_hint_ms`: the known playout-to-capture delay (the delay-agnostic mode finds the real
  // one; the hint only seeds it).
  virtual bool ProcessCaptured(const float* captured, float* cleaned, int frames, int delay_hint_ms,
                               std::string* error) = 0;
  // The near end, processed in place.
  bool ProcessCaptured(float* block, int frames, int delay_hint_ms, std::string* error) {
    return ProcessCaptured(block, block, frames, delay_hint_ms, error);
  }
  virtual EchoCancellerStats Stats() const = 0;
};

}  // namespace doorway::audio
