#pragma once
// ReceiveQueue: an executor's inbox. Bounded multi-producer, single-consumer ring of tuple
// pointers (Vyukov's sequence-per-slot design).
// - Capacity unit: tuples (topology.executor.receive.buffer.size, rounded up to a power of 2).
// - Full: tryPush/tryPushBatch push what fits and return the count; they never block. The
//   caller keeps the rest (the executor's overflow) and stops taking new input: backpressure.
// - Batching: tryPushBatch claims several slots with one compare-and-swap.
// - Waking: a consumer with nothing to do sleeps on a futex with a timeout; a producer wakes it
//   after publishing. The timeout bounds the cost of any lost wake-up and drives timers.
// - Abort: none needed; the owner stops consuming and drains what is left at shutdown.

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <ctime>
#include <memory>

#include "squall/detail/tuple_data.h"

namespace squall::internal {

class ReceiveQueue {
 public:
  explicit ReceiveQueue(size_t capacity)
      : capacity_(std::bit_ceil(std::max<size_t>(capacity, 2))),
        mask_(capacity_ - 1),
        slots_(new Slot[capacity_]) {
    for (size_t i = 0; i < capacity_; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }
  ~ReceiveQueue() {
    drain([](detail::TupleData* t) { detail::release(t); }, capacity_);
  }
  ReceiveQueue(const ReceiveQueue&) = delete;
  ReceiveQueue& operator=(const ReceiveQueue&) = delete;

  size_t capacity() const { return capacity_; }

  // Any thread. Pushes a prefix of `items`; returns how many were taken.
  size_t tryPushBatch(detail::TupleData* const* items, size_t n) {
    size_t pushed = 0;
    while (pushed < n) {
      size_t want = n - pushed;
      uint64_t pos = tail_.load(std::memory_order_relaxed);
      // Slots are freed in order, so when the last of `want` slots is free all of them are.
      while (!slotFree(pos + want - 1)) {
        if (want == 1) {
          if (!slotFree(pos)) {
            if (pushed) wakeConsumer();
            return pushed;
          }
          break;
        }
        want = (want + 1) / 2;
      }
      if (!tail_.compare_exchange_weak(pos, pos + want, std::memory_order_relaxed)) continue;
      for (size_t i = 0; i < want; ++i) {
        Slot& s = slots_[(pos + i) & mask_];
        s.item = items[pushed + i];
        s.seq.store(pos + i + 1, std::memory_order_release);
      }
      pushed += want;
    }
    wakeConsumer();
    return pushed;
  }
  bool tryPush(detail::TupleData* item) { return tryPushBatch(&item, 1) == 1; }

  // Consumer thread only. Calls f(item) for up to `max` items; returns how many.
  template <class F>
  size_t drain(F&& f, size_t max) {
    size_t n = 0;
    uint64_t pos = head_;
    while (n < max) {
      Slot& s = slots_[pos & mask_];
      if (s.seq.load(std::memory_order_acquire) != pos + 1) break;
      detail::TupleData* item = s.item;
      s.seq.store(pos + capacity_, std::memory_order_release);
      ++pos;
      ++n;
      head_ = pos;
      f(item);
    }
    if (n) headPublished_.store(pos, std::memory_order_relaxed);
    return n;
  }

  // Consumer thread only.
  bool empty() const {
    return slots_[head_ & mask_].seq.load(std::memory_order_acquire) != head_ + 1;
  }
  // Any thread; approximate.
  size_t size() const {
    uint64_t t = tail_.load(std::memory_order_relaxed);
    uint64_t h = consumed();
    return t > h ? static_cast<size_t>(t - h) : 0;
  }
  double load() const { return static_cast<double>(size()) / static_cast<double>(capacity_); }

  // Consumer thread only: sleeps until something is pushed, wake() is called or `timeoutNs`
  // passes.
  void sleep(int64_t timeoutNs) {
    sleeping_.store(1, std::memory_order_seq_cst);
    if (!empty() || interrupted_.exchange(false)) {
      sleeping_.store(0, std::memory_order_relaxed);
      return;
    }
    timespec ts{static_cast<time_t>(timeoutNs / 1000000000),
                static_cast<long>(timeoutNs % 1000000000)};
    syscall(SYS_futex, reinterpret_cast<int*>(&sleeping_), FUTEX_WAIT_PRIVATE, 1, &ts, nullptr, 0);
    sleeping_.store(0, std::memory_order_relaxed);
  }
  // Any thread: ends the consumer's current or next sleep early.
  void wake() {
    interrupted_.store(true, std::memory_order_seq_cst);
    if (sleeping_.exchange(0) == 1) {
      syscall(SYS_futex, reinterpret_cast<int*>(&sleeping_), FUTEX_WAKE_PRIVATE, 1, nullptr,
              nullptr, 0);
    }
  }

 private:
  struct Slot {
    std::atomic<uint64_t> seq;
    detail::TupleData* item;
  };

  bool slotFree(uint64_t pos) const {
    return slots_[pos & mask_].seq.load(std::memory_order_acquire) == pos;
  }
  uint64_t consumed() const { return headPublished_.load(std::memory_order_relaxed); }
  void wakeConsumer() {
    // Orders our slot writes before reading the flag; pairs with the fence in sleep().
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_relaxed) == 1 && sleeping_.exchange(0) == 1) {
      syscall(SYS_futex, reinterpret_cast<int*>(&sleeping_), FUTEX_WAKE_PRIVATE, 1, nullptr,
              nullptr, 0);
    }
  }

  const size_t capacity_;
  const size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) uint64_t head_ = 0;  // consumer-owned
  std::atomic<uint64_t> headPublished_{0};
  alignas(64) std::atomic<int32_t> sleeping_{0};
  std::atomic<bool> interrupted_{false};
};

}  // namespace squall::internal
