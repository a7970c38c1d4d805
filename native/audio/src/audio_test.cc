// `runAudioTest(options)`: plays a signal through a port for a while and records what the port
// captured, for `doorway audio-test`, the project's tests and the bench. Runs on a worker thread:
// the JS thread only gets the Promise and, at the end, a small result object (no samples).
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "audio_port.h"
#include "features.h"
#include "wav_file.h"

namespace doorway::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct TestOptions {
  std::string port;
  std::string capture = "default";
  std::string playback;  // PortAudio device, or the clocked port's sink spec.
  std::string source = "speech";
  double seconds = 0;
  std::string play_file;
  std::string record_file;
  int block_frames = 480;
  bool loopback = false;
};

struct Timeline {
  uint64_t blocks = 0;
  int64_t first_us = 0;
  int64_t last_us = 0;
  // Largest |step - block duration| between consecutive block times: 0 for a clock that
  // advances exactly one block per block.
  int64_t max_step_error_us = 0;
  void Add(int64_t time_us, int64_t block_us) {
    if (blocks == 0) {
      first_us = time_us;
    } else {
      max_step_error_us = std::max(max_step_error_us, std::abs(time_us - last_us - block_us));
    }
    last_us = time_us;
    ++blocks;
  }
};

struct MarkerTime {
  int64_t number;
  int64_t adc_us;
};

struct TestResult {
  std::string describe;
  Timeline capture;
  Timeline played;
  double peak = 0;
  double sum_squares = 0;
  uint64_t samples = 0;
  PortStats stats;
  int64_t started_us = 0;
  std::vector<std::string> events;
  bool has_markers = false;
  std::vector<MarkerTime> markers_captured;
  std::vector<int64_t> markers_played;
};

// The signal played: the file looped, or a 1 kHz tone at -12 dBFS.
class Signal {
 public:
  Signal(int channels, WavData file) : channels_(channels), file_(std::move(file)) {}
  void Next(float* block, int frames) {
    for (int f = 0; f < frames; ++f) {
      float* frame = block + static_cast<size_t>(f) * channels_;
      if (file_.frames > 0) {
        std::copy_n(&file_.samples[static_cast<size_t>(position_) * channels_], channels_, frame);
        if (++position_ == file_.frames) position_ = 0;
      } else {
        const float v = static_cast<float>(kToneAmplitude * std::sin(phase_));
        phase_ += 2 * kPi * 1000 / kSampleRate;
        if (phase_ > 2 * kPi) phase_ -= 2 * kPi;
        std::fill(frame, frame + channels_, v);
      }
    }
  }

 private:
  static constexpr double kToneAmplitude = 0.25118864315095796;  // -12 dBFS
  int channels_;
  WavData file_;
  int64_t position_ = 0;
  double phase_ = 0;
};

// Everything here runs on the port's service thread except the event list, which is read after
// Stop; the lock is for OnPortEvent only (rare, never per block).
class TestListener : public PortListener, public MarkerListener {
 public:
  TestListener(const TestOptions& options, const AudioFormat& format, Signal* signal,
               WavWriter* recorder, TestResult* result)
      : options_(options),
        format_(format),
        signal_(signal),
        recorder_(recorder),
        result_(result),
        block_(format.block_samples()) {}
  void set_port(AudioPort* port) { port_ = port; }

  void OnPlayed(const float*, int64_t dac_us) override {
    result_->played.Add(dac_us, format_.block_us());
    if (options_.loopback) return;
    // One block queued per block played keeps the queue at its starting depth.
    signal_->Next(block_.data(), format_.block_frames);
    port_->QueuePlayback(block_.data());
  }
  void OnCaptured(const float* block, int64_t adc_us) override {
    result_->capture.Add(adc_us, format_.block_us());
    const int count = format_.block_samples();
    for (int i = 0; i < count; ++i) {
      const double v = block[i];
      result_->peak = std::max(result_->peak, std::fabs(v));
      result_->sum_squares += v * v;
    }
    result_->samples += count;
    if (recorder_->is_open()) recorder_->Write(block, format_.block_frames);
    if (options_.loopback) port_->QueuePlayback(block);
  }
  void OnPortEvent(PortEvent, const std::string& detail) override {
    std::lock_guard<std::mutex> lock(mutex_);
    result_->events.push_back(detail);
  }
  void OnMarkerCaptured(int64_t number, int64_t adc_us) override {
    result_->markers_captured.push_back({number, adc_us});
  }
  void OnMarkerPlayed(int64_t dac_us) override { result_->markers_played.push_back(dac_us); }

