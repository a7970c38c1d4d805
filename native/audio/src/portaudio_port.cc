// Feature audio-io: the AudioPort on a real sound card through Debian's PortAudio (19.6), one
// duplex stream at 48 kHz, float32 interleaved, one block per callback.
//
// The realtime callback only copies: microphone block into the capture ring, a block from the
// playback queue to the speaker (silence on an underrun), and that same block into the "played"
// ring. All three are lock-free SPSC rings allocated up front, so the callback never waits on a
// lock held by a thread the scheduler parked, and never allocates. A service thread, woken by a
// semaphore the callback posts, hands the blocks to the listener in time order, watches the
// stream, and reopens the device when it goes away.
#include <pa_linux_alsa.h>
#include <portaudio.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "audio_port.h"
#include "block_ring.h"
#include "quiet_stderr.h"

namespace doorway::audio {
namespace {

// Capture and played rings: 64 blocks (0.64 s at 10 ms) cover any pause of the service thread
// short of a stall; past that, blocks are dropped and counted as overruns.
constexpr int kRingBlocks = 64;
// No callback for this long while the stream should run: the device is gone.
constexpr int64_t kLostAfterNs = 500 * 1000000LL;
constexpr int64_t kFirstCallbackNs = 5000 * 1000000LL;
// After a loss the device is tried again every kReopenFastNs for kReopenFastForNs (a restarted
// sound server or a replugged card is usually back within seconds, and every 100 ms of waiting
// is heard), then every kReopenEveryNs. Not faster: each try is a full PortAudio rescan, about
// 45 ms of CPU on a 2-core test machine through ALSA's plugins, so 200 ms already takes a fifth
// of a core while the device is gone.
constexpr int64_t kReopenFastNs = 200 * 1000000LL;
constexpr int64_t kReopenFastForNs = 10000 * 1000000LL;
constexpr int64_t kReopenEveryNs = 500 * 1000000LL;
// How often the offset between PortAudio's stream clock and the realtime clock is measured.
constexpr int64_t kOffsetEveryNs = 1000 * 1000000LL;
// A device time further than this from now is not on the clock we think it is.
constexpr int64_t kSaneTimeUs = 1000000;
constexpr int64_t kNoOffset = INT64_MIN;

int64_t MonotonicNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Quoted(const std::string& name) { return "\"" + name + "\""; }

// The devices PortAudio lists for one direction, as "name, name, ...".
std::string DeviceList(bool capture) {
  std::string list;
  for (PaDeviceIndex i = 0; i < Pa_GetDeviceCount(); ++i) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
    if (info == nullptr || (capture ? info->maxInputChannels : info->maxOutputChannels) <= 0) {
      continue;
    }
    if (!list.empty()) list += ", ";
    list += info->name;
  }
  return list.empty() ? "none" : list;
}

// "default": PortAudio's default device for the direction. Otherwise a case-insensitive
// substring of the device name that matches exactly one device of that direction (an exact name
// wins over longer names containing it, so "pulse" is not ambiguous with "pulse monitor").
PaDeviceIndex FindDevice(const std::string& spec, bool capture, std::string* error) {
  const char* kind = capture ? "capture" : "playback";
  if (spec == "default") {
    PaDeviceIndex index = capture ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
    if (index == paNoDevice) {
      *error = "audio device \"default\": no default " + std::string(kind) +
               " device (devices: " + DeviceList(capture) + ")";
    }
    return index;
  }
  const std::string wanted = Lower(spec);
  std::vector<PaDeviceIndex> matches;
  for (PaDeviceIndex i = 0; i < Pa_GetDeviceCount(); ++i) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
    if (info == nullptr || (capture ? info->maxInputChannels : info->maxOutputChannels) <= 0) {
      continue;
    }
    const std::string name = Lower(info->name);
    if (name == wanted) return i;
    if (name.find(wanted) != std::string::npos) matches.push_back(i);
  }
  if (matches.size() == 1) return matches[0];
  if (matches.empty()) {
    *error = "audio device " + Quoted(spec) + ": no such " + kind +
             " device (devices: " + DeviceList(capture) + ")";
  } else {
    std::string names;
    for (PaDeviceIndex i : matches)
      names += (names.empty() ? "" : ", ") + std::string(Pa_GetDeviceInfo(i)->name);
    *error = "audio device " + Quoted(spec) + ": matches more than one " + kind + " device (" +
             names + ")";
  }
  return paNoDevice;
}

