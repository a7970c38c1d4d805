// A single-producer/single-consumer ring of fixed-size float blocks, each with a time and a tag.
// The audio ports move every block through these between the realtime callback (or the clocked
// tick) and the threads around it: no lock and no allocation after construction, so the realtime
// side never waits on a thread that the scheduler has parked.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

namespace doorway::audio {

class BlockRing {
 public:
  BlockRing(int capacity_blocks, int block_samples)
      : capacity_(static_cast<uint64_t>(capacity_blocks < 1 ? 1 : capacity_blocks)),
        block_samples_(block_samples),
        samples_(capacity_ * static_cast<size_t>(block_samples)),
        times_(capacity_),
        tags_(capacity_) {}
  BlockRing(const BlockRing&) = delete;
  BlockRing& operator=(const BlockRing&) = delete;

  int capacity() const { return static_cast<int>(capacity_); }
  int block_samples() const { return block_samples_; }

  // Producer: the slot to fill in place, or null when the ring is full. Commit with CommitPush.
  float* BeginPush() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) >= capacity_) return nullptr;
    return &samples_[(head % capacity_) * block_samples_];
  }
  void CommitPush(int64_t time_us, uint64_t tag = 0) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    times_[head % capacity_] = time_us;
    tags_[head % capacity_] = tag;
    head_.store(head + 1, std::memory_order_release);
  }
  // Producer: copies one block in; false when full (nothing is queued).
  bool Push(const float* block, int64_t time_us, uint64_t tag = 0) {
    float* slot = BeginPush();
    if (slot == nullptr) return false;
    std::memcpy(slot, block, sizeof(float) * block_samples_);
    CommitPush(time_us, tag);
    return true;
  }

  // Consumer: the oldest block, or null when empty; it stays valid until Pop.
  const float* Front(int64_t* time_us = nullptr, uint64_t* tag = nullptr) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    // A Clear from another thread cannot move the consumer's index itself, so it leaves the
    // producer position it saw and the consumer skips up to it here.
    const uint64_t clear_to = clear_to_.load(std::memory_order_acquire);
    if (clear_to > tail) {
      tail = clear_to;
      tail_.store(tail, std::memory_order_release);
    }
    if (tail == head_.load(std::memory_order_acquire)) return nullptr;
    const uint64_t slot = tail % capacity_;
    if (time_us != nullptr) *time_us = times_[slot];
    if (tag != nullptr) *tag = tags_[slot];
    return &samples_[slot * block_samples_];
  }
  void Pop() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  // Consumer: copies the oldest block out and drops it; false when empty.
  bool PopInto(float* block, int64_t* time_us = nullptr, uint64_t* tag = nullptr) {
    const float* front = Front(time_us, tag);
    if (front == nullptr) return false;
    std::memcpy(block, front, sizeof(float) * block_samples_);
    Pop();
    return true;
  }

  // Any thread: drops every block pushed before this call (blocks pushed after it are kept when
  // the call happens-before their push, e.g. on the producer thread).
  void Clear() {
    const uint64_t head = head_.load(std::memory_order_acquire);
    uint64_t seen = clear_to_.load(std::memory_order_relaxed);
    while (seen < head && !clear_to_.compare_exchange_weak(seen, head, std::memory_order_release,
                                                           std::memory_order_relaxed)) {
    }
  }

  // Any thread: blocks queued now (a snapshot; may be stale by the time it is used).
  int Size() const {
    const uint64_t tail = tail_.load(std::memory_order_acquire);
    const uint64_t clear_to = clear_to_.load(std::memory_order_acquire);
    const uint64_t head = head_.load(std::memory_order_acquire);
    const uint64_t from = clear_to > tail ? clear_to : tail;
    return head > from ? static_cast<int>(head - from) : 0;
  }

 private:
  static_assert(std::atomic<uint64_t>::is_always_lock_free, "the rings need lock-free counters");

  const uint64_t capacity_;
  const int block_samples_;
  std::vector<float> samples_;
  std::vector<int64_t> times_;
  std::vector<uint64_t> tags_;
  // Monotonic counts, never wrapped: slot = count % capacity. Separate cache lines so that the
  // producer and the consumer do not invalidate each other's line on every block.
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) std::atomic<uint64_t> clear_to_{0};
};

}  // namespace doorway::audio