 private:
  const TestOptions& options_;
  const AudioFormat format_;
  Signal* signal_;
  WavWriter* recorder_;
  TestResult* result_;
  AudioPort* port_ = nullptr;
  std::vector<float> block_;
  std::mutex mutex_;
};

bool RunTest(const TestOptions& options, TestResult* result, std::string* error) {
  AudioFormat format;
  format.channels = 2;
  format.block_frames = options.block_frames;
  WavData file;
  if (!options.play_file.empty() && !ReadWav(options.play_file, format.channels, &file, error)) {
    return false;
  }
  Signal signal(format.channels, std::move(file));
  WavWriter recorder;
  if (!options.record_file.empty() && !recorder.Open(options.record_file, format.channels, error)) {
    return false;
  }
  TestListener listener(options, format, &signal, &recorder, result);
  const int queue_blocks = 16;
  std::unique_ptr<AudioPort> port;
  if (options.port == "clocked") {
    ClockedPortOptions clocked;
    clocked.source = options.source;
    clocked.sink = options.playback.empty() ? "null" : options.playback;
    clocked.format = format;
    clocked.queue_blocks = queue_blocks;
    clocked.markers = &listener;
    port = NewClockedPort(clocked);
    result->has_markers = true;
    // Two per second, reserved so the port's thread does not grow the vectors mid-run.
    const size_t markers = static_cast<size_t>(options.seconds * 2) + 8;
    result->markers_captured.reserve(markers);
    result->markers_played.reserve(markers);
  } else {
#ifdef DOORWAY_HAS_AUDIO_IO
    PortAudioOptions pa;
    pa.capture = options.capture;
    pa.playback = options.playback.empty() ? "default" : options.playback;
    pa.format = format;
    pa.queue_blocks = queue_blocks;
    port = NewPortAudioPort(pa);
#else
    *error = "this build has no audio-io feature";
    return false;
#endif
  }
  listener.set_port(port.get());
  // Half the queue up front: room for the service thread to be late by that much.
  if (!options.loopback) {
    std::vector<float> block(format.block_samples());
    for (int i = 0; i < queue_blocks / 2; ++i) {
      signal.Next(block.data(), format.block_frames);
      port->QueuePlayback(block.data());
    }
  }
  result->started_us = RealtimeNowUs();
  if (!port->Start(&listener, error)) return false;
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  port->Stop();
  result->stats = port->Stats();
  result->describe = port->Describe();
  return recorder.Close(error);
}

double Dbfs(double amplitude) {
  return amplitude > 0 ? 20 * std::log10(amplitude) : -std::numeric_limits<double>::infinity();
}

Napi::Object TimelineObject(Napi::Env env, const Timeline& timeline, const char* time_name,
                            const char* last_name) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("blocks", static_cast<double>(timeline.blocks));
  out.Set(time_name, static_cast<double>(timeline.first_us));
  out.Set(last_name, static_cast<double>(timeline.last_us));
  out.Set("maxStepErrorUs", static_cast<double>(timeline.max_step_error_us));
  return out;
}