class PortAudioPort : public AudioPort {
 public:
  explicit PortAudioPort(const PortAudioOptions& options)
      : options_(options),
        format_(options.format),
        capture_(kRingBlocks, options.format.block_samples()),
        played_(kRingBlocks, options.format.block_samples()),
        playback_(options.queue_blocks, options.format.block_samples()) {
    sem_init(&wake_, 0, 0);
  }
  ~PortAudioPort() override {
    Stop();
    sem_destroy(&wake_);
  }

  bool Start(PortListener* listener, std::string* error) override {
    if (service_.joinable()) {
      *error = "audio device " + Label() + ": already started";
      return false;
    }
    if (format_.channels < 1 || format_.channels > 2 || format_.block_frames <= 0) {
      *error = "audio device " + Label() + ": unsupported format";
      return false;
    }
    PaError rc;
    {
      QuietStderr quiet;
      rc = Pa_Initialize();
    }
    if (rc != paNoError) {
      *error =
          "audio device " + Label() + ": PortAudio did not start (" + Pa_GetErrorText(rc) + ")";
      return false;
    }
    if (!OpenStream(error)) {
      Pa_Terminate();
      return false;
    }
    listener_ = listener;
    stop_.store(false);
    service_ = std::thread([this] { Serve(); });
    return true;
  }

  void Stop() override {
    if (!service_.joinable()) return;
    stop_.store(true);
    sem_post(&wake_);
    service_.join();
  }

  // One producer thread at a time (the engine's receive thread): the queue is single-producer,
  // consumed by the realtime callback.
  bool QueuePlayback(const float* block) override { return playback_.Push(block, 0); }
  void ClearPlayback() override { playback_.Clear(); }
  int QueuedPlayback() const override { return playback_.Size(); }
  // The service thread's check (Serve): RescueLeadNs before the callback after the last one.
  int64_t NextPlaybackDueUs() const override {
    if (played_count_.load(std::memory_order_relaxed) == 0) return 0;
    const int64_t block_ns = format_.block_us() * 1000;
    const int64_t due_ns =
        last_callback_ns_.load(std::memory_order_relaxed) + block_ns - RescueLeadNs(block_ns);
    return due_ns / 1000 + (RealtimeNowUs() - MonotonicNowNs() / 1000);
  }

  PortStats Stats() const override {
    PortStats stats;
    stats.captured_blocks = captured_.load(std::memory_order_relaxed);
    stats.played_blocks = played_count_.load(std::memory_order_relaxed);
    stats.underruns = underruns_.load(std::memory_order_relaxed);
    stats.overruns = overruns_.load(std::memory_order_relaxed);
    stats.device_xruns = xruns_.load(std::memory_order_relaxed);
    stats.lost = lost_.load(std::memory_order_relaxed);
    stats.reacquired = reacquired_.load(std::memory_order_relaxed);
    stats.queued_playback = playback_.Size();
    stats.input_latency_us = input_latency_us_.load(std::memory_order_relaxed);
    stats.output_latency_us = output_latency_us_.load(std::memory_order_relaxed);
    stats.scheduling = scheduling_.load(std::memory_order_relaxed);
    return stats;
  }
  const AudioFormat& format() const override { return format_; }
  std::string Describe() const override {
    std::lock_guard<std::mutex> lock(names_mutex_);
    return "portaudio capture " + Quoted(capture_name_) + " (" + std::to_string(in_channels_) +
           " ch), playback " + Quoted(playback_name_) + " (" + std::to_string(out_channels_) +
           " ch), " + std::to_string(format_.block_frames) + " frames/block, latency in " +
           std::to_string(input_latency_us_.load() / 1000) + " ms, out " +
           std::to_string(output_latency_us_.load() / 1000) + " ms";
  }

