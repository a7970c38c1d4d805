// Feature apm: measureEchoCancellation(options) → Promise<result>. An ERLE test run entirely on
// virtual time, so it is repeatable and needs no sound card:
// - the far end is a speech proxy (speech_like.h) played in stereo (same voice on both
//   channels), block by block;
// - each microphone channel hears it through its own synthetic echo path: a pure delay
//   (options.delayMs), a direct tap, then seeded random taps (≈3 per ms) under an exponential
//   decay reaching −60 dB at options.rt60Ms, scaled so the path's power gain is
//   options.echoGainDb; plus white noise at −70 dBFS and, when options.doubleTalk, a second
//   speech proxy (a higher voice) during a double-talk window;
// - EchoCanceller gets ProcessPlayed(far block) then ProcessCaptured(mic block, hint 0): the
//   delay-agnostic AEC must find the delay itself.
// Two passes over the same signals: the configured one (noise suppression and AGC as options
// say, default on like the product) and an AEC-only one (high-pass + AEC, no NS, no AGC), because
// AGC gain lowers and NS raises the measured ERLE; the AEC-only figure is the honest one for the
// canceller itself.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "echo_canceller.h"
#include "features.h"
#include "js_options.h"
#include "measure_worker.h"
#include "speech_like.h"

namespace doorway::audio {
namespace {

constexpr int kRate = 48000;
constexpr int kBlock = kRate / 100;
constexpr int kChannels = 2;
// Blocks whose echo is below this (RMS) are pauses: ERLE there would measure the noise floor.
constexpr double kActiveRms = 0.003;  // −50 dBFS
constexpr double kNoiseRms = 0.0003;  // −70 dBFS

struct EchoOptions {
  int delay_ms = 60;
  double rt60_ms = 150.0;
  double echo_gain_db = -8.0;
  bool double_talk = true;
  double seconds = 12.0;
  double converge_seconds = 4.0;
  uint32_t seed = 1;
  bool noise_suppression = true;
  bool gain_control = true;
  int block_frames = kBlock;  // 480 or 240
  // The canceller's layout (echo_canceller.h); the blocks stay stereo either way.
  EchoReference reference = EchoReference::kMonoMix;
  CaptureLayout capture = CaptureLayout::kMonoMix;
};

struct PassResult {
  double erle_db = 0.0;
  std::vector<double> erle_series_db;  // NaN: no far-end-only speech that second
  double near_end_preservation_db = std::numeric_limits<double>::quiet_NaN();
  double near_end_correlation = std::numeric_limits<double>::quiet_NaN();
  // The lag at which the output best matches the near end, ms: what the canceller adds to the
  // capture path (APM's own delay, 7.5 ms for AEC alone here, and 5 ms more with 5 ms blocks).
  double near_end_lag_ms = std::numeric_limits<double>::quiet_NaN();
  float apm_erle_db = -100.0f;
  int apm_delay_ms = -1;
  double cost_us_per_block = 0.0;
};

struct EchoResult {
  EchoOptions options;
  double double_talk_start_s = 0.0;
  double double_talk_end_s = 0.0;
  double echo_level_dbfs = 0.0;
  double near_level_dbfs = 0.0;
  PassResult configured;
  PassResult aec_only;
};

double Db(double ratio) { return 10.0 * std::log10(std::max(ratio, 1e-20)); }

// Small deterministic generator for the echo path and noise (independent of the speech seeds).
struct Random {
  uint64_t state;
  explicit Random(uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ull + 1) {}
  double Uniform() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<double>((state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
  }
  double Gauss() {
    double s = 0.0;
    for (int i = 0; i < 4; ++i) s += Uniform();
    return (s - 2.0) * 1.7320508;  // ≈ unit variance
  }
};

struct Tap {
  int offset;
  float gain;
};

// The loudspeaker-to-microphone path for one microphone channel.
std::vector<Tap> EchoPath(const EchoOptions& o, Random& random) {
  std::vector<Tap> taps;
  const int delay = o.delay_ms * kRate / 1000;
  const double rt60 = std::max(o.rt60_ms, 10.0) * kRate / 1000.0;
  taps.push_back({delay, 1.0f});
  // Reflections start ~1 ms after the direct sound; −60 dB at rt60.
  for (double t = 48.0 + 28.0 * random.Uniform(); t < rt60; t += 4.0 + 24.0 * random.Uniform()) {
    const double decay = std::pow(10.0, -3.0 * t / rt60);
    taps.push_back({delay + static_cast<int>(t), static_cast<float>(0.5 * random.Gauss() * decay)});
  }
  double energy = 0.0;
  for (const Tap& tap : taps) energy += static_cast<double>(tap.gain) * tap.gain;
  const double scale = std::sqrt(std::pow(10.0, o.echo_gain_db / 10.0) / energy);
  for (Tap& tap : taps) tap.gain = static_cast<float>(tap.gain * scale);
  return taps;
}

struct Signals {
  int blocks = 0;
  std::vector<float> far;               // mono
  std::vector<float> echo[kChannels];   // per mic channel
  std::vector<float> near;              // mono, at the mic (both channels)
  std::vector<float> noise[kChannels];  // per mic channel
  int dt_start = 0, dt_end = 0;         // samples
};

Signals MakeSignals(const EchoOptions& o) {
  Signals s;
  s.blocks = static_cast<int>(o.seconds * 100.0);
  const size_t n = static_cast<size_t>(s.blocks) * kBlock;
  s.far.resize(n);
  s.near.assign(n, 0.0f);
  SpeechLike far_voice(o.seed, 115.0f, 0.4f);
  for (size_t i = 0; i < n; ++i) s.far[i] = far_voice.Next();
  Random random(o.seed + 1000);
  for (int c = 0; c < kChannels; ++c) {
    const std::vector<Tap> taps = EchoPath(o, random);
    s.echo[c].assign(n, 0.0f);
    for (const Tap& tap : taps) {
      float* out = s.echo[c].data() + tap.offset;
      const float* in = s.far.data();
      const size_t count = n > static_cast<size_t>(tap.offset) ? n - tap.offset : 0;
      for (size_t i = 0; i < count; ++i) out[i] += tap.gain * in[i];
    }
    s.noise[c].resize(n);
    for (size_t i = 0; i < n; ++i) s.noise[c][i] = static_cast<float>(kNoiseRms * random.Gauss());
  }
  if (o.double_talk) {
    // Double talk late enough that the canceller has converged, leaving far-end-only time after
    // it to see whether the filter survived.
    const double start = std::max(o.converge_seconds + 1.0, o.seconds * 0.55);
    const double end = std::min(o.seconds - 1.0, start + 3.0);
    if (end > start) {
      s.dt_start = static_cast<int>(start * 100.0) * kBlock;
      s.dt_end = static_cast<int>(end * 100.0) * kBlock;
      SpeechLike near_voice(o.seed + 7, 205.0f, 0.15f);
      for (int i = s.dt_start; i < s.dt_end; ++i) s.near[i] = near_voice.Next();
    }
  }
  return s;
}

bool RunPass(const EchoOptions& o, const Signals& s, bool ns, bool agc, PassResult* r,
             std::string* error) {
  EchoCancellerOptions eo;
  eo.channels = kChannels;
  eo.noise_suppression = ns;
  eo.gain_control = agc;
  eo.high_pass = true;
  eo.reference = o.reference;
  eo.capture = o.capture;
  std::unique_ptr<EchoCanceller> ec = EchoCanceller::Create(eo, error);
  if (!ec) return false;
  const size_t n = static_cast<size_t>(s.blocks) * kBlock;
  std::vector<float> out[kChannels];
  for (auto& v : out) v.resize(n);
  float played[kBlock * kChannels];
  float mic[kBlock * kChannels];
  double cost = 0.0;
  for (int b = 0; b < s.blocks; ++b) {
    const size_t base = static_cast<size_t>(b) * kBlock;
    for (int i = 0; i < kBlock; ++i) {
      for (int c = 0; c < kChannels; ++c) {
        played[i * kChannels + c] = s.far[base + i];
        mic[i * kChannels + c] = s.echo[c][base + i] + s.near[base + i] + s.noise[c][base + i];
      }
    }
    const auto start = std::chrono::steady_clock::now();
    if (o.block_frames == kBlock) {
      if (!ec->ProcessPlayed(played, kBlock, error)) return false;
      if (!ec->ProcessCaptured(mic, kBlock, 0, error)) return false;
    } else {
      // 5 ms blocks: the output comes 5 ms late (echo_canceller.cc); the ERLE sums and the
      // near-end lag search tolerate that, and the lag found is reported (nearEndLagMs).
      for (int half = 0; half < 2; ++half) {
        const int offset = half * o.block_frames * kChannels;
        if (!ec->ProcessPlayed(played + offset, o.block_frames, error)) return false;
        if (!ec->ProcessCaptured(mic + offset, o.block_frames, 0, error)) return false;
      }
    }
    cost +=
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    for (int i = 0; i < kBlock; ++i) {
      for (int c = 0; c < kChannels; ++c) out[c][base + i] = mic[i * kChannels + c];
    }
  }
  r->cost_us_per_block = cost / s.blocks;
  const EchoCancellerStats stats = ec->Stats();
  r->apm_erle_db = stats.echo_return_loss_enhancement_db;
  r->apm_delay_ms = stats.delay_estimate_ms;

  // ERLE: echo energy at the mic over output energy, summed over far-end-only blocks with echo
  // (outside the double-talk window, echo above −50 dBFS), after convergence.
  const int seconds = (s.blocks + 99) / 100;
  std::vector<double> echo_sec(seconds, 0.0), out_sec(seconds, 0.0);
  double echo_total = 0.0, out_total = 0.0;
  const double active = kActiveRms * kActiveRms * kBlock * kChannels;
  for (int b = 0; b < s.blocks; ++b) {
    const int base = b * kBlock;
    if (base + kBlock > s.dt_start && base < s.dt_end) continue;
    double e = 0.0, y = 0.0;
    for (int c = 0; c < kChannels; ++c) {
      for (int i = base; i < base + kBlock; ++i) {
        e += static_cast<double>(s.echo[c][i]) * s.echo[c][i];
        y += static_cast<double>(out[c][i]) * out[c][i];
      }
    }
    if (e < active) continue;
    echo_sec[b / 100] += e;
    out_sec[b / 100] += y;
    if (b >= o.converge_seconds * 100.0) {
      echo_total += e;
      out_total += y;
    }
  }
  r->erle_db = out_total > 0.0 ? Db(echo_total / out_total) : 0.0;
  r->erle_series_db.clear();
  for (int k = 0; k < seconds; ++k) {
    r->erle_series_db.push_back(echo_sec[k] > 0.0 ? Db(echo_sec[k] / out_sec[k])
                                                  : std::numeric_limits<double>::quiet_NaN());
  }

  // Near-end preservation during double talk. APM delays its output (by more than 10 ms
  // with noise suppression), so first find the lag (0..30 ms) at which the output best matches the
  // clean near-end signal. Then, per 10 ms block where the near end talks, only the part of the
  // output that is coherent with the near end counts (its projection, <y,s>²/<s,s>; residual echo
  // and noise are not "preserved near end"). nearEndPreservationDb = 10·log10(Σ projected power / Σ
  // near-end power): 0 dB = passed untouched, −6 dB = halved in amplitude, very negative =
  // suppressed by the echo suppressor. nearEndCorrelation: normalised correlation of output and
  // near end over the same blocks (1 = perfect shape; residual echo, noise and suppression lower
  // it).
  if (s.dt_end > s.dt_start) {
    constexpr int kMaxLag = 3 * kBlock;
    int best_lag = 0;
    double best = -1e300;
    for (int lag = 0; lag <= kMaxLag; ++lag) {
      double dot = 0.0;
      for (int i = s.dt_start; i + lag < s.dt_end; ++i) {
        dot += static_cast<double>(out[0][i + lag]) * s.near[i];
      }
      if (dot > best) {
        best = dot;
        best_lag = lag;
      }
    }
    double projected = 0.0, near_power = 0.0, ys = 0.0, yy = 0.0;
    const double near_active = kActiveRms * kActiveRms * kBlock;
    for (int base = s.dt_start; base + kBlock + best_lag <= s.dt_end; base += kBlock) {
      double ss = 0.0;
      for (int i = base; i < base + kBlock; ++i) ss += static_cast<double>(s.near[i]) * s.near[i];
      if (ss < near_active) continue;
      for (int c = 0; c < kChannels; ++c) {
        double dot = 0.0, power = 0.0;
        for (int i = base; i < base + kBlock; ++i) {
          dot += static_cast<double>(out[c][i + best_lag]) * s.near[i];
          power += static_cast<double>(out[c][i + best_lag]) * out[c][i + best_lag];
        }
        if (dot > 0.0) projected += dot * dot / ss;
        near_power += ss;
        ys += dot;
        yy += power;
      }
    }
    r->near_end_lag_ms = best_lag * 1000.0 / kRate;
    if (near_power > 0.0) {
      r->near_end_preservation_db = Db(projected / near_power);
      r->near_end_correlation = yy > 0.0 ? ys / std::sqrt(yy * near_power) : 0.0;
    }
  }
  return true;
}

bool RunEchoTest(const EchoOptions& o, EchoResult* r, std::string* error) {
  r->options = o;
  const Signals s = MakeSignals(o);
  r->double_talk_start_s = static_cast<double>(s.dt_start) / kRate;
  r->double_talk_end_s = static_cast<double>(s.dt_end) / kRate;
  // Levels while talking (active blocks only), for the report.
  double e = 0.0, en = 0.0;
  int blocks_e = 0, blocks_n = 0;
  for (int b = 0; b < s.blocks; ++b) {
    double pe = 0.0, pn = 0.0;
    for (int i = b * kBlock; i < (b + 1) * kBlock; ++i) {
      pe += static_cast<double>(s.echo[0][i]) * s.echo[0][i];
      pn += static_cast<double>(s.near[i]) * s.near[i];
    }
    if (pe > kActiveRms * kActiveRms * kBlock) e += pe, ++blocks_e;
    if (pn > kActiveRms * kActiveRms * kBlock) en += pn, ++blocks_n;
  }
  r->echo_level_dbfs = blocks_e ? Db(e / (blocks_e * kBlock)) : -100.0;
  r->near_level_dbfs = blocks_n ? Db(en / (blocks_n * kBlock)) : -100.0;
  if (!RunPass(o, s, o.noise_suppression, o.gain_control, &r->configured, error)) return false;
  return RunPass(o, s, false, false, &r->aec_only, error);
}

Napi::Value Number(Napi::Env env, double value) {
  return std::isnan(value) ? env.Null() : Napi::Number::New(env, value);
}

Napi::Object PassObject(Napi::Env env, const PassResult& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("erleDb", Number(env, p.erle_db));
  Napi::Array series = Napi::Array::New(env, p.erle_series_db.size());
  for (size_t i = 0; i < p.erle_series_db.size(); ++i)
    series.Set(i, Number(env, p.erle_series_db[i]));
  o.Set("erleSeriesDb", series);
  o.Set("nearEndPreservationDb", Number(env, p.near_end_preservation_db));
  o.Set("nearEndCorrelation", Number(env, p.near_end_correlation));
  o.Set("nearEndLagMs", Number(env, p.near_end_lag_ms));
  o.Set("apmErleDb", Number(env, p.apm_erle_db <= -100.0f ? NAN : p.apm_erle_db));
  o.Set("apmDelayMs", Number(env, p.apm_delay_ms < 0 ? NAN : p.apm_delay_ms));
  o.Set("costUsPerBlock", Number(env, p.cost_us_per_block));
  return o;
}

Napi::Value ResultObject(Napi::Env env, const EchoResult& r) {
  Napi::Object o = PassObject(env, r.configured);
  o.Set("delayMs", r.options.delay_ms);
  o.Set("rt60Ms", r.options.rt60_ms);
  o.Set("echoGainDb", r.options.echo_gain_db);
  o.Set("seconds", r.options.seconds);
  o.Set("blockMs", r.options.block_frames * 1000 / kRate);
  o.Set("echoReference", r.options.reference == EchoReference::kMonoMix ? "mono" : "stereo");
  o.Set("echoCapture", r.options.capture == CaptureLayout::kMonoMix ? "mono" : "stereo");
  o.Set("convergeSeconds", r.options.converge_seconds);
  o.Set("echoLevelDbfs", r.echo_level_dbfs);
  o.Set("nearLevelDbfs", r.near_level_dbfs);
  if (r.double_talk_end_s > r.double_talk_start_s) {
    Napi::Array window = Napi::Array::New(env, 2);
    window.Set(0u, r.double_talk_start_s);
    window.Set(1u, r.double_talk_end_s);
    o.Set("doubleTalkWindowS", window);
  } else {
    o.Set("doubleTalkWindowS", env.Null());
  }
  o.Set("aecOnly", PassObject(env, r.aec_only));
  return o;
}

double OptionalNumber(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool OptionalBool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

Napi::Value MeasureEchoCancellation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(env, "measureEchoCancellation: options object expected");
  }
  Napi::Object js = info[0].As<Napi::Object>();
  EchoOptions o;
  const double delay = OptionalNumber(js, "delayMs", 60);
  o.rt60_ms = OptionalNumber(js, "rt60Ms", o.rt60_ms);
  o.echo_gain_db = OptionalNumber(js, "echoGainDb", o.echo_gain_db);
  o.double_talk = OptionalBool(js, "doubleTalk", o.double_talk);
  o.seconds = OptionalNumber(js, "seconds", o.seconds);
  o.converge_seconds = OptionalNumber(js, "convergeSeconds", o.converge_seconds);
  o.seed = static_cast<uint32_t>(OptionalNumber(js, "seed", o.seed));
  o.noise_suppression = OptionalBool(js, "noiseSuppression", o.noise_suppression);
  o.gain_control = OptionalBool(js, "gainControl", o.gain_control);
  o.reference = OptionalMono(js, "echoReference", o.reference == EchoReference::kMonoMix)
                    ? EchoReference::kMonoMix
                    : EchoReference::kPerChannel;
  o.capture = OptionalMono(js, "echoCapture", o.capture == CaptureLayout::kMonoMix)
                  ? CaptureLayout::kMonoMix
                  : CaptureLayout::kPerChannel;
  if (!(delay >= 0 && delay <= 500) || !(o.rt60_ms >= 10 && o.rt60_ms <= 1000) ||
      !(o.echo_gain_db >= -40 && o.echo_gain_db <= 6) || !(o.seconds >= 2 && o.seconds <= 60) ||
      !(o.converge_seconds >= 0 && o.converge_seconds < o.seconds)) {
    throw Napi::RangeError::New(
        env,
        "measureEchoCancellation: need delayMs 0..500, rt60Ms 10..1000, echoGainDb -40..6, "
        "seconds 2..60, 0 <= convergeSeconds < seconds");
  }
  o.delay_ms = static_cast<int>(delay);
  const double block_ms = OptionalNumber(js, "blockMs", 10);
  if (block_ms != 10 && block_ms != 5) {
    throw Napi::RangeError::New(env, "measureEchoCancellation: blockMs must be 10 or 5");
  }
  o.block_frames = block_ms == 5 ? kBlock / 2 : kBlock;
  return MeasureWorker<EchoResult>::Start(
      env, [o](EchoResult* r, std::string* error) { return RunEchoTest(o, r, error); },
      ResultObject);
}

}  // namespace

void RegisterEchoHarness(Napi::Env env, Napi::Object exports) {
  exports.Set("measureEchoCancellation",
              Napi::Function::New(env, MeasureEchoCancellation, "measureEchoCancellation"));
}

}  // namespace doorway::audio
