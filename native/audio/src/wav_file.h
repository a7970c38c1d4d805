// Minimal WAV input and output for the audio tests and the clocked port: 48 kHz only, PCM16 or
// float32 in, float32 out. Errors are one line naming the file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace doorway::audio {

struct WavData {
  int channels = 0;
  int64_t frames = 0;
  // Interleaved, `channels` per frame, in [-1, 1].
  std::vector<float> samples;
};

// Reads a 48 kHz PCM16 or float32 WAV, mono or stereo, converted to `channels` (1 or 2): mono is
// copied to both sides, stereo is averaged down to mono.
bool ReadWav(const std::string& path, int channels, WavData* out, std::string* error);

// Writes a float32 WAV block by block. The sizes in the header are fixed up on Close, so a file
// cut short by a crash still holds its samples (readers that trust the data chunk read to EOF).
class WavWriter {
 public:
  WavWriter() = default;
  ~WavWriter() { Close(nullptr); }
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;

  bool Open(const std::string& path, int channels, std::string* error);
  // Appends `frames` interleaved frames. False after a write error (kept for Close to report).
  bool Write(const float* samples, int frames);
  // Fixes the header up and closes. False with `error` set when any write failed.
  bool Close(std::string* error);
  bool is_open() const { return file_ != nullptr; }
  int64_t frames() const { return frames_; }
  const std::string& path() const { return path_; }

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
  int channels_ = 0;
  int64_t frames_ = 0;
  std::string write_error_;
};

}  // namespace doorway::audio
