#pragma once
// MpscRing: a bounded multi-producer, single-consumer ring of trivially copyable items
// (Vyukov's sequence-per-slot design).
// - Capacity unit: items, rounded up to a power of two.
// - Full: tryPushBatch pushes the prefix that fits and returns its length; never blocks.
// - Batching: one compare-and-swap claims several slots.
// - The consumer frees each slot before handling its item, so producers never wait on it.
// - Memory: all-zero slots are the initial state (each slot's sequence is stored relative to
//   its index), so a large ring comes straight from the kernel as untouched pages and an idle
//   queue costs next to nothing; pages become resident as items first pass through them.

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

namespace squall::internal {

template <class T>
class MpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit MpscRing(size_t capacity)
      : capacity_(std::bit_ceil(std::max<size_t>(capacity, 2))),
        mask_(capacity_ - 1),
        slots_(ZeroedSlots::allocate(capacity_)) {}
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
        size_t at = (pos + i) & mask_;
        slots_.get()[at].item = items[pushed + i];
        storeSeq(at, pos + i + 1, std::memory_order_release);
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
    uint64_t pos = head_.load(std::memory_order_relaxed);
    while (n < max) {
      size_t at = pos & mask_;
      if (loadSeq(at, std::memory_order_acquire) != pos + 1) break;
      if constexpr (!std::is_same_v<std::decay_t<Ahead>, NoAhead>) {
        size_t later = (pos + kAhead) & mask_;
        if (loadSeq(later, std::memory_order_acquire) == pos + kAhead + 1) {
          ahead(slots_.get()[later].item);
        }
      }
      T item = slots_.get()[at].item;
      storeSeq(at, pos + capacity_, std::memory_order_release);
      head_.store(++pos, std::memory_order_relaxed);
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

  // Consumer thread, or (approximate) a thread that hands the consumer's role over to others
  // under a lock of its own and asks while another holds it (worker/remote_executor.h).
  bool empty() const {
    uint64_t h = head_.load(std::memory_order_relaxed);
    return loadSeq(h & mask_, std::memory_order_acquire) != h + 1;
  }
  // Any thread; approximate.
  size_t size() const {
    uint64_t t = tail_.load(std::memory_order_relaxed);
    uint64_t h = headPublished_.load(std::memory_order_relaxed);
    return t > h ? static_cast<size_t>(t - h) : 0;
  }

 private:
  // Plain data, so that zeroed memory is an array of slots; `seq` is accessed through
  // std::atomic_ref. It holds the slot's sequence minus the slot's index (Vyukov's ring
  // starts slot i at sequence i), which makes zero the initial value of every slot.
  struct Slot {
    alignas(std::atomic_ref<uint64_t>::required_alignment) uint64_t seq;
    T item;
  };
  // An aggregate of trivially copyable members: zeroed memory holds slots implicitly.
  static_assert(std::is_aggregate_v<Slot> && std::is_trivially_destructible_v<Slot>);

  // Rings of at least this many bytes are mapped from the kernel, whose fresh pages are
  // zero and not resident until touched; smaller ones come zeroed from calloc.
  static constexpr size_t kMapBytes = 64 << 10;
  struct ZeroedSlots {
    size_t bytes = 0;
    void operator()(Slot* p) const {
      if (bytes >= kMapBytes) {
        munmap(p, bytes);
      } else {
        std::free(p);
      }
    }
    static std::unique_ptr<Slot, ZeroedSlots> allocate(size_t n) {
      size_t bytes = n * sizeof(Slot);
      void* p = nullptr;
      if (bytes >= kMapBytes) {
        p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) p = nullptr;
      } else {
        p = std::calloc(n, sizeof(Slot));
      }
      if (!p) throw std::bad_alloc();
      return std::unique_ptr<Slot, ZeroedSlots>(static_cast<Slot*>(p), ZeroedSlots{bytes});
    }
  };

  uint64_t loadSeq(size_t at, std::memory_order order) const {
    return std::atomic_ref<uint64_t>(slots_.get()[at].seq).load(order) + at;
  }
  void storeSeq(size_t at, uint64_t seq, std::memory_order order) const {
    std::atomic_ref<uint64_t>(slots_.get()[at].seq).store(seq - at, order);
  }
  bool slotFree(uint64_t pos) const {
    return loadSeq(pos & mask_, std::memory_order_acquire) == pos;
  }

  const size_t capacity_;
  const size_t mask_;
  std::unique_ptr<Slot, ZeroedSlots> slots_;
  alignas(64) std::atomic<uint64_t> tail_{0};
  // Consumer-owned; atomic (relaxed: plain loads and stores) only so that empty() may be
  // asked while the consumer's role is with another thread.
  alignas(64) std::atomic<uint64_t> head_{0};
  std::atomic<uint64_t> headPublished_{0};
};

}  // namespace squall::internal
