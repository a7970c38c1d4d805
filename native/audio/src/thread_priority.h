// The audio threads ask for realtime scheduling, as PulseAudio and JACK do: on a machine whose
// cores are busy encoding video, a thread at normal priority can wait several milliseconds for a
// core, and a 5 ms block has no such slack. SCHED_FIFO needs CAP_SYS_NICE or an RLIMIT_RTPRIO
// (the appliance's audio unit grants it); failing that the thread asks for a raised nice value,
// and failing that it runs as it is and says so in the port's stats.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace doorway::audio {

enum class ThreadScheduling { kNormal = 0, kRaised = 1, kRealtime = 2 };

// A low realtime priority: above every normal thread, below the kernel's own interrupt threads
// (50) and below a sound server's (PulseAudio asks rtkit for 5..20).
constexpr int kAudioRealtimePriority = 10;
constexpr int kAudioNice = -11;

// Applies to the calling thread only. Children forked from it start at normal priority again.
inline ThreadScheduling RaiseAudioThreadPriority() {
  sched_param param{};
  param.sched_priority = kAudioRealtimePriority;
  if (pthread_setschedparam(pthread_self(), SCHED_FIFO | SCHED_RESET_ON_FORK, &param) == 0) {
    return ThreadScheduling::kRealtime;
  }
  // Linux keeps nice per thread: PRIO_PROCESS with a thread id changes that thread alone.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  if (setpriority(PRIO_PROCESS, tid, kAudioNice) == 0) return ThreadScheduling::kRaised;
  return ThreadScheduling::kNormal;
}

inline const char* SchedulingName(ThreadScheduling s) {
  switch (s) {
    case ThreadScheduling::kRealtime:
      return "realtime";
    case ThreadScheduling::kRaised:
      return "raised";
    case ThreadScheduling::kNormal:
      return "normal";
  }
  return "normal";
}

}  // namespace doorway::audio