 private:
  // The device as the user named it, for errors: one name when both directions use it.
  std::string Label() const {
    if (options_.capture == options_.playback) return Quoted(options_.capture);
    return Quoted(options_.capture) + "/" + Quoted(options_.playback);
  }

  // PortAudio initialized: finds the devices, opens and starts the stream.
  bool OpenStream(std::string* error) {
    PaDeviceIndex in = FindDevice(options_.capture, true, error);
    if (in == paNoDevice) return false;
    PaDeviceIndex out = FindDevice(options_.playback, false, error);
    if (out == paNoDevice) return false;
    const PaDeviceInfo* in_info = Pa_GetDeviceInfo(in);
    const PaDeviceInfo* out_info = Pa_GetDeviceInfo(out);
    // A mono microphone or speaker is opened mono; the callback converts (see Callback).
    const int in_channels = std::min(format_.channels, in_info->maxInputChannels);
    const int out_channels = std::min(format_.channels, out_info->maxOutputChannels);
    PaStreamParameters input{in, in_channels, paFloat32, in_info->defaultLowInputLatency, nullptr};
    const double output_latency_s =
        std::max(out_info->defaultLowOutputLatency, options_.playback_latency_ms / 1000.0);
    PaStreamParameters output{out, out_channels, paFloat32, output_latency_s, nullptr};
    {
      // Written before the stream starts, so the callback reads them without the lock.
      std::lock_guard<std::mutex> lock(names_mutex_);
      in_channels_ = in_channels;
      out_channels_ = out_channels;
    }
    PaStream* stream = nullptr;
    PaError rc;
    {
      QuietStderr quiet;
      rc = Pa_OpenStream(&stream, &input, &output, kSampleRate, format_.block_frames,
                         paClipOff | paDitherOff, &PortAudioPort::Callback, this);
    }
    if (rc != paNoError) {
      const bool busy = rc == paDeviceUnavailable;
      *error = "audio device " + Label() + ": " + (busy ? "busy" : "cannot open") + " (" +
               Pa_GetErrorText(rc) + "; capture " + Quoted(in_info->name) + ", playback " +
               Quoted(out_info->name) + ")";
      return false;
    }
    // PortAudio's ALSA callback thread runs at normal priority unless asked (PulseAudio's own
    // threads are already realtime); must be set before the stream starts.
    if (const PaHostApiInfo* api = Pa_GetHostApiInfo(in_info->hostApi);
        api != nullptr && api->type == paALSA) {
      PaAlsa_EnableRealtimeScheduling(stream, 1);
    }
    if (const PaStreamInfo* info = Pa_GetStreamInfo(stream)) {
      input_latency_us_.store(static_cast<int64_t>(info->inputLatency * 1e6));
      output_latency_us_.store(static_cast<int64_t>(info->outputLatency * 1e6));
    }
    // The first callback may take a while: through ALSA's pulse plugin it came 0.6 to 1.9 s after
    // Pa_StartStream here. Only a stream silent for kFirstCallbackNs from the start is lost.
    last_callback_ns_.store(MonotonicNowNs() + kFirstCallbackNs - kLostAfterNs);
    stream_to_realtime_us_.store(kNoOffset);
    stream_ = stream;
    rc = Pa_StartStream(stream);
    if (rc != paNoError) {
      *error = "audio device " + Label() + ": cannot start (" + Pa_GetErrorText(rc) + ")";
      Pa_CloseStream(stream);
      stream_ = nullptr;
      return false;
    }
    {
      std::lock_guard<std::mutex> lock(names_mutex_);
      capture_name_ = in_info->name;
      playback_name_ = out_info->name;
    }
    SampleClockOffset();
    return true;
  }

