// A deterministic speech proxy for the echo harness and the DSP bench: voiced syllables (a
// glottal pulse train with a moving pitch through three formant resonators), some unvoiced
// fricative noise, syllable envelopes and word/phrase pauses. Tones make echo cancellers look far
// better than speech does (a single sinusoid converges in a few hundred ms and never
// excites the filter's whole band), so the measurements use this instead. Mono, 48 kHz, one
// sample per call; no allocation.
#pragma once

#include <cmath>
#include <cstdint>

namespace doorway::audio {

class SpeechLike {
 public:
  // `base_pitch_hz` sets the voice (≈110 a low voice, ≈210 a high one). `level`: the RMS while
  // talking is about a quarter of it (−13..−9 dB re level, higher voices louder) and peaks reach
  // about 1.5 × level.
  SpeechLike(uint32_t seed, float base_pitch_hz, float level)
      : state_(seed * 2654435761u + 0x9E3779B9u), base_pitch_(base_pitch_hz), level_(level) {
    if (state_ == 0) state_ = 1;
    NextSegment();
  }

  // True while the current segment is a syllable (not a pause).
  bool talking() const { return voiced_ || fricative_; }

  float Next() {
    if (remaining_ <= 0) NextSegment();
    --remaining_;
    const float t = 1.0f - static_cast<float>(remaining_) / static_cast<float>(length_);
    // Syllable envelope: fast attack, slower release, so energy onsets look like speech.
    float envelope = 0.0f;
    if (talking()) {
      envelope = t < 0.15f ? t / 0.15f : (t > 0.7f ? (1.0f - t) / 0.3f : 1.0f);
    }
    // Formants glide from the previous vowel to this one over the first third of the syllable.
    const float glide = t < 0.33f ? t / 0.33f : 1.0f;
    float excitation = 0.0f;
    if (voiced_) {
      // Pitch contour: declination over the syllable plus slow vibrato.
      const float pitch = pitch_ * (1.08f - 0.16f * t) * (1.0f + 0.02f * std::sin(vibrato_));
      vibrato_ += 2.0f * kPi * 5.5f / kRate;
      phase_ += pitch / kRate;
      if (phase_ >= 1.0f) {
        phase_ -= 1.0f;
      }
      // Rosenberg-like glottal flow derivative: open phase rising, sharp closure.
      const float open = 0.6f;
      excitation = phase_ < open ? std::sin(kPi * phase_ / open) * (phase_ / open)
                                 : -std::sin(kPi * (phase_ - open) / (1.0f - open)) * 0.8f;
      excitation += 0.03f * Noise();
    }
    if (fricative_) excitation += 0.35f * Noise();
    float sum = 0.0f;
    for (int i = 0; i < 3; ++i) {
      const float f = from_[i] + (to_[i] - from_[i]) * glide;
      sum += formant_[i].Step(excitation, f, kBandwidth[i]) * kFormantGain[i];
    }
    return kNormalise * level_ * envelope * sum;
  }

 private:
  static constexpr float kPi = 3.14159265358979f;
  static constexpr float kRate = 48000.0f;
  static constexpr float kBandwidth[3] = {90.0f, 120.0f, 180.0f};
  static constexpr float kFormantGain[3] = {0.9f, 0.6f, 0.35f};
  // The resonators' peak gains are well above 1; this brings `level` to the promised scale.
  static constexpr float kNormalise = 0.2f;

  // Two-pole resonator with unity peak gain, retuned per sample (cheap enough here).
  struct Resonator {
    float y1 = 0.0f, y2 = 0.0f;
    float Step(float x, float f, float bw) {
      const float r = std::exp(-kPi * bw / kRate);
      const float c = 2.0f * r * std::cos(2.0f * kPi * f / kRate);
      const float y = (1.0f - r) * x + c * y1 - r * r * y2;
      y2 = y1;
      y1 = y;
      return y;
    }
  };

  uint32_t Rand() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  float Uniform() { return static_cast<float>(Rand() >> 8) / 16777216.0f; }
  float Noise() { return 2.0f * Uniform() - 1.0f; }

  void NextSegment() {
    // Vowel formant targets (F1, F2, F3) of a handful of vowels.
    static constexpr float kVowels[6][3] = {{730, 1090, 2440}, {270, 2290, 3010},
                                            {530, 1840, 2480}, {570, 840, 2410},
                                            {300, 870, 2240},  {660, 1720, 2410}};
    const bool was_talking = talking();
    float seconds;
    if (was_talking && Uniform() < 0.35f) {
      // A pause: mostly short gaps between words, sometimes a breath between phrases.
      voiced_ = fricative_ = false;
      seconds = Uniform() < 0.25f ? 0.3f + 0.5f * Uniform() : 0.05f + 0.1f * Uniform();
    } else {
      const int vowel = static_cast<int>(Uniform() * 6.0f) % 6;
      for (int i = 0; i < 3; ++i) {
        from_[i] = was_talking ? to_[i] : kVowels[vowel][i];
        to_[i] = kVowels[vowel][i] * (0.95f + 0.1f * Uniform());
      }
      fricative_ = Uniform() < 0.2f;
      voiced_ = !fricative_ || Uniform() < 0.5f;
      pitch_ = base_pitch_ * (0.85f + 0.3f * Uniform());
      seconds = fricative_ && !voiced_ ? 0.06f + 0.08f * Uniform() : 0.1f + 0.2f * Uniform();
    }
    length_ = remaining_ = static_cast<int>(seconds * kRate);
  }

  uint32_t state_;
  float base_pitch_;
  float level_;
  float pitch_ = 0.0f;
  float phase_ = 0.0f;
  float vibrato_ = 0.0f;
  bool voiced_ = false;
  bool fricative_ = false;
  int length_ = 0;
  int remaining_ = 0;
  float from_[3] = {500, 1500, 2500};
  float to_[3] = {500, 1500, 2500};
  Resonator formant_[3];
};

}  // namespace doorway::audio