class AudioTestWorker : public Napi::AsyncWorker {
 public:
  AudioTestWorker(Napi::Env env, TestOptions options)
      : Napi::AsyncWorker(env, "doorway.runAudioTest"),
        deferred_(Napi::Promise::Deferred::New(env)),
        options_(std::move(options)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    std::string error;
    if (!RunTest(options_, &result_, &error)) SetError(error);
  }
  void OnOK() override {
    Napi::Env env = Env();
    const TestResult& r = result_;
    Napi::Object out = Napi::Object::New(env);
    Napi::Object capture = TimelineObject(env, r.capture, "firstAdcUs", "lastAdcUs");
    capture.Set("peakDbfs", Dbfs(r.peak));
    capture.Set("rmsDbfs", Dbfs(r.samples > 0 ? std::sqrt(r.sum_squares / r.samples) : 0));
    out.Set("capture", capture);
    Napi::Object playback = TimelineObject(env, r.played, "firstDacUs", "lastDacUs");
    playback.Set("blocks", static_cast<double>(r.stats.played_blocks));
    playback.Set("underruns", static_cast<double>(r.stats.underruns));
    out.Set("playback", playback);
    out.Set("overruns", static_cast<double>(r.stats.overruns));
    out.Set("deviceXruns", static_cast<double>(r.stats.device_xruns));
    out.Set("lost", static_cast<double>(r.stats.lost));
    out.Set("reacquired", static_cast<double>(r.stats.reacquired));
    out.Set("inputLatencyMs", r.stats.input_latency_us / 1000.0);
    out.Set("outputLatencyMs", r.stats.output_latency_us / 1000.0);
    out.Set("startedUs", static_cast<double>(r.started_us));
    out.Set("describe", r.describe);
    Napi::Array events = Napi::Array::New(env, r.events.size());
    for (size_t i = 0; i < r.events.size(); ++i) events.Set(i, r.events[i]);
    out.Set("events", events);
    if (r.has_markers) {
      Napi::Object markers = Napi::Object::New(env);
      Napi::Array captured = Napi::Array::New(env, r.markers_captured.size());
      for (size_t i = 0; i < r.markers_captured.size(); ++i) {
        Napi::Object marker = Napi::Object::New(env);
        marker.Set("number", static_cast<double>(r.markers_captured[i].number));
        marker.Set("adcUs", static_cast<double>(r.markers_captured[i].adc_us));
        captured.Set(i, marker);
      }
      Napi::Array played = Napi::Array::New(env, r.markers_played.size());
      for (size_t i = 0; i < r.markers_played.size(); ++i) {
        played.Set(i, static_cast<double>(r.markers_played[i]));
      }
      markers.Set("captured", captured);
      markers.Set("played", played);
      out.Set("markers", markers);
    }
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  TestOptions options_;
  TestResult result_;
};

// Reads `options` into `out`; false with `error` naming the bad option.
bool ParseOptions(const Napi::Value& value, TestOptions* out, std::string* error) {
  if (!value.IsObject()) {
    *error = "runAudioTest: options must be an object";
    return false;
  }
  Napi::Object options = value.As<Napi::Object>();
  auto text = [&](const char* name, std::string* field) {
    Napi::Value v = options.Get(name);
    if (v.IsUndefined()) return true;
    if (!v.IsString()) {
      *error = std::string("runAudioTest: ") + name + " must be a string";
      return false;
    }
    *field = v.As<Napi::String>().Utf8Value();
    return true;
  };
  if (!text("port", &out->port) || !text("capture", &out->capture) ||
      !text("playback", &out->playback) || !text("source", &out->source) ||
      !text("playFile", &out->play_file) || !text("recordFile", &out->record_file)) {
    return false;
  }
  if (out->port != "portaudio" && out->port != "clocked") {
    *error = "runAudioTest: port must be 'portaudio' or 'clocked', not '" + out->port + "'";
    return false;
  }
  Napi::Value seconds = options.Get("seconds");
  if (!seconds.IsNumber() || !(seconds.As<Napi::Number>().DoubleValue() > 0) ||
      seconds.As<Napi::Number>().DoubleValue() > 3600) {
    *error = "runAudioTest: seconds must be a number in (0, 3600]";
    return false;
  }
  out->seconds = seconds.As<Napi::Number>().DoubleValue();
  Napi::Value block_frames = options.Get("blockFrames");
  if (!block_frames.IsUndefined()) {
    const double frames =
        block_frames.IsNumber() ? block_frames.As<Napi::Number>().DoubleValue() : 0;
    if (frames != 480 && frames != 240) {
      *error = "runAudioTest: blockFrames must be 480 or 240";
      return false;
    }
    out->block_frames = static_cast<int>(frames);
  }
  Napi::Value loopback = options.Get("loopback");
  if (!loopback.IsUndefined()) {
    if (!loopback.IsBoolean()) {
      *error = "runAudioTest: loopback must be a boolean";
      return false;
    }
    out->loopback = loopback.As<Napi::Boolean>().Value();
  }
  return true;
}

Napi::Value RunAudioTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TestOptions options;
  std::string error;
  if (!ParseOptions(info[0], &options, &error)) {
    Napi::Promise::Deferred rejected = Napi::Promise::Deferred::New(env);
    rejected.Reject(Napi::Error::New(env, error).Value());
    return rejected.Promise();
  }
  auto* worker = new AudioTestWorker(env, std::move(options));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterAudioTest(Napi::Env env, Napi::Object exports) {
  exports.Set("runAudioTest", Napi::Function::New(env, RunAudioTest, "runAudioTest"));
}

}  // namespace doorway::audio
