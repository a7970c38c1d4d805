// Just enough Annex B parsing for the codecs: whether an access unit starts with a start code,
// and whether it holds a picture a decoder can start from.
#pragma once

#include <cstddef>
#include <cstdint>

namespace doorway::video {

// Whether `data` begins with 00 00 01 or 00 00 00 01.
inline bool StartsWithStartCode(const uint8_t* data, size_t size) {
  if (size >= 3 && data[0] == 0 && data[1] == 0 && data[2] == 1) return true;
  return size >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 1;
}

// Whether the first picture of the access unit is an IDR (H.264) or IRAP (HEVC) picture, i.e.
// decodable without any earlier frame. The encoders' own key flag is not enough: x264 flags the
// first frame of each intra-refresh wave as a keyframe, but that frame needs the frames before
// it. Scans only up to the first slice, which follows the parameter sets and SEI.
inline bool StartsDecodable(const uint8_t* data, size_t size, bool hevc) {
  size_t i = 0;
  while (i + 3 < size) {
    if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1) {
      ++i;
      continue;
    }
    const uint8_t header = data[i + 3];
    if (hevc) {
      const int type = (header >> 1) & 0x3f;
      if (type <= 31) return type >= 16 && type <= 21;  // VCL: BLA, IDR or CRA starts a stream
    } else {
      const int type = header & 0x1f;
      if (type >= 1 && type <= 5) return type == 5;  // slices: 5 is an IDR picture
    }
    i += 3;
  }
  return false;
}

// Whether the access unit holds parameter sets and nothing but non-picture units (SEI, access
// unit delimiters): libavcodec's H.264 decoder takes the parameter sets but reports such a unit
// as invalid ("no frame!"), though it is not.
inline bool OnlyParameterSets(const uint8_t* data, size_t size, bool hevc) {
  bool parameter_set = false;
  size_t i = 0;
  while (i + 3 < size) {
    if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1) {
      ++i;
      continue;
    }
    const uint8_t header = data[i + 3];
    if (hevc) {
      const int type = (header >> 1) & 0x3f;
      if (type >= 32 && type <= 34) {
        parameter_set = true;  // VPS, SPS, PPS
      } else if (type < 35 || type > 40) {
        return false;  // a picture, or something reserved
      }
    } else {
      if (header & 0x80) return false;  // forbidden_zero_bit: not H.264
      const int type = header & 0x1f;
      if (type == 7 || type == 8) {
        parameter_set = true;
      } else if (type != 6 && type != 9 && type != 10 && type != 11 && type != 12) {
        return false;
      }
    }
    i += 3;
  }
  return parameter_set;
}

}  // namespace doorway::video
