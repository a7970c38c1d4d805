// AudioEncoder / AudioDecoder on libopus 1.3 (feature opus). See opus_codec.h.
//
// Application: in-band FEC (LBRR) is a SILK feature; CELT-only packets carry none, and
// OPUS_APPLICATION_RESTRICTED_LOWDELAY forces CELT only. Measured with measureOpusFec (10 ms
// stereo speech proxy, 128 kbit/s, every 10th block lost, SNR of the rebuilt block against a
// loss-free decode): RESTRICTED_LOWDELAY FEC 11.0 dB = PLC 11.0 dB (no FEC data, 0 % SILK/hybrid
// packets); VOIP with expected loss ≥ 1 % FEC 38–41 dB vs PLC 14.5 dB (100 % hybrid packets).
// OPUS_APPLICATION_AUDIO only turns hybrid above 5 % expected loss (its voice estimate is lower),
// so the FEC-capable choice is VOIP, for 4 ms more algorithmic delay (6.5 ms instead of 2.5 ms).
// options.low_delay selects RESTRICTED_LOWDELAY when those 4 ms matter more than FEC.
#include "opus_codec.h"

#include <opus/opus.h>

namespace doorway::audio {
namespace {

constexpr int kRate = 48000;
// Complexity 5: measured on the 2-core dev machine (10 ms stereo, 128 kbit/s, encode + decode),
// complexity 10 cost 1.1–2.5× the CPU of 5 for about +1 dB FEC SNR; the CPU is better left to APM
// and the video encoder.
constexpr int kComplexity = 5;

std::string Failed(const char* step, int rc) {
  return std::string("opus: ") + step + ": " + opus_strerror(rc);
}

bool ValidFrames(int frames) {
  // Opus frame sizes at 48 kHz: 2.5, 5, 10, 20, 40, 60 ms.
  return frames == 120 || frames == 240 || frames == 480 || frames == 960 || frames == 1920 ||
         frames == 2880;
}

class OpusAudioEncoder final : public AudioEncoder {
 public:
  OpusAudioEncoder(OpusEncoder* encoder, int frames) : encoder_(encoder), frames_(frames) {}
  ~OpusAudioEncoder() override { opus_encoder_destroy(encoder_); }

  int Encode(const float* block, uint8_t* out, int capacity, std::string* error) override {
    const opus_int32 bytes = opus_encode_float(encoder_, block, frames_, out, capacity);
    if (bytes < 0) {
      *error = Failed("opus_encode_float", bytes);
      return -1;
    }
    return bytes;
  }

  void SetBitrate(int bitrate_bps) override {
    opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(bitrate_bps));
  }

  void SetExpectedLoss(int percent) override {
    opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(percent < 0     ? 0
                                                         : percent > 100 ? 100
                                                                         : percent));
  }

 private:
  OpusEncoder* encoder_;
  const int frames_;
};

class OpusAudioDecoder final : public AudioDecoder {
 public:
  OpusAudioDecoder(OpusDecoder* decoder, int frames) : decoder_(decoder), frames_(frames) {}
  ~OpusAudioDecoder() override { opus_decoder_destroy(decoder_); }

  int Decode(const uint8_t* packet, int length, float* out, std::string* error) override {
    const int samples = opus_decode_float(decoder_, packet, length, out, frames_, 0);
    if (samples < 0) {
      *error = Failed("opus_decode_float", samples);
      return -1;
    }
    return samples;
  }

  int DecodeFec(const uint8_t* next_packet, int length, float* out) override {
    // frame_size must be exactly the lost block's duration; when next_packet has no FEC data
    // (CELT-only packets never do) libopus conceals instead, as documented in the header.
    const int samples = opus_decode_float(decoder_, next_packet, length, out, frames_, 1);
    return samples < 0 ? Conceal(out) : samples;
  }

  int Conceal(float* out) override {
    const int samples = opus_decode_float(decoder_, nullptr, 0, out, frames_, 0);
    return samples < 0 ? 0 : samples;
  }

 private:
  OpusDecoder* decoder_;
  const int frames_;
};

}  // namespace

std::unique_ptr<AudioEncoder> AudioEncoder::Create(const OpusEncoderOptions& options,
                                                   std::string* error) {
  if (options.channels < 1 || options.channels > 2 || !ValidFrames(options.frames)) {
    *error = "opus: encoder needs 1 or 2 channels and a 2.5..60 ms frame, got " +
             std::to_string(options.channels) + " channels, " + std::to_string(options.frames) +
             " frames";
    return nullptr;
  }
  int rc = OPUS_OK;
  OpusEncoder* encoder = opus_encoder_create(
      kRate, options.channels,
      options.low_delay ? OPUS_APPLICATION_RESTRICTED_LOWDELAY : OPUS_APPLICATION_VOIP, &rc);
  if (rc != OPUS_OK || encoder == nullptr) {
    *error = Failed("opus_encoder_create", rc);
    return nullptr;
  }
  const int loss = options.expected_loss_percent < 0     ? 0
                   : options.expected_loss_percent > 100 ? 100
                                                         : options.expected_loss_percent;
  if ((rc = opus_encoder_ctl(encoder, OPUS_SET_BITRATE(options.bitrate_bps))) != OPUS_OK ||
      (rc = opus_encoder_ctl(encoder, OPUS_SET_VBR(1))) != OPUS_OK ||
      (rc = opus_encoder_ctl(encoder, OPUS_SET_COMPLEXITY(kComplexity))) != OPUS_OK ||
      (rc = opus_encoder_ctl(encoder, OPUS_SET_INBAND_FEC(1))) != OPUS_OK ||
      (rc = opus_encoder_ctl(encoder, OPUS_SET_PACKET_LOSS_PERC(loss))) != OPUS_OK) {
    opus_encoder_destroy(encoder);
    *error = Failed("encoder setup", rc);
    return nullptr;
  }
  return std::make_unique<OpusAudioEncoder>(encoder, options.frames);
}

std::unique_ptr<AudioDecoder> AudioDecoder::Create(int channels, int frames, std::string* error) {
  if (channels < 1 || channels > 2 || !ValidFrames(frames)) {
    *error = "opus: decoder needs 1 or 2 channels and a 2.5..60 ms frame, got " +
             std::to_string(channels) + " channels, " + std::to_string(frames) + " frames";
    return nullptr;
  }
  int rc = OPUS_OK;
  OpusDecoder* decoder = opus_decoder_create(kRate, channels, &rc);
  if (rc != OPUS_OK || decoder == nullptr) {
    *error = Failed("opus_decoder_create", rc);
    return nullptr;
  }
  return std::make_unique<OpusAudioDecoder>(decoder, frames);
}

}  // namespace doorway::audio
