// Opus in its restricted low-delay mode (feature opus): 48 kHz, 10 ms or 5 ms frames, in-band FEC,
// and packet-loss concealment. Encoder and decoder are separate objects; neither is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace doorway::audio {

struct OpusEncoderOptions {
  int channels = 2;
  int frames = 480;
  int bitrate_bps = 128000;
  // Expected loss (0..100), which sizes in-band FEC.
  int expected_loss_percent = 5;
  // (Added by dsp.) true: OPUS_APPLICATION_RESTRICTED_LOWDELAY — CELT only, 2.5 ms algorithmic
  // delay, but CELT packets never carry in-band FEC (DecodeFec then equals Conceal). false:
  // OPUS_APPLICATION_VOIP — 6.5 ms, and with expected loss ≥ 1 % the encoder goes hybrid
  // (SILK + CELT) and carries LBRR in-band FEC for 10 ms frames. 5 ms frames are CELT only either
  // way.
  bool low_delay = false;
};

class AudioEncoder {
 public:
  static std::unique_ptr<AudioEncoder> Create(const OpusEncoderOptions& options,
                                              std::string* error);
  virtual ~AudioEncoder() = default;
  // Encodes one interleaved float block of options.frames frames into `out` (capacity `capacity`);
  // returns the packet length, or -1 with `error` set.
  virtual int Encode(const float* block, uint8_t* out, int capacity, std::string* error) = 0;
  virtual void SetBitrate(int bitrate_bps) = 0;
  virtual void SetExpectedLoss(int percent) = 0;
};

class AudioDecoder {
 public:
  static std::unique_ptr<AudioDecoder> Create(int channels, int frames, std::string* error);
  virtual ~AudioDecoder() = default;
  // Decodes `packet` into `out` (frames × channels floats). Returns frames written, or -1 with
  // `error` set (corrupt packet: the caller conceals instead).
  virtual int Decode(const uint8_t* packet, int length, float* out, std::string* error) = 0;
  // The block before `next_packet`, rebuilt from next_packet's in-band FEC data; falls back to
  // loss concealment when it carries none. Returns frames written.
  virtual int DecodeFec(const uint8_t* next_packet, int length, float* out) = 0;
  // Loss concealment for one block with nothing to go on. Returns frames written.
  virtual int Conceal(float* out) = 0;
};

}  // namespace doorway::audio
