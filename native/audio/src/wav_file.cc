// WAV reading and writing; see wav_file.h.
#include "wav_file.h"

#include <cerrno>
#include <cstring>

#include "audio_port.h"

namespace doorway::audio {
namespace {

// Samples are written as the host stores floats; every doorway target is little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "WAV samples are written as-is");

constexpr uint16_t kFormatPcm = 1;
constexpr uint16_t kFormatFloat = 3;
constexpr uint16_t kFormatExtensible = 0xFFFE;
// Header of a float WAV as written here: RIFF, fmt (18 bytes), fact, data.
constexpr long kRiffSizeOffset = 4;
constexpr long kFactFramesOffset = 12 + 8 + 18 + 8;
constexpr long kDataSizeOffset = kFactFramesOffset + 4 + 4;
constexpr long kHeaderBytes = kDataSizeOffset + 4;

uint16_t Le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Le32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
void PutLe16(unsigned char* p, uint16_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
}
void PutLe32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

bool Fail(std::string* error, const std::string& path, const std::string& what) {
  if (error != nullptr) *error = "wav file \"" + path + "\": " + what;
  return false;
}

}  // namespace

bool ReadWav(const std::string& path, int channels, WavData* out, std::string* error) {
  if (channels != 1 && channels != 2) return Fail(error, path, "unsupported port channel count");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Fail(error, path, std::strerror(errno));
  std::vector<unsigned char> bytes;
  unsigned char chunk[65536];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0) {
    bytes.insert(bytes.end(), chunk, chunk + got);
  }
  const bool read_failed = std::ferror(file) != 0;
  std::fclose(file);
  if (read_failed) return Fail(error, path, "read error");
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
      std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    return Fail(error, path, "not a RIFF/WAVE file");
  }
  uint16_t format = 0, file_channels = 0, bits = 0;
  uint32_t rate = 0;
  bool have_fmt = false;
  const unsigned char* data = nullptr;
  size_t data_bytes = 0;
  size_t pos = 12;
  while (pos + 8 <= bytes.size()) {
    const unsigned char* header = bytes.data() + pos;
    const size_t size = Le32(header + 4);
    const size_t body = pos + 8;
    const size_t available = bytes.size() - body;
    if (std::memcmp(header, "fmt ", 4) == 0) {
      if (size < 16 || available < 16) return Fail(error, path, "short fmt chunk");
      const unsigned char* fmt = bytes.data() + body;
      format = Le16(fmt);
      file_channels = Le16(fmt + 2);
      rate = Le32(fmt + 4);
      bits = Le16(fmt + 14);
      // WAVE_FORMAT_EXTENSIBLE names the real format in the first two bytes of its sub-format.
      if (format == kFormatExtensible && size >= 26 && available >= 26) format = Le16(fmt + 24);
      have_fmt = true;
    } else if (std::memcmp(header, "data", 4) == 0) {
      data = bytes.data() + body;
      // Streaming writers leave the size at 0 or 0xFFFFFFFF: the data runs to the end.
      data_bytes = (size == 0 || size == 0xFFFFFFFFu || size > available) ? available : size;
      break;
    }
    pos = body + size + (size & 1);
  }
  if (!have_fmt) return Fail(error, path, "no fmt chunk");
  if (data == nullptr) return Fail(error, path, "no data chunk");
  if (rate != static_cast<uint32_t>(kSampleRate)) {
    return Fail(error, path, std::to_string(rate) + " Hz, need 48000 Hz");
  }
  if (file_channels != 1 && file_channels != 2) {
    return Fail(error, path, std::to_string(file_channels) + " channels, need mono or stereo");
  }
  const bool pcm16 = format == kFormatPcm && bits == 16;
  const bool float32 = format == kFormatFloat && bits == 32;
  if (!pcm16 && !float32) {
    return Fail(error, path,
                "format " + std::to_string(format) + " with " + std::to_string(bits) +
                    " bits, need 16-bit PCM or 32-bit float");
  }
  const size_t sample_bytes = pcm16 ? 2 : 4;
  const size_t frames = data_bytes / (sample_bytes * file_channels);
  if (frames == 0) return Fail(error, path, "no samples");
  out->channels = channels;
  out->frames = static_cast<int64_t>(frames);
  out->samples.assign(frames * channels, 0.0f);
  for (size_t f = 0; f < frames; ++f) {
    float in[2] = {0.0f, 0.0f};
    for (int c = 0; c < file_channels; ++c) {
      const unsigned char* p = data + (f * file_channels + c) * sample_bytes;
      if (pcm16) {
        in[c] = static_cast<float>(static_cast<int16_t>(Le16(p))) / 32768.0f;
      } else {
        std::memcpy(&in[c], p, 4);
      }
    }
    float* frame = &out->samples[f * channels];
    if (channels == file_channels) {
      for (int c = 0; c < channels; ++c) frame[c] = in[c];
    } else if (channels == 2) {
      frame[0] = frame[1] = in[0];
    } else {
      frame[0] = 0.5f * (in[0] + in[1]);
    }
  }
  return true;
}

