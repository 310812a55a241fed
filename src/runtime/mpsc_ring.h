#pragma once
// MpscRing: a bounded multi-producer, single-consumer ring of trivially copyable items
// (Vyukov's sequence-per-slot design).
// - Capacity unit: items, rounded up to a power of two.
// - Full: tryPushBatch pushes the prefix that fits and returns its length; never blocks.
// - Batching: one compare-and-swap claims several slots.
// - The consumer frees each slot before handling its item, so producers never wait on it.

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace squall::internal {

template <class T>
class MpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit MpscRing(size_t capacity)
      : capacity_(std::bit_ceil(std::max<size_t>(capacity, 2))),
        mask_(capacity_ - 1),
        slots_(new Slot[capacity_]) {
    for (size_t i = 0; i < capacity_; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }
  MpscRing(const MpscRing&) = delete;
  MpscRing& operator=(const MpscRing&) = delete;

  size_t capacity() const { return capacity_; }

  // Any thread. Pushes a prefix of `items`; returns how many were taken.
  size_t tryPushBatch(const T* items, size_t n) {
    size_t pushed = 0;
    while (pushed < n) {
      size_t want = n - pushed;
      uint64_t pos = tail_.load(std::memory_order_relaxed);
      // Slots are freed in order, so when the last of `want` slots is free all of them are.
      while (!slotFree(pos + want - 1)) {
        if (want == 1) {
          if (!slotFree(pos)) return pushed;
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
    return pushed;
  }

  // Consumer thread only. Calls f(item) for up to `max` items (an f that returns bool stops
  // the drain by returning false); returns how many were taken. With
  // `ahead`, also calls ahead(later) for the item kAhead places further on when it is already
  // published: for items that point to memory f will read, to start fetching it early.
  struct NoAhead {};
  static constexpr uint64_t kAhead = 8;
  template <class F, class Ahead = NoAhead>
  size_t drain(F&& f, size_t max, Ahead&& ahead = {}) {
    size_t n = 0;
    uint64_t pos = head_;
    while (n < max) {
      Slot& s = slots_[pos & mask_];
      if (s.seq.load(std::memory_order_acquire) != pos + 1) break;
      if constexpr (!std::is_same_v<std::decay_t<Ahead>, NoAhead>) {
        const Slot& later = slots_[(pos + kAhead) & mask_];
        if (later.seq.load(std::memory_order_acquire) == pos + kAhead + 1) ahead(later.item);
      }
      T item = s.item;
      s.seq.store(pos + capacity_, std::memory_order_release);
      head_ = ++pos;
      ++n;
      if constexpr (std::is_same_v<std::invoke_result_t<F&, T&>, bool>) {
        if (!f(item)) break;  // the item is consumed; f asks to stop after it
      } else {
        f(item);
      }
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
    uint64_t h = headPublished_.load(std::memory_order_relaxed);
    return t > h ? static_cast<size_t>(t - h) : 0;
  }

 private:
  struct Slot {
    std::atomic<uint64_t> seq;
    T item;
  };
  bool slotFree(uint64_t pos) const {
    return slots_[pos & mask_].seq.load(std::memory_order_acquire) == pos;
  }

  const size_t capacity_;
  const size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) uint64_t head_ = 0;  // consumer-owned
  std::atomic<uint64_t> headPublished_{0};
};

}  // namespace squall::internal
