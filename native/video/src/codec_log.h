// libavcodec says why a codec failed ("Cannot load libcuda.so.1", "non-existing PPS 0 referenced")
// only through av_log, and from whichever thread ran the codec (slice threads included). A
// CodecLog attached to a codec context keeps that context's first error line for the one-line
// error the encoder or decoder reports, and keeps the context's chatter (x264's banner, decoder
// concealment notes) off stderr; lines from other contexts go to libavutil's default output.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
}

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace doorway::video {

class CodecLog {
 public:
  CodecLog() = default;
  ~CodecLog() { Detach(); }
  CodecLog(const CodecLog&) = delete;
  CodecLog& operator=(const CodecLog&) = delete;

  // Claims the lines `ctx` and its private context log. Call before avcodec_open2, which is
  // where hardware codecs explain themselves.
  void Attach(const AVCodecContext* ctx) {
    Detach();
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.entries.push_back({ctx, this});
    if (ctx->priv_data != nullptr) registry.entries.push_back({ctx->priv_data, this});
    Install();
  }

  // Puts the callback back in place. Attach does this; call it again before freeing a context
  // (encoders print their summary then), in case something else replaced the callback.
  static void Install() { av_log_set_callback(&CodecLog::Callback); }

  // Stops claiming lines; call before the context is freed (its address may be reused).
  void Detach() {
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    auto& entries = registry.entries;
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [this](const Entry& e) { return e.log == this; }),
                  entries.end());
  }

  // The first error line since the previous call or Clear ("" when there was none): the cause,
  // where later lines tend to be consequences ("decode_slice_header error", "no frame!").
  std::string TakeFirstError() {
    std::lock_guard<std::mutex> lock(GetRegistry().mutex);
    std::string line;
    line.swap(first_error_);
    return line;
  }

  // Forgets earlier lines, so the next TakeFirstError is about what happens from now on.
  void Clear() { TakeFirstError(); }

 private:
  struct Entry {
    const void* avcl;
    CodecLog* log;
  };
  struct Registry {
    std::mutex mutex;
    std::vector<Entry> entries;
  };

  static Registry& GetRegistry() {
    static Registry registry;
    return registry;
  }

  static void Callback(void* avcl, int level, const char* fmt, va_list args) {
    {
      Registry& registry = GetRegistry();
      std::lock_guard<std::mutex> lock(registry.mutex);
      for (const Entry& entry : registry.entries) {
        if (entry.avcl != avcl) continue;
        if (level <= AV_LOG_ERROR) entry.log->Keep(fmt, args);
        return;
      }
    }
    av_log_default_callback(avcl, level, fmt, args);
  }

  void Keep(const char* fmt, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof line, fmt, args);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (!text.empty() && first_error_.empty()) first_error_ = std::move(text);
  }

  std::string first_error_;
};

}  // namespace doorway::video