bool WavWriter::Open(const std::string& path, int channels, std::string* error) {
  Close(nullptr);
  if (channels < 1 || channels > 8) return Fail(error, path, "unsupported channel count");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return Fail(error, path, std::strerror(errno));
  unsigned char header[kHeaderBytes] = {};
  std::memcpy(header, "RIFF", 4);
  std::memcpy(header + 8, "WAVE", 4);
  std::memcpy(header + 12, "fmt ", 4);
  PutLe32(header + 16, 18);
  unsigned char* fmt = header + 20;
  PutLe16(fmt, kFormatFloat);
  PutLe16(fmt + 2, static_cast<uint16_t>(channels));
  PutLe32(fmt + 4, kSampleRate);
  PutLe32(fmt + 8, static_cast<uint32_t>(kSampleRate * channels * 4));
  PutLe16(fmt + 12, static_cast<uint16_t>(channels * 4));
  PutLe16(fmt + 14, 32);
  PutLe16(fmt + 16, 0);
  std::memcpy(header + kFactFramesOffset - 8, "fact", 4);
  PutLe32(header + kFactFramesOffset - 4, 4);
  std::memcpy(header + kDataSizeOffset - 4, "data", 4);
  // Sizes stay 0 until Close; a reader treats a 0 data size as "to the end of the file".
  if (std::fwrite(header, 1, sizeof(header), file) != sizeof(header)) {
    std::fclose(file);
    return Fail(error, path, "cannot write header");
  }
  file_ = file;
  path_ = path;
  channels_ = channels;
  frames_ = 0;
  write_error_.clear();
  return true;
}

bool WavWriter::Write(const float* samples, int frames) {
  if (file_ == nullptr || !write_error_.empty()) return false;
  const size_t count = static_cast<size_t>(frames) * channels_;
  if (std::fwrite(samples, sizeof(float), count, file_) != count) {
    write_error_ = std::strerror(errno);
    return false;
  }
  frames_ += frames;
  return true;
}

bool WavWriter::Close(std::string* error) {
  if (file_ == nullptr) return true;
  std::string problem = write_error_;
  const uint64_t data_bytes = static_cast<uint64_t>(frames_) * channels_ * 4;
  if (problem.empty() && data_bytes + kHeaderBytes - 8 > 0xFFFFFFFFull) {
    problem = "longer than a WAV can describe (4 GiB)";
  }
  if (problem.empty()) {
    unsigned char size[4];
    PutLe32(size, static_cast<uint32_t>(data_bytes + kHeaderBytes - 8));
    bool ok =
        std::fseek(file_, kRiffSizeOffset, SEEK_SET) == 0 && std::fwrite(size, 1, 4, file_) == 4;
    PutLe32(size, static_cast<uint32_t>(frames_));
    ok = ok && std::fseek(file_, kFactFramesOffset, SEEK_SET) == 0 &&
         std::fwrite(size, 1, 4, file_) == 4;
    PutLe32(size, static_cast<uint32_t>(data_bytes));
    ok = ok && std::fseek(file_, kDataSizeOffset, SEEK_SET) == 0 &&
         std::fwrite(size, 1, 4, file_) == 4;
    if (!ok) problem = "cannot fix the header up";
  }
  if (std::fclose(file_) != 0 && problem.empty()) problem = std::strerror(errno);
  file_ = nullptr;
  if (problem.empty()) return true;
  return Fail(error, path_, problem);
}

}  // namespace doorway::audio
