// Opening a libavcodec encoder or decoder to learn whether it works on this machine.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
}

#include <string>

namespace doorway::video {

struct OpenResult {
  bool ok;
  std::string error;  // libavcodec's own last error line when it said one, else av_strerror.
};

// Opens `name` at 256x256 with `pix_fmt` and `options`, then closes it again.
OpenResult TryOpenEncoder(const char* name, AVPixelFormat pix_fmt, AVDictionary** options);
OpenResult TryOpenDecoder(const char* name);

}  // namespace doorway::video
