#include "worker/remote_executor.h"

#include <sched.h>

#include <algorithm>

namespace squall::worker {

namespace {
constexpr size_t kSendTarget = 256u << 10;  // encode at most about this much per send(2)
constexpr size_t kDrainStep = 64;
// Held back (the peer's backpressure, a full out buffer): its relief wakes the stand-in, and
// this bounds the wait should a wake-up be missed.
constexpr int64_t kBlockedSleepNs = 1'000'000;
// Nothing queued: only a push (or a producer's inline drain failing to take the queue) gives a
// stand-in work, and either wakes it, so an idle stand-in does not poll.
constexpr int64_t kIdleSleepNs = 100'000'000;
}  // namespace

RemoteExecutor::RemoteExecutor(internal::TopologyRuntime& rt, internal::ExecutorPlan plan,
                               size_t index, size_t count, Transport& transport,
                               Transport::Peer& peer)
    : Executor(rt, std::move(plan), index, count),
      transport_(transport),
      peer_(&peer),
      enc_{WireWriter{}, transport.streams(), {}, 0} {
  queue_.setInlineConsumer(this);
}

RemoteExecutor::~RemoteExecutor() {
  join();
}

void RemoteExecutor::park(int64_t timeoutNs) {
  internal::TuplePool::flushThreadCache();
  queue_.sleep(timeoutNs);
}

int64_t RemoteExecutor::Encoder::streamIndex(const StreamMeta* m) {
  for (auto& [meta, i] : cache) {
    if (meta == m) return i;
  }
  int64_t i = streams.indexOf(m);
  if (i >= 0) cache.emplace_back(m, static_cast<uint32_t>(i));
  return i;
}

bool RemoteExecutor::encode(Encoder& e) {
  // Several frames per send(2), each of at most half the receiving executor's queue: the
  // receiver pushes a frame's tuples into that queue in one go, and a frame larger than the
  // queue would spill into its overflow (and outrun its pool of tuple bodies) every time.
  const size_t frameTuples = std::max<size_t>(kDrainStep, rt_.receiveBufferSize / 2);
  WireWriter& w = e.writer;
  BatchWriter batch(w);
  size_t got = 0;
  do {
    const size_t frameAt = w.size(), tuplesBefore = e.tuples;
    batch.begin();
    size_t inFrame = 0;
    do {
      got = queue_.drain(
          [&](detail::TupleData* d) {
            int64_t stream = e.streamIndex(d->meta);
            if (stream >= 0) {
              batch.tuple(d->destTask, d->sourceTask, static_cast<uint32_t>(stream), d->messageId,
                          d->values);
              ++e.tuples;
            }
            detail::release(d);
          },
          kDrainStep);
      inFrame += got;
    } while (got == kDrainStep && inFrame < frameTuples && w.size() < kSendTarget);
    queue_.drainAcks([&](const internal::AckRecord& r) { batch.ack(r); }, 4096);
    batch.end();
    if (w.size() - frameAt > kMaxFrameBytes) {
      spdlog::error(
          "topology '{}': a batch for executor [{}-{}] of '{}' encodes to {} bytes, "
          "over the frame bound; dropped",
          rt_.plan->name, plan_.startTask, plan_.endTask, plan_.componentId, w.size() - frameAt);
      w.truncate(frameAt);
      e.tuples = tuplesBefore;
    }
  } while (got == kDrainStep && w.size() < kSendTarget);
  return got == kDrainStep;
}

bool RemoteExecutor::drainAndSend(Transport::Peer& peer, bool& saturated) {
  Encoder& e = enc_;
  saturated = encode(e);
  if (!saturated) {
    // This queue is drained: the batch is as full as it will get, so it leaves now. Before
    // it does, take what the peer's other stand-ins hold (a spout's tuple for a bolt and its
    // acker init for an acker of the same worker, emitted together), so one send(2) and one
    // wake-up of the peer carry both. At saturation no queue drains and each stand-in sends
    // its own full batches in parallel.
    transport_.forEachProxy(peer, [&](RemoteExecutor& s) {
      if (&s == this || s.backPressure() || e.writer.size() >= kSendTarget) return;
      std::unique_lock lock(s.drainMu_, std::try_to_lock);
      if (!lock || s.queue_.empty()) return;
      s.encode(e);
      held_.push_back(std::move(lock));
    });
  }
  if (e.writer.size() == 0) return false;
  transport_.send(peer, e.writer.buffer(), e.tuples);
  e.writer.clear();
  e.tuples = 0;
  held_.clear();
  return true;
}

void RemoteExecutor::consumeInline() {
  Transport::Peer& peer = *peer_.load();
  std::unique_lock own(drainMu_, std::try_to_lock);
  // Another thread drains this queue (it may have taken its lock before our push, so it is
  // woken to look again), or the stand-in must wait for the peer: its own thread does that.
  if (!own || backPressure() || !transport_.writable(peer) || transport_.holdsFor(peer)) {
    if (own) own.unlock();
    queue_.wake();
    return;
  }
  bool saturated = false;
  if (drainAndSend(peer, saturated)) transport_.countInlineSend();
  own.unlock();
  if (saturated) queue_.wake();  // more than one send's worth: the stand-in's thread goes on
}

void RemoteExecutor::run() {
  ready_.store(true);
  while (!stopRequested()) {
    Transport::Peer& peer = *peer_.load();
    if (backPressure() || !transport_.writable(peer) || transport_.holdsFor(peer)) {
      park(kBlockedSleepNs);
      continue;
    }
    std::unique_lock own(drainMu_, std::try_to_lock);
    if (!own) {
      // A sibling or a producer is sending what it took from this queue: the next drain waits
      // for that send, so the tuples of one queue leave in order.
      sched_yield();
      continue;
    }
    bool saturated = false;
    if (!drainAndSend(peer, saturated)) {
      own.unlock();
      park(kIdleSleepNs);
    }
  }
}

}  // namespace squall::worker
