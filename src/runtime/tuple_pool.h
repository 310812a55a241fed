#pragma once
// TuplePool: recycles the tuple bodies one executor allocates. Tuples are created on the
// producer's thread and released on the consumer's; returning them to the producer keeps
// malloc out of the hot path (glibc's allocator is slow when one thread frees what another
// allocated) and keeps each body's value and anchor buffers warm.
// - acquire(): the owning executor thread only.
// - recycle(): any thread. Executor threads gather returns per pool and hand them back as one
//   chain (one CAS per chain); other threads return one at a time.
// Lifetime: owned by the topology runtime, destroyed after every executor has stopped.

#include <atomic>
#include <cstddef>

#include "squall/detail/tuple_data.h"

namespace squall::internal {

class TuplePool final : public detail::TupleRecycler {
 public:
  TuplePool() = default;
  ~TuplePool();
  TuplePool(const TuplePool&) = delete;
  TuplePool& operator=(const TuplePool&) = delete;

  detail::TupleData* acquire() {
    if (!local_) local_ = returned_.exchange(nullptr, std::memory_order_acquire);
    if (detail::TupleData* d = local_) {
      local_ = d->nextFree;
      // The bodies come back from other cores: start fetching the next one now, so the
      // walk down the free list is not a chain of dependent cache misses.
      if (local_) __builtin_prefetch(local_, 1);
      // Reset here rather than at recycle: the old values die on the thread that made them,
      // and the consumer never writes to the body's value buffers.
      d->refs.store(1, std::memory_order_relaxed);
      d->nextFree = nullptr;
      d->messageId.clear();
      d->ackVal = 0;
      d->executeStartNs = 0;
      return d;
    }
    auto* d = new detail::TupleData();
    d->pool = this;
    return d;
  }

  void recycle(detail::TupleData* d) override;
  // Pushes a chain first..last (linked by nextFree).
  void pushChain(detail::TupleData* first, detail::TupleData* last);

  // Executor threads call this on start (enables per-thread return batching) and when idle or
  // stopping (hands back what they gathered).
  static void enableThreadCache();
  static void flushThreadCache();

 private:
  detail::TupleData* local_ = nullptr;  // owner thread
  alignas(64) std::atomic<detail::TupleData*> returned_{nullptr};
};

}  // namespace squall::internal
