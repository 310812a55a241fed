#pragma once
// TupleData: the shared, reference-counted body behind a Tuple handle. Created by the
// emitting thread, read by the receiving executor; immutable after publication except for
// `ackVal` and `processStartNs`, which only the receiving executor touches.

#include <atomic>
#include <cstdint>
#include <string>

#include "squall/fields.h"
#include "squall/message_id.h"
#include "squall/value.h"

namespace squall {

// What every tuple of one (component, stream) shares. Owned by the running topology (or
// static for system streams); tuples must not outlive the topology that made them.
struct StreamMeta {
  std::string componentId;
  std::string streamId;
  Fields fields;
};

namespace detail {

struct TupleData;

// Where a tuple body returns when its last reference goes (see runtime/tuple_pool.h); a body
// without a pool is deleted.
class TupleRecycler {
 public:
  virtual void recycle(TupleData* d) = 0;

 protected:
  ~TupleRecycler() = default;
};

// Two cache lines, since every line that crosses between cores costs the producer about as
// much as the rest of an emit. The first holds what the producer writes on every emit; the
// second the acking state, which an unanchored emit into a recycled body leaves untouched (the
// producer only reads it, so the line stays shared between the two cores).
struct alignas(64) TupleData {
  std::atomic<int32_t> refs{1};
  int32_t sourceTask = 0;
  int32_t destTask = 0;  // -1: every task of the receiving executor (ticks)
  const StreamMeta* meta = nullptr;
  TupleRecycler* pool = nullptr;
  Values values;
  alignas(64) MessageId messageId;
  // XOR of the edge ids of tuples anchored to this one (acker protocol), and when the
  // receiving bolt began executing it (process latency).
  uint64_t ackVal = 0;
  int64_t executeStartNs = 0;
};

inline void retain(TupleData* d) {
  d->refs.fetch_add(1, std::memory_order_relaxed);
}
inline void release(TupleData* d) {
  // The common case is a single owner: skip the locked decrement then.
  if (d->refs.load(std::memory_order_acquire) == 1 ||
      d->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    if (d->pool) {
      d->pool->recycle(d);
    } else {
      delete d;
    }
  }
}

}  // namespace detail
}  // namespace squall
