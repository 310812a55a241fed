#pragma once
// ReceiveQueue: an executor's inbox. Two bounded MPSC rings (see mpsc_ring.h) that share one
// wake-up: tuples (topology.executor.receive.buffer.size of them), and compact acking records
// for executors that take part in acking (ackers and spouts).
// - Full: pushes take what fits and return the count, never block; the producer keeps the
//   rest in its ordered overflow and stops taking input: backpressure.
// - Backpressure flag (for /metrics): set by the first refused push, cleared by the consumer
//   once a drain leaves both rings at most half full, so it reads 1 from the queue's
//   high-water mark (full) down to its low-water mark (half). It costs a compare per push
//   and a relaxed load per drain; the flag's line is written only when it changes.
// - Waking: a consumer with nothing to do sleeps on a futex with a timeout; a producer wakes it
//   after publishing. The timeout bounds the cost of a lost wake-up and drives idle polling.
// - Consuming on the producer's thread: a queue may name an InlineConsumer (a worker's stand-in
//   for an executor of another process, whose whole job is an encode and a send(2)). Inside an
//   InlineDrainScope (an executor publishing its partial batches at the end of a loop), a push
//   to such a queue whose consumer is asleep does not wake it: at the end of the scope the
//   pushing thread runs the consumer itself, which costs less than a wake-up and a hand-off,
//   and lets one call take what the scope pushed to several queues. The consumer that cannot
//   (another thread is draining it, or it must wait) calls wake() instead.
// - Shutdown: the owner stops consuming; the destructor releases tuples still queued.

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <ctime>
#include <iterator>

#include "acker/ack_record.h"
#include "runtime/mpsc_ring.h"
#include "squall/detail/tuple_data.h"

namespace squall::internal {

class ReceiveQueue;

// See "Consuming on the producer's thread" above.
class InlineConsumer {
 public:
  // Any thread, at the end of an InlineDrainScope that pushed to the consumer's queue: drain
  // and deliver it now, or wake the queue's own consumer.
  virtual void consumeInline() = 0;

 protected:
  ~InlineConsumer() = default;
};

// This thread's pushes to InlineConsumers' queues deferred to the end of its scope.
struct InlineDrains {
  int depth = 0;
  InlineConsumer* pending[8] = {};
  size_t count = 0;
  // False when full: the caller wakes the consumer the usual way.
  bool add(InlineConsumer* c) {
    for (size_t i = 0; i < count; ++i) {
      if (pending[i] == c) return true;
    }
    if (count == std::size(pending)) return false;
    pending[count++] = c;
    return true;
  }
};
extern thread_local InlineDrains inlineDrains;

// Defers this thread's pushes to sleeping InlineConsumers to its end (see above); nests.
class InlineDrainScope {
 public:
  InlineDrainScope() { ++inlineDrains.depth; }
  ~InlineDrainScope() {
    if (--inlineDrains.depth == 0 && inlineDrains.count) run();
  }
  InlineDrainScope(const InlineDrainScope&) = delete;
  InlineDrainScope& operator=(const InlineDrainScope&) = delete;

 private:
  static void run();
};

class ReceiveQueue {
 public:
  ReceiveQueue(size_t tupleCapacity, size_t ackCapacity)
      : tuples_(tupleCapacity), acks_(ackCapacity) {}
  ~ReceiveQueue() {
    tuples_.drain([](detail::TupleData* t) { detail::release(t); }, tuples_.capacity());
  }
  ReceiveQueue(const ReceiveQueue&) = delete;
  ReceiveQueue& operator=(const ReceiveQueue&) = delete;

  size_t capacity() const { return tuples_.capacity(); }

  // Before the consumer starts: see "Consuming on the producer's thread".
  void setInlineConsumer(InlineConsumer* c) { inline_ = c; }

  // Any thread.
  size_t tryPushBatch(detail::TupleData* const* items, size_t n) {
    size_t pushed = tuples_.tryPushBatch(items, n);
    if (pushed) notifyConsumer();
    if (pushed < n) [[unlikely]]
      engageBackpressure();
    return pushed;
  }
  bool tryPush(detail::TupleData* item) { return tryPushBatch(&item, 1) == 1; }
  size_t tryPushAcks(const AckRecord* records, size_t n) {
    size_t pushed = acks_.tryPushBatch(records, n);
    if (pushed) notifyConsumer();
    if (pushed < n) [[unlikely]]
      engageBackpressure();
    return pushed;
  }

