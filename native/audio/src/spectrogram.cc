// spectrogram(path) → {columns, rows, columnMs, topHz, levels}: what a 48 kHz WAV holds, as a
// raster of levels for a chart (the demo's heard.png), so the samples stay here and JS only
// colours bytes. Each column is a 1024-point Hann-windowed FFT of the mono mix, one every 10 ms;
// each row one 46.9 Hz bin from 0 to 12 kHz (speech lives below), the top row the highest.
// levels[row * columns + column] is 0 at -100 dBFS or below, 255 at 0 dBFS.
//
// No FFT library: a radix-2 transform is 30 lines for an offline chart, where FFTW or pocketfft
// would add a package to every profile. Not a hot path: one call after the demo has stopped.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "wav_file.h"

namespace doorway::audio {
namespace {

constexpr int kFftSize = 1024;
constexpr int kHop = 480;   // 10 ms at 48 kHz
constexpr int kRows = 256;  // bins 0..255: 0 to 12 kHz
constexpr double kFloorDb = -100.0;
// More than 10 minutes of columns is not a chart anyone reads.
constexpr int64_t kMaxColumns = 60000;

// In-place iterative radix-2 FFT; `data.size()` is a power of two.
void Fft(std::vector<std::complex<double>>& data) {
  const size_t n = data.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; (j & bit) != 0; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(data[i], data[j]);
  }
  for (size_t length = 2; length <= n; length <<= 1) {
    const double angle = -2.0 * M_PI / static_cast<double>(length);
    const std::complex<double> step(std::cos(angle), std::sin(angle));
    for (size_t start = 0; start < n; start += length) {
      std::complex<double> w(1.0, 0.0);
      for (size_t k = 0; k < length / 2; ++k) {
        const std::complex<double> even = data[start + k];
        const std::complex<double> odd = data[start + k + length / 2] * w;
        data[start + k] = even + odd;
        data[start + k + length / 2] = even - odd;
        w *= step;
      }
    }
  }
}

Napi::Value Spectrogram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "spectrogram: a WAV file's path expected");
  }
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  WavData wav;
  std::string error;
  if (!ReadWav(path, 1, &wav, &error)) throw Napi::Error::New(env, error);
  const int64_t columns = std::min<int64_t>(
      kMaxColumns, wav.frames >= kFftSize ? (wav.frames - kFftSize) / kHop + 1 : 0);

  std::vector<double> window(kFftSize);
  double window_sum = 0;
  for (int i = 0; i < kFftSize; ++i) {
    window[i] = 0.5 - 0.5 * std::cos(2.0 * M_PI * i / (kFftSize - 1));
    window_sum += window[i];
  }
  // A full-scale sine reads 0 dBFS: its bin's magnitude is window_sum / 2.
  const double full_scale = window_sum / 2.0;

  Napi::Uint8Array levels = Napi::Uint8Array::New(env, static_cast<size_t>(columns) * kRows);
  std::vector<std::complex<double>> bins(kFftSize);
  for (int64_t column = 0; column < columns; ++column) {
    const float* frame = wav.samples.data() + column * kHop;
    for (int i = 0; i < kFftSize; ++i) bins[i] = {frame[i] * window[i], 0.0};
    Fft(bins);
    for (int bin = 0; bin < kRows; ++bin) {
      const double db = 20.0 * std::log10(std::max(std::abs(bins[bin]) / full_scale, 1e-10));
      const double level = std::clamp((db - kFloorDb) / -kFloorDb, 0.0, 1.0);
      const int row = kRows - 1 - bin;
      levels[static_cast<size_t>(row * columns + column)] =
          static_cast<uint8_t>(std::lround(level * 255.0));
    }
  }

  Napi::Object out = Napi::Object::New(env);
  out.Set("columns", Napi::Number::New(env, static_cast<double>(columns)));
  out.Set("rows", Napi::Number::New(env, kRows));
  out.Set("columnMs", Napi::Number::New(env, kHop * 1000.0 / 48000.0));
  out.Set("topHz", Napi::Number::New(env, kRows * 48000.0 / kFftSize));
  out.Set("levels", levels);
  return out;
}

}  // namespace

void RegisterSpectrogram(Napi::Env env, Napi::Object exports) {
  exports.Set("spectrogram", Napi::Function::New(env, Spectrogram, "spectrogram"));
}

}  // namespace doorway::audio
