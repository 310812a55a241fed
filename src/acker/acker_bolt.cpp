#include "acker/acker_bolt.h"

#include <chrono>
#include <string>

#include "topology/topology_plan.h"

namespace squall::internal {

namespace {
int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void AckerBolt::prepare(const Config&, TopologyContext&, OutputCollector& collector) {
  collector_ = &collector;
}

void AckerBolt::execute(const Tuple& input) {
  if (input.isTick()) {
    pending_.rotate();
    return;
  }
  const std::string& stream = input.getSourceStreamId();
  uint64_t id = static_cast<uint64_t>(input.getLong(0));
  Tree* tree = pending_.find(id);
  if (!tree) {
    // An ack may arrive before its init: start the entry either way.
    pending_.insertNew(id, Tree{0, steadyNs(), -1, false});
    tree = pending_.find(id);
  }
  bool reset = false;
  if (stream == kAckInitStream) {
    tree->val ^= static_cast<uint64_t>(input.getLong(1));
    tree->spoutTask = static_cast<int>(input.getLong(2));
  } else if (stream == kAckAckStream) {
    tree->val ^= static_cast<uint64_t>(input.getLong(1));
  } else if (stream == kAckFailStream) {
    tree->failed = true;
  } else if (stream == kAckResetTimeoutStream) {
    pending_.touch(id);
    reset = true;
  }
  if (tree->spoutTask < 0) return;
  int64_t deltaMs = (steadyNs() - tree->startNs) / 1'000'000;
  Values reply{Value(static_cast<int64_t>(id)), Value(deltaMs)};
  int spoutTask = tree->spoutTask;
  if (tree->val == 0) {
    pending_.remove(id);
    collector_->emitDirect(spoutTask, kAckAckStream, std::move(reply));
  } else if (tree->failed) {
    pending_.remove(id);
    collector_->emitDirect(spoutTask, kAckFailStream, std::move(reply));
  } else if (reset) {
    collector_->emitDirect(spoutTask, kAckResetTimeoutStream, std::move(reply));
  }
}

}  // namespace squall::internal
