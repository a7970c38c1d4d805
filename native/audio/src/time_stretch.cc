// WSOLA time-scale modification on single blocks. See time_stretch.h.
//
// One block is all we get (the previous one has already been played, the next is not decoded
// yet), so both ends of the output must equal the block's own ends for the seams to stay clean:
// - Accelerate by p frames: out[j] = fade_out(j)·in[j] + fade_in(j)·in[j + p], j < frames − p.
//   It starts on in[0] and ends on in[frames − 1]; in between it slides from the block onto the
//   same block one period later. Where the signal repeats with period p both terms agree, so
//   the cross-fade is inaudible.
// - Expand by p frames: in[0, p), then a cross-fade from in[p, frames) onto in[0, frames − p),
//   then in[frames − p, frames): the block replayed one period back, again seamless at both ends.
// The period p is the lag with the best normalised cross-correlation between in[0, frames − p)
// and in[p, frames) on a mono downmix: a coarse search on a 4× decimated copy (12 kHz), then a
// ±4 sample refinement at 48 kHz. Lags span 2.5..15 ms but never leave less than kMinWindow
// (1.25 ms) to cross-fade over, so a 10 ms block changes by at most 8.75 ms (pitch down to
// 114 Hz is found in one 10 ms block) and a 5 ms block by at most 3.75 ms; lower voices are
// shortened only when some shorter lag still correlates well enough.
// Accelerate gives up (plain copy, returns frames) when the best correlation is below
// kMinCorrelation (0.7; 0.5 and 0.7 measured the same seam jumps with measureTimeStretch, 0.7
// removes slightly less and smears less on non-periodic sound). Silence (below kSilence RMS) is
// always shortened by the longest lag: nothing to smear. Expand always lengthens: being asked
// means the buffer runs dry, and a cross-faded repeat is still far better than a gap.
#include "time_stretch.h"

#include <algorithm>
#include <cmath>

namespace doorway::audio {
namespace {

constexpr int kRate = 48000;
constexpr int kMinPeriod = kRate / 400;        // 2.5 ms
constexpr int kMaxPeriod = kRate * 15 / 1000;  // 15 ms
constexpr int kDecimation = 4;
// Shortest cross-fade allowed; it caps the lag at frames − kMinWindow.
constexpr int kMinWindow = kRate / 800;  // 1.25 ms
constexpr int kPlannedFrames = 960;      // buffers are sized for blocks up to 20 ms
constexpr float kMinCorrelation = 0.7f;
constexpr float kSilence = 1e-4f;  // RMS, −80 dBFS
constexpr float kPi = 3.14159265358979f;

// Raised-cosine fade-in weight at position j of n (0 → 0, n − 1 → 1).
inline float FadeIn(int j, int n) {
  if (n <= 1) return 1.0f;
  return 0.5f - 0.5f * std::cos(kPi * static_cast<float>(j) / static_cast<float>(n - 1));
}

// Normalised cross-correlation of a[0, n) and b[0, n); 0 when either is silent.
float Correlation(const float* a, const float* b, int n) {
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (int i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  if (aa <= 1e-12 || bb <= 1e-12) return 0.0f;
  return static_cast<float>(ab / std::sqrt(aa * bb));
}

}  // namespace

TimeStretch::TimeStretch(int channels)
    : channels_(channels < 1 ? 1 : channels),
      // Full-rate mono, then the decimated copy, then one float for the last correlation found.
      mono_(kPlannedFrames + kPlannedFrames / kDecimation + 1) {}

int TimeStretch::BestPeriod(const float* in, int frames, int min_period, int max_period) {
  const size_t need = static_cast<size_t>(frames) + frames / kDecimation + 1;
  // Larger blocks than planned: grow once (allocation outside the planned sizes only).
  if (mono_.size() < need) mono_.resize(need);
  float* mono = mono_.data();
  float* coarse = mono + frames;
  float& score = mono_[need - 1];
  double energy = 0.0;
  for (int i = 0; i < frames; ++i) {
    float sum = 0.0f;
    for (int c = 0; c < channels_; ++c) sum += in[i * channels_ + c];
    mono[i] = sum / static_cast<float>(channels_);
    energy += static_cast<double>(mono[i]) * mono[i];
  }
  if (std::sqrt(energy / frames) < kSilence) {
    score = 1.0f;
    return max_period;
  }
  // Decimate by averaging (a crude low-pass is enough to find the pitch region).
  const int coarse_frames = frames / kDecimation;
  for (int i = 0; i < coarse_frames; ++i) {
    float sum = 0.0f;
    for (int k = 0; k < kDecimation; ++k) sum += mono[i * kDecimation + k];
    coarse[i] = sum;
  }
  int best = min_period;
  float best_score = -2.0f;
  for (int lag = min_period / kDecimation; lag <= max_period / kDecimation; ++lag) {
    const float s = Correlation(coarse, coarse + lag, coarse_frames - lag);
    if (s > best_score) {
      best_score = s;
      best = lag * kDecimation;
    }
  }
  const int low = std::max(min_period, best - kDecimation);
  const int high = std::min(max_period, best + kDecimation);
  best_score = -2.0f;
  for (int lag = low; lag <= high; ++lag) {
    const float s = Correlation(mono, mono + lag, frames - lag);
    if (s > best_score) {
      best_score = s;
      best = lag;
    }
  }
  score = best_score;
  return best;
}

int TimeStretch::Accelerate(const float* in, int frames, float* out) {
  const int max_period = std::min(kMaxPeriod, frames - kMinWindow);
  if (max_period < kMinPeriod) {
    std::copy(in, in + static_cast<size_t>(frames) * channels_, out);
    return frames;
  }
  const int period = BestPeriod(in, frames, kMinPeriod, max_period);
  if (mono_[frames + frames / kDecimation] < kMinCorrelation) {
    std::copy(in, in + static_cast<size_t>(frames) * channels_, out);
    return frames;
  }
  const int length = frames - period;
  for (int j = 0; j < length; ++j) {
    const float w = FadeIn(j, length);
    for (int c = 0; c < channels_; ++c) {
      out[j * channels_ + c] =
          (1.0f - w) * in[j * channels_ + c] + w * in[(j + period) * channels_ + c];
    }
  }
  return length;
}

int TimeStretch::Expand(const float* in, int frames, float* out) {
  const int max_period = std::min(kMaxPeriod, frames - kMinWindow);
  // Blocks under 3.75 ms: no pitch search, repeat half the block with a half-block cross-fade.
  const int period = max_period < kMinPeriod ? std::max(1, frames / 2)
                                             : BestPeriod(in, frames, kMinPeriod, max_period);
  const size_t ch = static_cast<size_t>(channels_);
  std::copy(in, in + period * ch, out);
  const int length = frames - period;
  for (int j = 0; j < length; ++j) {
    const float w = FadeIn(j, length);
    for (int c = 0; c < channels_; ++c) {
      out[(period + j) * ch + c] = (1.0f - w) * in[(period + j) * ch + c] + w * in[j * ch + c];
    }
  }
  std::copy(in + (frames - period) * ch, in + frames * ch, out + frames * ch);
  return frames + period;
}

}  // namespace doorway::audio
