#pragma once
// RemoteExecutor: the stand-in, in this worker, for an executor another worker runs. Local
// producers route to it exactly as to a local executor (its queue is an ordinary bounded
// ReceiveQueue, so a full one holds them back the usual way); its own thread drains the queue,
// encodes tuples and acking records into Batch frames (each at most half the receiving
// executor's queue, so the receiver can push a whole frame at once) and hands up to 256 KiB of
// them to the transport per send(2). A batch leaves as soon as the queue is drained, never on a
// timer; before it leaves, the stand-in also drains the other stand-ins for executors of the
// same worker that no other thread is draining, so what one emit sent to several of them (a
// tuple and its acker init) crosses in one send(2). At low rates its thread mostly sleeps: an
// executor that publishes the partial batches of a loop to a sleeping stand-in (see
// ReceiveQueue's InlineConsumer) drains and sends them itself, on its own thread, at the end
// of the loop, which saves the stand-in's wake-up and a hand-off per crossing; full batches
// (high rates) wake the stand-in, which then sends in parallel with the producer. It
// stops draining while the peer reports that executor under backpressure, while the
// connection's out buffer is full, or, while its worker starts, until the peer is connected
// (Transport::holdsFor): the queue then fills and the backpressure reaches the producers,
// spouts included. Owned by the RunningTopology like any executor.

#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/executor.h"
#include "worker/transport.h"

namespace squall::worker {

class RemoteExecutor : public internal::Executor, private internal::InlineConsumer {
 public:
  RemoteExecutor(internal::TopologyRuntime& rt, internal::ExecutorPlan plan, size_t index,
                 size_t count, Transport& transport, Transport::Peer& peer);
  ~RemoteExecutor() override;
  std::vector<std::pair<int, const internal::TaskStats*>> taskStats() const override { return {}; }

  // I/O thread: the peer says this executor's queue is full (or no longer).
  void setBackPressure(bool on) {
    if (backPressure_.exchange(on) && !on) queue().wake();
  }
  bool backPressure() const { return backPressure_.load(std::memory_order_relaxed); }
  bool peerBackPressure() const override { return backPressure(); }
  // I/O thread: the executor moved to another worker.
  void setPeer(Transport::Peer& peer) { peer_.store(&peer); }

 private:
  // What one thread encodes for one send(2).
  struct Encoder {
    WireWriter writer;
    const StreamTable& streams;
    // The streams a stand-in receives are few: a linear cache beats the hash map.
    std::vector<std::pair<const StreamMeta*, uint32_t>> cache;
    size_t tuples;
    int64_t streamIndex(const StreamMeta* m);
  };

  void run() override;
  // A producer's thread, at the end of its loop (see above).
  void consumeInline() override;
  // The caller holds drainMu_: encodes this queue (and, once it is drained, the siblings'),
  // sends it, and says whether anything left; `saturated` tells whether this queue has more.
  bool drainAndSend(Transport::Peer& peer, bool& saturated);
  // Sleeps until a push, a wake() or `timeoutNs`: a stand-in has nothing to do but what is
  // pushed, and spinning or yielding would take a core from the threads it waits for.
  void park(int64_t timeoutNs);
  // Encodes this queue into `e` (the caller holds drainMu_); true when it stopped at a bound
  // with more queued, false when it drained the queue.
  bool encode(Encoder& e);

  Transport& transport_;
  std::atomic<Transport::Peer*> peer_;
  std::atomic<bool> backPressure_{false};
  // Held by whichever thread drains this queue (its own, a sibling's or a producer's) until
  // what it drained is handed to the transport.
  std::mutex drainMu_;
  // Used by whichever thread holds drainMu_.
  Encoder enc_;
  std::vector<std::unique_lock<std::mutex>> held_;  // the siblings drained into this send
};

}  // namespace squall::worker