  void CloseStream() {
    if (stream_ == nullptr) return;
    Pa_AbortStream(stream_);
    Pa_CloseStream(stream_);
    stream_ = nullptr;
  }

  // realtime - stream time, from the reading pair that brackets Pa_GetStreamTime most tightly.
  void SampleClockOffset() {
    int64_t best_gap = INT64_MAX;
    int64_t best = kNoOffset;
    for (int i = 0; i < 3; ++i) {
      const int64_t before = RealtimeNowUs();
      const PaTime stream_time = Pa_GetStreamTime(stream_);
      const int64_t after = RealtimeNowUs();
      if (stream_time <= 0) return;
      if (after - before < best_gap) {
        best_gap = after - before;
        best = (before + after) / 2 - static_cast<int64_t>(stream_time * 1e6);
      }
    }
    stream_to_realtime_us_.store(best, std::memory_order_relaxed);
  }

  // A device time (stream clock, seconds) on the realtime clock, or `fallback` when the host API
  // gave no usable time (0 on some ALSA setups, or a clock other than the stream clock).
  int64_t ToRealtime(PaTime device_time, int64_t now_us, int64_t fallback) const {
    if (device_time <= 0) return fallback;
    const int64_t device_us = static_cast<int64_t>(device_time * 1e6);
    const int64_t offset = stream_to_realtime_us_.load(std::memory_order_relaxed);
    if (offset != kNoOffset) {
      const int64_t mapped = device_us + offset;
      if (mapped > now_us - kSaneTimeUs && mapped < now_us + kSaneTimeUs) return mapped;
    }
    // Some ALSA plugins stamp with gettimeofday, which is already the realtime clock.
    if (device_us > now_us - kSaneTimeUs && device_us < now_us + kSaneTimeUs) return device_us;
    return fallback;
  }

  static int Callback(const void* input, void* output, unsigned long frames,
                      const PaStreamCallbackTimeInfo* time, PaStreamCallbackFlags flags,
                      void* self) {
    static_cast<PortAudioPort*>(self)->Process(static_cast<const float*>(input),
                                               static_cast<float*>(output), frames, time, flags);
    return paContinue;
  }

