#include "nimbus/even_scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace squall::nimbus {
namespace {

using cluster::ExecutorRange;
using cluster::NodePort;

// Storm's sortSlots: the first port of every supervisor, then the second of each, ... so
// consecutive workers land on different machines.
std::vector<NodePort> interleave(const std::map<std::string, std::vector<int>>& free) {
  std::vector<NodePort> out;
  std::map<std::string, std::vector<int>> sorted;
  size_t longest = 0;
  for (const auto& [node, ports] : free) {
    auto& p = sorted[node] = ports;
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
    longest = std::max(longest, p.size());
  }
  for (size_t i = 0; i < longest; ++i) {
    for (const auto& [node, ports] : sorted) {
      if (i < ports.size()) out.push_back({node, ports[i]});
    }
  }
  return out;
}

std::string describeFree(const std::map<std::string, std::vector<int>>& free) {
  if (free.empty()) return "no supervisor is alive";
  std::string out;
  for (const auto& [node, ports] : free) {
    out += fmt::format("{}{} free on {}", out.empty() ? "" : ", ", ports.size(), node);
  }
  return out;
}

}  // namespace

cluster::Assignment scheduleEven(const ScheduleRequest& req) {
  std::vector<NodePort> slots = interleave(req.freeSlots);
  std::vector<ExecutorRange> executors = req.executors;
  std::sort(executors.begin(), executors.end());
  // More workers than executors would leave some empty; Storm caps them the same way.
  int wanted = std::min(std::max(1, req.numWorkers), std::max<int>(1, executors.size()));
  if (static_cast<int>(slots.size()) < wanted && req.requireAllWorkers) {
    throw NotEnoughSlots(fmt::format(
        "Topology {} needs {} worker slot(s) but the cluster has {} free ({}); add supervisors "
        "(supervisor.slots.ports) or ask for fewer workers (topology.workers)",
        req.topologyId, wanted, slots.size(), describeFree(req.freeSlots)));
  }
  int workers = std::min<int>(wanted, static_cast<int>(slots.size()));

  cluster::Assignment out;
  if (req.current) {
    out.masterCodeDir = req.current->masterCodeDir;
    out.owner = req.current->owner;
  }
  if (workers <= 0 || executors.empty()) return out;

  std::set<ExecutorRange> wantedExecutors(executors.begin(), executors.end());
  std::set<NodePort> available(slots.begin(), slots.end());

  // What runs now on slots that are still available, per slot, in executor order.
  std::map<NodePort, std::vector<ExecutorRange>> running;
  if (req.current) {
    for (const auto& [e, slot] : req.current->executorNodePort) {
      if (wantedExecutors.count(e) && available.count(slot)) running[slot].push_back(e);
    }
  }
  // Keep the fullest slots first: they hold most of what would otherwise move.
  std::vector<std::pair<NodePort, std::vector<ExecutorRange>>> kept(running.begin(), running.end());
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  if (static_cast<int>(kept.size()) > workers) kept.resize(workers);

  // The even share: every slot gets `floor` executors, `extra` of them one more.
  int n = static_cast<int>(executors.size());
  int floorShare = n / workers, extra = n % workers, ceilUsed = 0;
  std::vector<NodePort> chosen;
  std::map<NodePort, std::vector<ExecutorRange>> load;
  std::set<ExecutorRange> placed;
  for (auto& [slot, es] : kept) {
    int allowed = floorShare + (ceilUsed < extra ? 1 : 0);
    if (static_cast<int>(es.size()) > allowed) es.resize(allowed);
    if (extra > 0 && static_cast<int>(es.size()) == floorShare + 1) ++ceilUsed;
    chosen.push_back(slot);
    load[slot] = es;
    placed.insert(es.begin(), es.end());
  }
  for (const auto& slot : slots) {
    if (static_cast<int>(chosen.size()) >= workers) break;
    if (load.count(slot)) continue;
    chosen.push_back(slot);
    load[slot];
  }
  // Each executor not kept goes to the least loaded slot (the earliest chosen on a tie).
  for (const auto& e : executors) {
    if (placed.count(e)) continue;
    const NodePort* best = nullptr;
    for (const auto& slot : chosen) {
      if (!best || load[slot].size() < load[*best].size()) best = &slot;
    }
    load[*best].push_back(e);
  }

  for (const auto& [slot, es] : load) {
    if (es.empty()) continue;
    auto host = req.hosts.find(slot.node);
    out.nodeHost[slot.node] = host == req.hosts.end() ? slot.node : host->second;
    for (const auto& e : es) {
      out.executorNodePort[e] = slot;
      int64_t start = req.nowSecs;
      if (req.current) {
        auto was = req.current->executorNodePort.find(e);
        auto t = req.current->executorStartTimeSecs.find(e);
        if (was != req.current->executorNodePort.end() && was->second == slot &&
            t != req.current->executorStartTimeSecs.end()) {
          start = t->second;
        }
      }
      out.executorStartTimeSecs[e] = start;
    }
  }
  return out;
}

int changedSlots(const cluster::Assignment& before, const cluster::Assignment& after) {
  auto bySlot = [](const cluster::Assignment& a) {
    std::map<NodePort, std::set<ExecutorRange>> m;
    for (const auto& [e, slot] : a.executorNodePort) m[slot].insert(e);
    return m;
  };
  auto b = bySlot(before), a = bySlot(after);
  std::set<NodePort> all;
  for (const auto& [s, _] : b) all.insert(s);
  for (const auto& [s, _] : a) all.insert(s);
  int changed = 0;
  for (const auto& s : all) {
    if (b[s] != a[s]) ++changed;
  }
  return changed;
}

}  // namespace squall::nimbus
