#include "worker/remote_executor.h"

#include <algorithm>

namespace squall::worker {

namespace {
constexpr size_t kSendTarget = 256u << 10;  // encode at most about this much per send(2)
constexpr size_t kDrainStep = 64;
constexpr int64_t kIdleSleepNs = 1'000'000;
}  // namespace

RemoteExecutor::RemoteExecutor(internal::TopologyRuntime& rt, internal::ExecutorPlan plan,
                               size_t index, size_t count, Transport& transport,
                               Transport::Peer& peer)
    : Executor(rt, std::move(plan), index, count), transport_(transport), peer_(&peer) {}

RemoteExecutor::~RemoteExecutor() {
  join();
}

void RemoteExecutor::run() {
  ready_.store(true);
  const size_t frameTuples = std::max<size_t>(kDrainStep, rt_.receiveBufferSize / 2);
  WireWriter w;
  BatchWriter batch(w);
  const StreamTable& streams = transport_.streams();
  // The streams this executor receives are few: a linear cache beats the hash map.
  std::vector<std::pair<const StreamMeta*, uint32_t>> cache;
  auto streamIndex = [&](const StreamMeta* m) -> int64_t {
    for (auto& [meta, i] : cache) {
      if (meta == m) return i;
    }
    int64_t i = streams.indexOf(m);
    if (i >= 0) cache.emplace_back(m, static_cast<uint32_t>(i));
    return i;
  };
  while (!stopRequested()) {
    if (backPressure() || !transport_.writable(*peer_.load())) {
      idle(kIdleSleepNs);
      continue;
    }
    // Several frames per send(2), each of at most half the receiving executor's queue: the
    // receiver pushes a frame's tuples into that queue in one go, and a frame larger than the
    // queue would spill into its overflow (and outrun its pool of tuple bodies) every time.
    size_t tuples = 0, got = 0;
    do {
      const size_t frameAt = w.size(), tuplesBefore = tuples;
      batch.begin();
      size_t inFrame = 0;
      do {
        got = queue_.drain(
            [&](detail::TupleData* d) {
              int64_t stream = streamIndex(d->meta);
              if (stream >= 0) {
                batch.tuple(d->destTask, d->sourceTask, static_cast<uint32_t>(stream), d->messageId,
                            d->values);
                ++tuples;
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
        tuples = tuplesBefore;
      }
    } while (got == kDrainStep && w.size() < kSendTarget);
    if (w.size() == 0) {
      idle(kIdleSleepNs);
      continue;
    }
    resetIdle();
    transport_.send(*peer_.load(), w.buffer(), tuples);
    w.clear();
  }
}

}  // namespace squall::worker