  // Realtime: copies only. Nothing here locks, allocates or makes a blocking call.
  void Process(const float* input, float* output, unsigned long frames,
               const PaStreamCallbackTimeInfo* time, PaStreamCallbackFlags flags) {
    last_callback_ns_.store(MonotonicNowNs(), std::memory_order_relaxed);
    if (flags & (paInputUnderflow | paInputOverflow | paOutputUnderflow | paOutputOverflow)) {
      xruns_.fetch_add(1, std::memory_order_relaxed);
    }
    const int channels = format_.channels;
    const int block_frames = format_.block_frames;
    if (frames != static_cast<unsigned long>(block_frames)) {
      // PortAudio's buffer processor guarantees framesPerBuffer; if a host API ever breaks that,
      // play silence and count it rather than misreading the rings.
      if (output != nullptr) std::memset(output, 0, sizeof(float) * frames * out_channels_);
      xruns_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const int64_t now_us = RealtimeNowUs();
    const int64_t dac_us = ToRealtime(time->outputBufferDacTime, now_us,
                                      now_us + output_latency_us_.load(std::memory_order_relaxed));
    const int64_t adc_us = ToRealtime(time->inputBufferAdcTime, now_us,
                                      now_us - input_latency_us_.load(std::memory_order_relaxed));

    // Playback: the queued block (or silence) goes to the speaker and, the same samples, into
    // the played ring for the echo canceller's reference.
    const float* block = playback_.Front();
    float* played = played_.BeginPush();
    if (block == nullptr) underruns_.fetch_add(1, std::memory_order_relaxed);
    if (played != nullptr) {
      if (block != nullptr) {
        std::memcpy(played, block, sizeof(float) * format_.block_samples());
      } else {
        std::memset(played, 0, sizeof(float) * format_.block_samples());
      }
    } else {
      overruns_.fetch_add(1, std::memory_order_relaxed);
    }
    if (output != nullptr) {
      if (block == nullptr) {
        std::memset(output, 0, sizeof(float) * block_frames * out_channels_);
      } else if (out_channels_ == channels) {
        std::memcpy(output, block, sizeof(float) * format_.block_samples());
      } else {
        // A mono speaker gets both sides averaged.
        for (int f = 0; f < block_frames; ++f) output[f] = 0.5f * (block[2 * f] + block[2 * f + 1]);
      }
    }
    if (block != nullptr) playback_.Pop();
    if (played != nullptr) {
      played_.CommitPush(dac_us);
      ++played_pushed_;
    }
    played_count_.fetch_add(1, std::memory_order_relaxed);

    // Capture, tagged with how many played blocks precede it so the service thread reports
    // those first.
    float* captured = capture_.BeginPush();
    if (captured == nullptr) {
      overruns_.fetch_add(1, std::memory_order_relaxed);
    } else {
      if (input == nullptr) {
        std::memset(captured, 0, sizeof(float) * format_.block_samples());
      } else if (in_channels_ == channels) {
        std::memcpy(captured, input, sizeof(float) * format_.block_samples());
      } else {
        // A mono microphone feeds both sides.
        for (int f = 0; f < block_frames; ++f) captured[2 * f] = captured[2 * f + 1] = input[f];
      }
      capture_.CommitPush(adc_us, played_pushed_);
    }
    captured_.fetch_add(1, std::memory_order_relaxed);
    sem_post(&wake_);
  }

  // Service thread: every played block up to a captured block goes to the listener before it.
  void Drain() {
    if (listener_ == nullptr) {
      while (played_.Front() != nullptr) played_.Pop();
      while (capture_.Front() != nullptr) capture_.Pop();
      return;
    }
    int64_t time_us;
    uint64_t played_before;
    while (const float* block = capture_.Front(&time_us, &played_before)) {
      while (played_popped_ < played_before) DeliverPlayed();
      listener_->OnCaptured(block, time_us);
      capture_.Pop();
    }
    while (played_.Front() != nullptr) DeliverPlayed();
  }
  void DeliverPlayed() {
    int64_t time_us;
    const float* block = played_.Front(&time_us);
    if (block == nullptr) return;
    listener_->OnPlayed(block, time_us);
    played_.Pop();
    ++played_popped_;
  }

  void Event(PortEvent event, const std::string& detail) {
    if (listener_ != nullptr) listener_->OnPortEvent(event, detail);
  }

  void Serve() {
    scheduling_.store(RaiseAudioThreadPriority(), std::memory_order_relaxed);
    bool lost = false;
    int64_t next_offset_ns = MonotonicNowNs() + kOffsetEveryNs;
    int64_t next_reopen_ns = 0;
    const int64_t block_ns = format_.block_us() * 1000;
    const int64_t due_after_ns = block_ns - RescueLeadNs(block_ns);
    // The callback whose playback-due check is done (see OnPlaybackDue): one check per callback.
    uint64_t due_checked = 0;
    int64_t lost_at_ns = 0;
    while (!stop_.load()) {
      // Wake for the next callback, or RescueLeadNs before the one after it if the queue is still
      // empty then, or at the latest after 50 ms to watch the stream.
      const uint64_t callbacks = played_count_.load(std::memory_order_relaxed);
      const int64_t due_ns = last_callback_ns_.load(std::memory_order_relaxed) + due_after_ns;
      const bool check_due = !lost && callbacks != due_checked;
      int64_t wait_ns = MonotonicNowNs() + 50 * 1000000LL;
      if (check_due) wait_ns = std::min(wait_ns, due_ns);
      timespec until{static_cast<time_t>(wait_ns / 1000000000),
                     static_cast<long>(wait_ns % 1000000000)};
      sem_clockwait(&wake_, CLOCK_MONOTONIC, &until);
      if (stop_.load()) break;
      Drain();
      const int64_t now_ns = MonotonicNowNs();
      if (check_due && now_ns >= due_ns &&
          played_count_.load(std::memory_order_relaxed) == callbacks) {
        due_checked = callbacks;
        if (listener_ != nullptr && playback_.Size() == 0) listener_->OnPlaybackDue();
      }
      if (!lost) {
        if (now_ns >= next_offset_ns) {
          SampleClockOffset();
          next_offset_ns = now_ns + kOffsetEveryNs;
        }
        std::string why;
        const int64_t silent_ns = now_ns - last_callback_ns_.load(std::memory_order_relaxed);
        if (silent_ns > kLostAfterNs) {
          why = "no audio callback for " + std::to_string(silent_ns / 1000000) + " ms";
        } else if (Pa_IsStreamActive(stream_) != 1) {
          why = "stream stopped";
        }
        if (!why.empty()) {
          CloseStream();
          Pa_Terminate();
          Drain();
          lost = true;
          lost_.fetch_add(1);
          lost_at_ns = now_ns;
          next_reopen_ns = now_ns + kReopenFastNs;
          Event(PortEvent::kLost, "audio device " + Label() + ": lost (" + why + ")");
        }
      } else if (now_ns >= next_reopen_ns) {
        next_reopen_ns =
            now_ns + (now_ns - lost_at_ns < kReopenFastForNs ? kReopenFastNs : kReopenEveryNs);
        // Terminate and initialize again so PortAudio rescans: a replugged USB device comes back
        // with a new index, or at all only after a rescan.
        PaError rc;
        {
          QuietStderr quiet;
          rc = Pa_Initialize();
        }
        std::string why;
        if (rc == paNoError && OpenStream(&why)) {
          lost = false;
          reacquired_.fetch_add(1);
          Event(PortEvent::kReacquired,
                "audio device " + Label() + ": reacquired (" + Describe() + ")");
        } else if (rc == paNoError) {
          Pa_Terminate();
        }
      }
    }
    if (!lost) {
      CloseStream();
      Pa_Terminate();
    }
    Drain();
  }

  const PortAudioOptions options_;
  const AudioFormat format_;
  BlockRing capture_;
  BlockRing played_;
  BlockRing playback_;
  PortListener* listener_ = nullptr;
  PaStream* stream_ = nullptr;
  int in_channels_ = 0;
  int out_channels_ = 0;
  // Callback thread only (one callback thread at a time; a reopen starts after the close).
  uint64_t played_pushed_ = 0;
  // Service thread only.
  uint64_t played_popped_ = 0;
  std::thread service_;
  std::atomic<ThreadScheduling> scheduling_{ThreadScheduling::kNormal};
  sem_t wake_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> last_callback_ns_{0};
  std::atomic<int64_t> stream_to_realtime_us_{kNoOffset};
  std::atomic<int64_t> input_latency_us_{0};
  std::atomic<int64_t> output_latency_us_{0};
  std::atomic<uint64_t> captured_{0};
  std::atomic<uint64_t> played_count_{0};
  std::atomic<uint64_t> underruns_{0};
  std::atomic<uint64_t> overruns_{0};
  std::atomic<uint64_t> xruns_{0};
  std::atomic<uint64_t> lost_{0};
  std::atomic<uint64_t> reacquired_{0};
  mutable std::mutex names_mutex_;
  std::string capture_name_;
  std::string playback_name_;
};

}  // namespace

std::unique_ptr<AudioPort> NewPortAudioPort(const PortAudioOptions& options) {
  return std::make_unique<PortAudioPort>(options);
}

}  // namespace doorway::audio
