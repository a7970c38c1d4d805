// The sound device seen by the audio engine: 48 kHz interleaved float blocks in, the same out.
// Two implementations: PortAudio on a real card (feature audio-io) and a clocked synthetic port
// (always built) that paces a generator and a measuring sink on the realtime clock, for machines
// without a sound card. Samples stay native; the engine above turns them into Opus packets.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "thread_priority.h"

namespace doorway::audio {

constexpr int kSampleRate = 48000;

// Microseconds on CLOCK_REALTIME, the clock JS's `performance.timeOrigin + performance.now()`
// follows, so times taken on native threads compare with times taken in JS and in the video addon.
inline int64_t RealtimeNowUs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

struct AudioFormat {
  int channels = 2;
  // Frames per block: 480 (10 ms) or 240 (5 ms).
  int block_frames = 480;
  int block_samples() const { return channels * block_frames; }
  int64_t block_us() const { return static_cast<int64_t>(block_frames) * 1000000 / kSampleRate; }
};

// Counters since the port opened. Written by the port's threads, read by any thread.
struct PortStats {
  uint64_t captured_blocks = 0;
  uint64_t played_blocks = 0;
  // Output wanted a block and the playback queue was empty: silence was played.
  uint64_t underruns = 0;
  // Capture had no room in its queue (the service thread fell behind): a block was dropped.
  uint64_t overruns = 0;
  // Input or output over/underflow reported by the device itself (PortAudio status flags).
  uint64_t device_xruns = 0;
  uint64_t lost = 0;
  uint64_t reacquired = 0;
  // Playback blocks queued now, and the device's own output latency, µs.
  int queued_playback = 0;
  int64_t output_latency_us = 0;
  int64_t input_latency_us = 0;
  // What the thread that serves the port got from the scheduler (thread_priority.h).
  ThreadScheduling scheduling = ThreadScheduling::kNormal;
};

enum class PortEvent { kLost, kReacquired };

// Receives what the port captured and played. Every call comes on the port's service thread (never
// on the realtime audio callback), in time order: before each captured block the port reports every
// block played up to it, so an echo canceller sees the far end before the near end it echoes in.
class PortListener {
 public:
  virtual ~PortListener() = default;
  // One block exactly as it went to the speaker (silence on an underrun); `dac_us` is when its
  // first sample reaches the speaker, realtime clock.
  virtual void OnPlayed(const float* block, int64_t dac_us) = 0;
  // One block from the microphone; `adc_us` is when its first sample was taken, realtime clock.
  virtual void OnCaptured(const float* block, int64_t adc_us) = 0;
  // The device went away or came back; `detail` is one line naming the device.
  virtual void OnPortEvent(PortEvent event, const std::string& detail) = 0;
  // The playback queue is still empty RescueLeadNs before the device takes its next block: the
  // listener may queue one now, from this thread, so a late feeder is not heard as a gap.
  virtual void OnPlaybackDue() {}
};

// How long before the device takes a block the queue is checked (OnPlaybackDue): half a block, at
// most 1 ms. Later is better for latency: a packet that lands after the check, with the queue
// empty, is concealed and then plays a block late. With the check at half a 10 ms block, every
// stream whose packets landed in the block's second half played 10 ms late; at 2 ms, a 5 ms
// stream whose packets landed 3–4 ms before a tick waited a whole block more than the jitter
// needed. 1 ms is ample for one decode on the port's raised-priority thread (bench:audio: Opus
// encode and decode together take about 154 µs per 10 ms block).
inline int64_t RescueLeadNs(int64_t block_ns) { return std::min<int64_t>(block_ns / 2, 1000000); }

class AudioPort {
 public:
  virtual ~AudioPort() = default;
  // Starts capture and playback; the listener must outlive the port. False with `error` set to
  // one line naming the device when it cannot open. Once started, losing the device is reported
  // through the listener and the port reopens it every 500 ms until it is back.
  virtual bool Start(PortListener* listener, std::string* error) = 0;
  // Stops both directions and joins the port's threads; no listener call after it returns.
  virtual void Stop() = 0;
  // Copies one block (format().block_samples() floats) into the playback queue. Any thread.
  // False when the queue is full (the block is not queued).
  virtual bool QueuePlayback(const float* block) = 0;
  // Drops every queued playback block (the receiver starts over). Any thread.
  virtual void ClearPlayback() = 0;
  // Playback blocks queued now (a snapshot). Any thread.
  virtual int QueuedPlayback() const = 0;
  // When the port next checks its playback queue (RescueLeadNs before the device takes its next
  // block), µs on the realtime clock; 0 before it runs. A block queued later than this, with the
  // queue empty, misses that turn. Any thread.
  virtual int64_t NextPlaybackDueUs() const = 0;
  virtual PortStats Stats() const = 0;
  virtual const AudioFormat& format() const = 0;
  // One line naming the devices, for logs.
  virtual std::string Describe() const = 0;
};

// PortAudio duplex on Debian's libportaudio (feature audio-io). `capture`/`playback` are device
// names as PortAudio lists them (a unique substring is enough), or "default". Defined in
// portaudio_port.cc.
struct PortAudioOptions {
  std::string capture = "default";
  std::string playback = "default";
  AudioFormat format;
  // Playback queue capacity in blocks.
  int queue_blocks = 16;
  // The least output latency to ask the device for, ms; 0: the device's own low latency. A device
  // behind a sound server (ALSA's "pulse") needs more than its 30 ms: its stream underran.
  int playback_latency_ms = 0;
};
std::unique_ptr<AudioPort> NewPortAudioPort(const PortAudioOptions& options);

// A synthetic port on the realtime clock. Capture comes from a generator; playback goes to a sink
// that consumes one block per block time, as a sound card would. Defined in clocked_port.cc.
struct ClockedPortOptions {
  // Capture source: "silence", "tone" (440 Hz), "speech" (speech-like: voiced bursts with pauses),
  // "markers" (a 10 ms noise burst every 500 ms, silence between; see MarkerListener), or
  // "file:PATH" (a 48 kHz 16-bit or float WAV, looped).
  std::string source = "speech";
  // Playback sink: "null" or "file:PATH" (a 48 kHz stereo float WAV written as it plays).
  std::string sink = "null";
  AudioFormat format;
  int queue_blocks = 16;
  // Samples of output latency the sink adds after a block leaves the queue (a card's buffer).
  int sink_latency_frames = 240;
  // A room between the sink and the source: what the speaker plays reaches the microphone this
  // many frames after it leaves the queue (sink latency included), scaled by `room_echo_gain`.
  // Negative: no room, the microphone hears only its source.
  int room_echo_delay_frames = -1;
  float room_echo_gain = 0.0f;
  // For the "markers" source; must outlive the port. Null: not reported.
  class MarkerListener* markers = nullptr;
  // After every tick the service thread sleeps this much longer, as a thread the scheduler starves
  // (0: never late). Less than a block.
  int service_late_us = 0;
};
std::unique_ptr<AudioPort> NewClockedPort(const ClockedPortOptions& options);

// For the "markers" source: when a burst started at the microphone, and when a burst onset reached
// the speaker (detected from the played samples, sample-accurate). Mouth-to-ear latency is the
// difference between a burst's capture time and its onset at the speaker. Called on the port's
// service thread.
class MarkerListener {
 public:
  virtual ~MarkerListener() = default;
  virtual void OnMarkerCaptured(int64_t number, int64_t adc_us) = 0;
  virtual void OnMarkerPlayed(int64_t dac_us) = 0;
};

}  // namespace doorway::audio
