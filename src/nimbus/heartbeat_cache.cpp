#include "nimbus/heartbeat_cache.h"

#include <algorithm>

namespace squall::nimbus {

using cluster::ExecutorRange;
using cluster::NodePort;

void HeartbeatCache::update(
    const std::string& topologyId, const cluster::Assignment& assignment,
    const std::map<NodePort, std::optional<cluster::WorkerHeartbeat>>& beats, int64_t nowMs) {
  auto& entries = topologies_[topologyId];
  std::erase_if(entries, [&](const auto& kv) {
    auto it = assignment.executorNodePort.find(kv.first);
    return it == assignment.executorNodePort.end() || it->second != kv.second.slot;
  });
  for (const auto& [executor, slot] : assignment.executorNodePort) {
    int64_t startMs = 0;
    if (auto t = assignment.executorStartTimeSecs.find(executor);
        t != assignment.executorStartTimeSecs.end()) {
      startMs = t->second * 1000;
    }
    // The heartbeat counts for this executor only when its worker lists it (a worker still
    // running an older layout does not speak for executors it does not run).
    std::optional<int64_t> reported;
    bool readable = false;
    if (auto b = beats.find(slot); b != beats.end()) {
      readable = true;
      if (b->second && std::find(b->second->executors.begin(), b->second->executors.end(),
                                 executor) != b->second->executors.end()) {
        reported = b->second->timeSecs;
      }
    }
    auto [it, added] = entries.try_emplace(executor, Entry{slot, reported, nowMs, startMs});
    Entry& e = it->second;
    e.startMs = startMs;
    // A heartbeat that vanished is no news (Storm keeps the last reported time); only a new
    // value is.
    if (!added && readable && reported && reported != e.reported) {
      e.reported = reported;
      e.nimbusMs = nowMs;
    }
  }
}

std::vector<DeadSlot> HeartbeatCache::deadSlots(const std::string& topologyId,
                                                const cluster::Assignment& assignment,
                                                int64_t nowMs) const {
  std::map<NodePort, DeadSlot> dead;
  auto t = topologies_.find(topologyId);
  if (t == topologies_.end()) return {};
  for (const auto& [executor, slot] : assignment.executorNodePort) {
    auto it = t->second.find(executor);
    if (it == t->second.end() || it->second.slot != slot) continue;
    const Entry& e = it->second;
    if (nowMs - e.startMs < launchMs_ || nowMs - e.nimbusMs < timeoutMs_) continue;
    DeadSlot& d = dead[slot];
    d.slot = slot;
    d.executors.push_back(executor);
    d.everBeat = d.everBeat || e.reported.has_value();
    d.silentMs = std::max(d.silentMs, nowMs - e.nimbusMs);
    d.sinceStartMs = std::max(d.sinceStartMs, nowMs - e.startMs);
  }
  std::vector<DeadSlot> out;
  for (auto& [slot, d] : dead) out.push_back(std::move(d));
  return out;
}

int64_t HeartbeatCache::deadlineOf(const Entry& e) const {
  return std::max(e.startMs + launchMs_, e.nimbusMs + timeoutMs_);
}

std::optional<int64_t> HeartbeatCache::nextDeadlineMs(int64_t nowMs) const {
  std::optional<int64_t> next;
  for (const auto& [id, entries] : topologies_) {
    for (const auto& [executor, e] : entries) {
      int64_t due = deadlineOf(e);
      if (due > nowMs && (!next || due < *next)) next = due;
    }
  }
  return next;
}

void HeartbeatCache::retain(const std::set<std::string>& topologyIds) {
  std::erase_if(topologies_, [&](const auto& kv) { return !topologyIds.count(kv.first); });
}

}  // namespace squall::nimbus
