// DSP measurements on this machine (always built; APM and Opus parts only with their features):
//   measureAudioDsp(options)    → Promise: per-block cost of APM, Opus encode+decode, time stretch
//   measureTimeStretch(options) → Promise: how much Accelerate/Expand change and whether the
//                                 seams click
//   measureOpusFec(options)     → Promise (feature opus only): what a lost block sounds like after
//                                 in-band FEC vs plain loss concealment
// Inputs are the speech proxy (speech_like.h) in stereo 10 ms blocks; all runs are off the JS
// thread (measure_worker.h).
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "features.h"
#include "js_options.h"
#include "measure_worker.h"
#include "speech_like.h"
#include "time_stretch.h"
#ifdef DOORWAY_HAS_APM
#include "echo_canceller.h"
#endif
#ifdef DOORWAY_HAS_OPUS
#include "opus_codec.h"
#endif

namespace doorway::audio {
namespace {

constexpr int kRate = 48000;
constexpr int kChannels = 2;

struct Percentiles {
  bool present = false;
  double p50 = 0.0, p99 = 0.0, mean = 0.0;
};

Percentiles Summarise(std::vector<double>& us) {
  Percentiles p;
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  p.present = true;
  p.p50 = us[us.size() / 2];
  p.p99 = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  double sum = 0.0;
  for (double v : us) sum += v;
  p.mean = sum / us.size();
  return p;
}

Napi::Value PercentilesObject(Napi::Env env, const Percentiles& p) {
  if (!p.present) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("p50", p.p50);
  o.Set("p99", p.p99);
  o.Set("mean", p.mean);
  return o;
}

double Elapsed(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

// `blocks` stereo blocks of `frames`, the speech proxy on the left and a slightly quieter copy of
// it on the right (a plausible stereo mix that is not two identical channels).
std::vector<float> SpeechBlocks(int blocks, int frames, uint32_t seed, float pitch_hz) {
  SpeechLike voice(seed, pitch_hz, 0.5f);
  std::vector<float> out(static_cast<size_t>(blocks) * frames * kChannels);
  for (size_t i = 0; i < out.size(); i += kChannels) {
    const float v = voice.Next();
    out[i] = v;
    out[i + 1] = 0.8f * v;
  }
  return out;
}

int OptionalInt(const Napi::Object& o, const char* key, int fallback, int low, int high) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  const int value = v.As<Napi::Number>().Int32Value();
  if (value < low || value > high) {
    throw Napi::RangeError::New(o.Env(), std::string(key) + " must be " + std::to_string(low) +
                                             ".." + std::to_string(high));
  }
  return value;
}

Napi::Object OptionsArg(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsObject()) return info[0].As<Napi::Object>();
  return Napi::Object::New(info.Env());
}

// ---- measureAudioDsp --------------------------------------------------------------------------

// The APM chain's cost in one configuration: reverse (ProcessPlayed), capture (ProcessCaptured)
// and both, per 10 ms block.
struct ApmCost {
  std::string name;  // a layout ("stereo/stereo": reference/capture) or a component
  Percentiles reverse, capture, total;
};

// What measureAudioDsp measures the APM chain at: the interleaved blocks are stereo (kChannels);
// the reference and the capture side may each be processed as a mono mix.
struct ApmLayout {
  bool mono_reference = true;
  bool mono_capture = true;
};

struct DspResult {
  int blocks = 0;
  ApmLayout layout;
  Percentiles apm, opus, stretch;
  ApmCost apm_split;                 // the configured layout, split by direction
  std::vector<ApmCost> apm_layouts;  // the full chain at every layout
  std::vector<ApmCost> apm_parts;    // each component alone at the configured layout
  double opus_bytes_mean = 0.0;
};

#ifdef DOORWAY_HAS_APM
const char* LayoutName(const ApmLayout& l) {
  if (l.mono_reference) return l.mono_capture ? "mono/mono" : "mono/stereo";
  return l.mono_capture ? "stereo/mono" : "stereo/stereo";
}

void ApplyLayout(const ApmLayout& l, EchoCancellerOptions* o) {
  o->reference = l.mono_reference ? EchoReference::kMonoMix : EchoReference::kPerChannel;
  o->capture = l.mono_capture ? CaptureLayout::kMonoMix : CaptureLayout::kPerChannel;
}

// Runs `options` over the signals: the mic hears the far end 40 ms late at −8 dB plus the near
// talker.
bool MeasureApm(const EchoCancellerOptions& options, const std::vector<float>& far,
                const std::vector<float>& near, int blocks, ApmCost* cost, std::string* error) {
  constexpr int kFrames = 480;
  const size_t block_samples = static_cast<size_t>(kFrames) * kChannels;
  std::unique_ptr<EchoCanceller> ec = EchoCanceller::Create(options, error);
  if (!ec) return false;
  std::vector<float> mic(block_samples), cleaned(block_samples);
  std::vector<double> reverse_us, capture_us, total_us;
  reverse_us.reserve(blocks);
  capture_us.reserve(blocks);
  total_us.reserve(blocks);
  const int delay_blocks = 4;
  for (int b = 0; b < blocks; ++b) {
    const float* played = far.data() + b * block_samples;
    for (size_t i = 0; i < block_samples; ++i) {
      const float echo = b >= delay_blocks ? far[(b - delay_blocks) * block_samples + i] : 0.0f;
      mic[i] = 0.4f * echo + 0.5f * near[b * block_samples + i];
    }
    const auto start = std::chrono::steady_clock::now();
    if (!ec->ProcessPlayed(played, kFrames, error)) return false;
    const auto played_at = std::chrono::steady_clock::now();
    if (!ec->ProcessCaptured(mic.data(), cleaned.data(), kFrames, 0, error)) return false;
    const double reverse = std::chrono::duration<double, std::micro>(played_at - start).count();
    total_us.push_back(Elapsed(start));
    reverse_us.push_back(reverse);
    capture_us.push_back(total_us.back() - reverse);
  }
  cost->reverse = Summarise(reverse_us);
  cost->capture = Summarise(capture_us);
  cost->total = Summarise(total_us);
  return true;
}

bool RunApmBreakdown(int blocks, const std::vector<float>& far, const std::vector<float>& near,
                     DspResult* r, std::string* error) {
  EchoCancellerOptions configured;
  configured.channels = kChannels;
  ApplyLayout(r->layout, &configured);
  r->apm_split.name = LayoutName(r->layout);
  if (!MeasureApm(configured, far, near, blocks, &r->apm_split, error)) return false;
  r->apm = r->apm_split.total;
  for (bool mono_reference : {false, true}) {
    for (bool mono_capture : {false, true}) {
      const ApmLayout layout{mono_reference, mono_capture};
      EchoCancellerOptions o = configured;
      ApplyLayout(layout, &o);
      ApmCost cost;
      cost.name = LayoutName(layout);
      if (!MeasureApm(o, far, near, blocks, &cost, error)) return false;
      r->apm_layouts.push_back(cost);
    }
  }
  // Each component alone at the configured layout (the 48 kHz band split and the format
  // conversion are in every figure; "none" is that floor).
  struct Part {
    const char* name;
    bool aec, hpf, ns, agc;
  };
  for (const Part& part :
       {Part{"none", false, false, false, false}, Part{"aec", true, false, false, false},
        Part{"highPass", false, true, false, false},
        Part{"noiseSuppression", false, false, true, false},
        Part{"gainControl", false, false, false, true}}) {
    EchoCancellerOptions o = configured;
    o.echo_cancellation = part.aec;
    o.high_pass = part.hpf;
    o.noise_suppression = part.ns;
    o.gain_control = part.agc;
    ApmCost cost;
    cost.name = part.name;
    if (!MeasureApm(o, far, near, blocks, &cost, error)) return false;
    r->apm_parts.push_back(cost);
  }
  return true;
}
#endif

bool RunDsp(int blocks, DspResult* r, std::string* error) {
  constexpr int kFrames = 480;
  const size_t block_samples = static_cast<size_t>(kFrames) * kChannels;
  const std::vector<float> far = SpeechBlocks(blocks, kFrames, 11, 115.0f);
  const std::vector<float> near = SpeechBlocks(blocks, kFrames, 12, 205.0f);
  std::vector<float> work(block_samples);
  std::vector<double> us;
  us.reserve(blocks);
  r->blocks = blocks;
  (void)error;  // only the APM and Opus parts can fail
  (void)near;
#ifdef DOORWAY_HAS_APM
  if (!RunApmBreakdown(blocks, far, near, r, error)) return false;
#endif
#ifdef DOORWAY_HAS_OPUS
  {
    OpusEncoderOptions options;
    options.channels = kChannels;
    options.frames = kFrames;
    std::unique_ptr<AudioEncoder> encoder = AudioEncoder::Create(options, error);
    if (!encoder) return false;
    std::unique_ptr<AudioDecoder> decoder = AudioDecoder::Create(kChannels, kFrames, error);
    if (!decoder) return false;
    uint8_t packet[1500];
    double bytes = 0.0;
    for (int b = 0; b < blocks; ++b) {
      const auto start = std::chrono::steady_clock::now();
      const int length = encoder->Encode(far.data() + b * block_samples, packet, 1500, error);
      if (length < 0) return false;
      if (decoder->Decode(packet, length, work.data(), error) < 0) return false;
      us.push_back(Elapsed(start));
      bytes += length;
    }
    r->opus = Summarise(us);
    r->opus_bytes_mean = bytes / blocks;
    us.clear();
  }
#endif
  TimeStretch stretch(kChannels);
  std::vector<float> out(2 * block_samples);
  for (int b = 0; b < blocks; ++b) {
    const float* in = far.data() + b * block_samples;
    const auto start = std::chrono::steady_clock::now();
    if (b % 2 == 0) {
      stretch.Accelerate(in, kFrames, out.data());
    } else {
      stretch.Expand(in, kFrames, out.data());
    }
    us.push_back(Elapsed(start));
  }
  r->stretch = Summarise(us);
  return true;
}

Napi::Value ApmCostObject(Napi::Env env, const ApmCost& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", c.name);
  o.Set("reverse", PercentilesObject(env, c.reverse));
  o.Set("capture", PercentilesObject(env, c.capture));
  o.Set("total", PercentilesObject(env, c.total));
  return o;
}

Napi::Value ApmCostArray(Napi::Env env, const std::vector<ApmCost>& costs) {
  Napi::Array a = Napi::Array::New(env, costs.size());
  for (size_t i = 0; i < costs.size(); ++i)
    a.Set(static_cast<uint32_t>(i), ApmCostObject(env, costs[i]));
  return a;
}

Napi::Value DspObject(Napi::Env env, const DspResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("blocks", r.blocks);
  o.Set("apmUsPerBlock", PercentilesObject(env, r.apm));
  o.Set("apmLayout",
        r.apm.present ? Napi::Value(Napi::String::New(env, r.apm_split.name)) : env.Null());
  o.Set("apmSplitUsPerBlock", r.apm.present ? ApmCostObject(env, r.apm_split) : env.Null());
  o.Set("apmLayoutsUsPerBlock", ApmCostArray(env, r.apm_layouts));
  o.Set("apmComponentsUsPerBlock", ApmCostArray(env, r.apm_parts));
  o.Set("opusEncodeDecodeUsPerBlock", PercentilesObject(env, r.opus));
  o.Set("opusBytesPerBlock",
        r.opus.present ? Napi::Value(Napi::Number::New(env, r.opus_bytes_mean)) : env.Null());
  o.Set("timeStretchUsPerBlock", PercentilesObject(env, r.stretch));
  return o;
}

Napi::Value MeasureAudioDsp(const Napi::CallbackInfo& info) {
  Napi::Object options = OptionsArg(info);
  const int blocks = OptionalInt(options, "blocks", 3000, 10, 100000);
  ApmLayout layout;
  layout.mono_reference = OptionalMono(options, "echoReference", layout.mono_reference);
  layout.mono_capture = OptionalMono(options, "echoCapture", layout.mono_capture);
  return MeasureWorker<DspResult>::Start(
      info.Env(),
      [blocks, layout](DspResult* r, std::string* error) {
        r->layout = layout;
        return RunDsp(blocks, r, error);
      },
      DspObject);
}

// ---- measureTimeStretch -----------------------------------------------------------------------

// The stream played is: plain block, accelerated block, plain block, expanded block, ... Clicks
// show up as sample-to-sample jumps larger than the signal's own; the seams are where a stretched
// block meets its neighbours.
struct StretchResult {
  int blocks = 0;
  int accelerate_calls = 0, accelerated = 0, expand_calls = 0;
  double removed_mean = 0.0, inserted_mean = 0.0;
  double input_max_jump = 0.0, output_max_jump = 0.0, seam_max_jump = 0.0;
};

bool RunStretch(int blocks, int frames, bool sine, float pitch_hz, StretchResult* r, std::string*) {
  const size_t block_samples = static_cast<size_t>(frames) * kChannels;
  std::vector<float> in;
  if (sine) {
    in.resize(static_cast<size_t>(blocks) * block_samples);
    for (size_t i = 0; i < in.size() / kChannels; ++i) {
      const float v = 0.5f * static_cast<float>(std::sin(2.0 * M_PI * pitch_hz * i / kRate));
      in[i * kChannels] = v;
      in[i * kChannels + 1] = 0.8f * v;
    }
  } else {
    in = SpeechBlocks(blocks, frames, 21, pitch_hz);
  }
  TimeStretch stretch(kChannels);
  std::vector<float> out;
  out.reserve(in.size() * 2);
  std::vector<float> block(2 * block_samples);
  double removed = 0.0, inserted = 0.0;
  auto jump = [](const float* a, const float* b) {
    double m = 0.0;
    for (int c = 0; c < kChannels; ++c)
      m = std::max(m, std::fabs(static_cast<double>(b[c] - a[c])));
    return m;
  };
  r->blocks = blocks;
  for (int b = 0; b < blocks; ++b) {
    const float* src = in.data() + b * block_samples;
    int written = frames;
    if (b % 4 == 1) {
      written = stretch.Accelerate(src, frames, block.data());
      ++r->accelerate_calls;
      if (written < frames) ++r->accelerated;
      removed += frames - written;
    } else if (b % 4 == 3) {
      written = stretch.Expand(src, frames, block.data());
      ++r->expand_calls;
      inserted += written - frames;
    } else {
      std::copy(src, src + block_samples, block.data());
    }
    if (!out.empty()) {
      r->seam_max_jump =
          std::max(r->seam_max_jump, jump(&out[out.size() - kChannels], block.data()));
    }
    out.insert(out.end(), block.begin(), block.begin() + static_cast<size_t>(written) * kChannels);
  }
  for (size_t i = kChannels; i < in.size(); i += kChannels) {
    r->input_max_jump = std::max(r->input_max_jump, jump(&in[i - kChannels], &in[i]));
  }
  for (size_t i = kChannels; i < out.size(); i += kChannels) {
    r->output_max_jump = std::max(r->output_max_jump, jump(&out[i - kChannels], &out[i]));
  }
  r->removed_mean = r->accelerate_calls ? removed / r->accelerate_calls : 0.0;
  r->inserted_mean = r->expand_calls ? inserted / r->expand_calls : 0.0;
  return true;
}

Napi::Value StretchObject(Napi::Env env, const StretchResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("blocks", r.blocks);
  o.Set("accelerateCalls", r.accelerate_calls);
  o.Set("accelerated", r.accelerated);
  o.Set("removedFramesMean", r.removed_mean);
  o.Set("expandCalls", r.expand_calls);
  o.Set("insertedFramesMean", r.inserted_mean);
  o.Set("inputMaxJump", r.input_max_jump);
  o.Set("outputMaxJump", r.output_max_jump);
  o.Set("seamMaxJump", r.seam_max_jump);
  return o;
}

Napi::Value MeasureTimeStretch(const Napi::CallbackInfo& info) {
  Napi::Object options = OptionsArg(info);
  const int blocks = OptionalInt(options, "blocks", 400, 4, 100000);
  const int frames = OptionalInt(options, "frames", 480, 120, 960);
  const int pitch = OptionalInt(options, "pitchHz", 115, 40, 1000);
  Napi::Value signal = options.Get("signal");
  const bool sine = signal.IsString() && signal.As<Napi::String>().Utf8Value() == "sine";
  return MeasureWorker<StretchResult>::Start(
      info.Env(),
      [=](StretchResult* r, std::string* error) {
        return RunStretch(blocks, frames, sine, static_cast<float>(pitch), r, error);
      },
      StretchObject);
}

// ---- measureOpusFec ---------------------------------------------------------------------------

#ifdef DOORWAY_HAS_OPUS
// Every lossEvery-th block is "lost". Three decoders see the same packets: one gets them all
// (the reference), one rebuilds each lost block from the next packet's in-band FEC
// (DecodeFec), one conceals it (Conceal). SNR of a rebuilt block = reference power / power of
// its difference to the reference, averaged in dB over lost blocks where the reference talks.
// Comparing decoder outputs (not the encoder input) removes coding noise and codec delay.
double Db(double ratio) { return 10.0 * std::log10(std::max(ratio, 1e-20)); }

struct FecResult {
  int lost = 0;
  double fec_snr_db = 0.0, plc_snr_db = 0.0;
  double silk_or_hybrid_fraction = 0.0;
  double bytes_mean = 0.0;
};

bool RunFec(int blocks, int loss_every, int loss_percent, int bitrate, FecResult* r,
            std::string* error) {
  constexpr int kFrames = 480;
  const size_t block_samples = static_cast<size_t>(kFrames) * kChannels;
  const std::vector<float> in = SpeechBlocks(blocks, kFrames, 31, 160.0f);
  OpusEncoderOptions options;
  options.channels = kChannels;
  options.frames = kFrames;
  options.bitrate_bps = bitrate;
  options.expected_loss_percent = loss_percent;
  std::unique_ptr<AudioEncoder> encoder = AudioEncoder::Create(options, error);
  if (!encoder) return false;
  std::vector<std::vector<uint8_t>> packets(blocks);
  int not_celt = 0;
  double bytes = 0.0;
  for (int b = 0; b < blocks; ++b) {
    uint8_t packet[1500];
    const int length = encoder->Encode(in.data() + b * block_samples, packet, 1500, error);
    if (length < 0) return false;
    packets[b].assign(packet, packet + length);
    // TOC configurations 0..15 are SILK or hybrid, the modes that can carry in-band FEC.
    if (length > 0 && (packet[0] >> 3) < 16) ++not_celt;
    bytes += length;
  }
  r->silk_or_hybrid_fraction = static_cast<double>(not_celt) / blocks;
  r->bytes_mean = bytes / blocks;
  std::unique_ptr<AudioDecoder> ref = AudioDecoder::Create(kChannels, kFrames, error);
  std::unique_ptr<AudioDecoder> fec = AudioDecoder::Create(kChannels, kFrames, error);
  std::unique_ptr<AudioDecoder> plc = AudioDecoder::Create(kChannels, kFrames, error);
  if (!ref || !fec || !plc) return false;
  std::vector<float> a(block_samples), f(block_samples), p(block_samples);
  double fec_db = 0.0, plc_db = 0.0;
  for (int b = 0; b + 1 < blocks; ++b) {
    const std::vector<uint8_t>& packet = packets[b];
    if (ref->Decode(packet.data(), packet.size(), a.data(), error) < 0) return false;
    if (b % loss_every != loss_every / 2) {
      if (fec->Decode(packet.data(), packet.size(), f.data(), error) < 0) return false;
      if (plc->Decode(packet.data(), packet.size(), p.data(), error) < 0) return false;
      continue;
    }
    const std::vector<uint8_t>& next = packets[b + 1];
    fec->DecodeFec(next.data(), next.size(), f.data());
    plc->Conceal(p.data());
    double power = 0.0, fe = 0.0, pe = 0.0;
    for (size_t i = 0; i < block_samples; ++i) {
      power += static_cast<double>(a[i]) * a[i];
      fe += static_cast<double>(f[i] - a[i]) * (f[i] - a[i]);
      pe += static_cast<double>(p[i] - a[i]) * (p[i] - a[i]);
    }
    if (power < 1e-5 * block_samples) continue;  // below −50 dBFS: a pause
    ++r->lost;
    fec_db += Db(power / std::max(fe, 1e-20));
    plc_db += Db(power / std::max(pe, 1e-20));
  }
  if (r->lost > 0) {
    r->fec_snr_db = fec_db / r->lost;
    r->plc_snr_db = plc_db / r->lost;
  }
  return true;
}

Napi::Value FecObject(Napi::Env env, const FecResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("lostBlocks", r.lost);
  o.Set("fecSnrDb", r.fec_snr_db);
  o.Set("plcSnrDb", r.plc_snr_db);
  o.Set("silkOrHybridFraction", r.silk_or_hybrid_fraction);
  o.Set("bytesPerBlock", r.bytes_mean);
  return o;
}

Napi::Value MeasureOpusFec(const Napi::CallbackInfo& info) {
  Napi::Object options = OptionsArg(info);
  const int blocks = OptionalInt(options, "blocks", 1000, 20, 100000);
  const int loss_every = OptionalInt(options, "lossEvery", 10, 3, 1000);
  const int loss_percent = OptionalInt(options, "expectedLossPercent", 10, 0, 100);
  const int bitrate = OptionalInt(options, "bitrateBps", 128000, 6000, 510000);
  return MeasureWorker<FecResult>::Start(
      info.Env(),
      [=](FecResult* r, std::string* error) {
        return RunFec(blocks, loss_every, loss_percent, bitrate, r, error);
      },
      FecObject);
}
#endif

}  // namespace

void RegisterDspBench(Napi::Env env, Napi::Object exports) {
  exports.Set("measureAudioDsp", Napi::Function::New(env, MeasureAudioDsp, "measureAudioDsp"));
  exports.Set("measureTimeStretch",
              Napi::Function::New(env, MeasureTimeStretch, "measureTimeStretch"));
#ifdef DOORWAY_HAS_OPUS
  exports.Set("measureOpusFec", Napi::Function::New(env, MeasureOpusFec, "measureOpusFec"));
#endif
}

}  // namespace doorway::audio
