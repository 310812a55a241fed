#include "supervisor/worker_assignment.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace squall::supervisor {

namespace {

// Each slot's index: the rank of its first executor (see the header). executorNodePort is
// ordered by executor range, so the first executor met for a slot is its first.
std::map<cluster::NodePort, int> slotIndexes(const cluster::Assignment& a) {
  std::map<cluster::NodePort, int> index;
  int rank = 0;
  for (const auto& [executor, slot] : a.executorNodePort) index.emplace(slot, rank++);
  return index;
}

}  // namespace

worker::Assignment toWorkerAssignment(const cluster::Assignment& a, const std::string& topologyId,
                                      const std::string& secret) {
  worker::Assignment w;
  w.topologyId = topologyId;
  w.secret = secret;
  std::map<cluster::NodePort, int> index = slotIndexes(a);
  for (const auto& [slot, i] : index) {
    w.workers.resize(std::max(w.workers.size(), static_cast<size_t>(i) + 1));
  }
  for (const auto& [slot, i] : index) {
    auto host = a.nodeHost.find(slot.node);
    if (host == a.nodeHost.end() || host->second.empty()) {
      throw std::runtime_error(fmt::format(
          "assignment of topology {}: supervisor {} (port {}) has no host in node->host",
          topologyId, slot.node, slot.port));
    }
    w.workers[static_cast<size_t>(i)] = {host->second, slot.port};
  }
  for (const auto& [executor, slot] : a.executorNodePort) {
    w.executorWorker[executor.startTask] = index.at(slot);
  }
  return w;
}

std::map<int, int> localWorkers(const cluster::Assignment& a, const std::string& supervisorId) {
  std::map<int, int> out;
  for (const auto& [slot, i] : slotIndexes(a)) {
    if (slot.node == supervisorId) out[slot.port] = i;
  }
  return out;
}

std::vector<cluster::ExecutorRange> executorsOf(const cluster::Assignment& a,
                                                const std::string& node, int port) {
  std::vector<cluster::ExecutorRange> out;
  for (const auto& [executor, slot] : a.executorNodePort) {
    if (slot.node == node && slot.port == port) out.push_back(executor);
  }
  return out;
}

std::set<int> executorsOfWorker(const worker::Assignment& a, int index) {
  std::set<int> out;
  for (const auto& [start, w] : a.executorWorker) {
    if (w == index) out.insert(start);
  }
  return out;
}

bool sameAssignment(const worker::Assignment& a, const worker::Assignment& b) {
  if (a.topologyId != b.topologyId || a.secret != b.secret || a.heartbeatDir != b.heartbeatDir ||
      a.localSockets != b.localSockets || a.executorWorker != b.executorWorker ||
      a.workers.size() != b.workers.size()) {
    return false;
  }
  for (size_t i = 0; i < a.workers.size(); ++i) {
    if (a.workers[i].host != b.workers[i].host || a.workers[i].port != b.workers[i].port) {
      return false;
    }
  }
  return true;
}

}  // namespace squall::supervisor
