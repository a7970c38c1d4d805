// Time-scale modification for the audio jitter buffer: shortens or lengthens a block without
// changing pitch and without clicks (WSOLA: overlap-add at the best-matching pitch period), so the
// buffer drains or grows while audio keeps playing. Always built; no library.
#pragma once

#include <vector>

namespace doorway::audio {

class TimeStretch {
 public:
  // `channels` interleaved at 48 kHz. Pitch periods searched: 2.5..15 ms.
  explicit TimeStretch(int channels);
  // Writes `in` (frames frames) shortened by about one pitch period into `out` (capacity `frames`).
  // Returns frames written (< frames), or `frames` (a plain copy) when the block has no
  // periodicity to remove cleanly.
  int Accelerate(const float* in, int frames, float* out);
  // Writes `in` lengthened by about one pitch period into `out` (capacity 2 × frames). Returns
  // frames written (> frames).
  int Expand(const float* in, int frames, float* out);

 private:
  int channels_;
  std::vector<float> mono_;
  int BestPeriod(const float* in, int frames, int min_period, int max_period);
};

}  // namespace doorway::audio