  // Consumer thread only.
  // Starts fetching each tuple's body a few tuples before f sees it: with a deep queue the
  // body was written long ago and has left the caches.
  template <class F>
  size_t drain(F&& f, size_t max) {
    size_t n = tuples_.drain(std::forward<F>(f), max,
                             [](detail::TupleData* later) { __builtin_prefetch(later); });
    if (backpressure_.load(std::memory_order_relaxed)) [[unlikely]]
      relieveIfLow();
    return n;
  }
  // `ahead(record)` sees each record a few places before f does (see MpscRing::drain): to
  // prefetch the pending-map slot f will look up.
  template <class F, class Ahead = MpscRing<AckRecord>::NoAhead>
  size_t drainAcks(F&& f, size_t max, Ahead&& ahead = {}) {
    size_t n = acks_.drain(std::forward<F>(f), max, std::forward<Ahead>(ahead));
    if (backpressure_.load(std::memory_order_relaxed)) [[unlikely]]
      relieveIfLow();
    return n;
  }
  bool empty() const { return tuples_.empty() && acks_.empty(); }

  // Any thread; approximate.
  size_t size() const { return tuples_.size(); }
  double load() const {
    return static_cast<double>(tuples_.size()) / static_cast<double>(tuples_.capacity());
  }
  // Whether producers met a full queue since it was last drained to half (see above), and
  // how many times that began.
  bool backpressure() const { return backpressure_.load(std::memory_order_relaxed); }
  uint64_t backpressureEngaged() const { return engaged_.load(std::memory_order_relaxed); }

  // Consumer thread only: sleeps until something is pushed, wake() is called or `timeoutNs`
  // passes.
  void sleep(int64_t timeoutNs) {
    // An RMW, paired with the one in wakeConsumer(): both sit in sleeping_'s modification order,
    // so either the producer sees the 1 and wakes us, or we read from its RMW and see its slots.
    sleeping_.exchange(1, std::memory_order_acq_rel);
    if (!empty() || interrupted_.exchange(false)) {
      sleeping_.store(0, std::memory_order_relaxed);
      return;
    }
    timespec ts{static_cast<time_t>(timeoutNs / 1000000000),
                static_cast<long>(timeoutNs % 1000000000)};
    syscall(SYS_futex, reinterpret_cast<int*>(&sleeping_), FUTEX_WAIT_PRIVATE, 1, &ts, nullptr, 0);
    sleeping_.store(0, std::memory_order_relaxed);
  }
  // Any thread; approximate: whether the consumer is in (or entering) sleep().
  bool consumerSleeping() const { return sleeping_.load(std::memory_order_relaxed) == 1; }
  // The most items a queue may hold for a push inside an InlineDrainScope to leave them to the
  // scope's end rather than wake the consumer.
  static constexpr size_t kInlineMaxQueued = 8;

  // Any thread: ends the consumer's current or next sleep early.
  void wake() {
    interrupted_.store(true, std::memory_order_seq_cst);
    futexWake();
  }

 private:
  void notifyConsumer() {
    // Only a consumer that sleeps is left to the end of the scope: one that is awake (at high
    // rates) drains it on its own thread, as without the scope. Whatever the end of the scope
    // cannot drain, it wakes (consumeInline), so nothing waits for the sleep's timeout.
    // Nor a queue holding more than a few items: the producer then runs at a rate where the
    // consumer's own thread should share the work (a producer fanning out to many stand-ins).
    if (inline_ && inlineDrains.depth && sleeping_.load(std::memory_order_relaxed) == 1 &&
        tuples_.size() + acks_.size() <= kInlineMaxQueued && inlineDrains.add(inline_))
        [[unlikely]] {
      return;
    }
    wakeConsumer();
  }
  void wakeConsumer() {
    // A read-modify-write rather than a fence (which ThreadSanitizer cannot model): it publishes
    // our slot writes to a consumer that goes to sleep after it, and reads a sleep before it.
    if (sleeping_.fetch_add(0, std::memory_order_acq_rel) == 1) futexWake();
  }
  // Producers; a queue already flagged costs a load (retries of a backpressured overflow).
  void engageBackpressure() {
    if (!backpressure_.load(std::memory_order_relaxed) &&
        !backpressure_.exchange(true, std::memory_order_relaxed)) {
      engaged_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  // Consumer. A producer refused between the size check and the store sees the flag still
  // set and leaves it; its next refused retry sets it again.
  void relieveIfLow() {
    if (tuples_.size() <= tuples_.capacity() / 2 && acks_.size() <= acks_.capacity() / 2) {
      backpressure_.store(false, std::memory_order_relaxed);
    }
  }
  void futexWake() {
    if (sleeping_.exchange(0) == 1) {
      syscall(SYS_futex, reinterpret_cast<int*>(&sleeping_), FUTEX_WAKE_PRIVATE, 1, nullptr,
              nullptr, 0);
    }
  }

  MpscRing<detail::TupleData*> tuples_;
  MpscRing<AckRecord> acks_;
  InlineConsumer* inline_ = nullptr;
  alignas(64) std::atomic<int32_t> sleeping_{0};
  std::atomic<bool> interrupted_{false};
  // Written on transitions only, on their own line so producers' pushes do not share it.
  alignas(64) std::atomic<bool> backpressure_{false};
  std::atomic<uint64_t> engaged_{0};
};

}  // namespace squall::internal
