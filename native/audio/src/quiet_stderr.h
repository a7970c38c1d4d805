// ALSA and JACK print every backend they fail to reach to stderr while PortAudio scans and opens
// devices: a doorway without some of them is normal, and retrying every 500 ms while a device is
// gone would fill the journal with it. stderr is parked on /dev/null around those calls
// (process-wide, for milliseconds) and doorway's own one-line errors speak instead.
#pragma once

#include <fcntl.h>
#include <unistd.h>

namespace doorway::audio {

class QuietStderr {
 public:
  QuietStderr() : saved_(dup(STDERR_FILENO)) {
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null_fd >= 0) dup2(null_fd, STDERR_FILENO);
    if (null_fd >= 0) close(null_fd);
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_;
};

}  // namespace doorway::audio
