// A mutex with priority inheritance, for state shared between the JS thread and a port's
// realtime service thread: while the service thread waits for it, the holder runs at the service
// thread's priority, so two busy CPU hogs cannot park the holder and stall the audio thread
// behind them. BasicLockable, for std::lock_guard.
#pragma once

#include <pthread.h>

namespace doorway::audio {

class PiMutex {
 public:
  PiMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    // Where the kernel lacks PI futexes the protocol call fails and the mutex stays a plain one.
    pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&mutex_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~PiMutex() { pthread_mutex_destroy(&mutex_); }
  PiMutex(const PiMutex&) = delete;
  PiMutex& operator=(const PiMutex&) = delete;

  void lock() { pthread_mutex_lock(&mutex_); }
  void unlock() { pthread_mutex_unlock(&mutex_); }

 private:
  pthread_mutex_t mutex_;
};

}  // namespace doorway::audio
