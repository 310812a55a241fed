#include "worker/assignment.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace squall::worker {

void Assignment::checkCovers(const internal::TopologyPlan& plan) const {
  for (const auto& [id, cp] : plan.components) {
    for (const auto& ep : cp.executors) {
      if (!hasWorker(workerOf(ep.startTask))) {
        throw std::runtime_error(
            fmt::format("the assignment gives executor [{}-{}] of '{}' to no worker", ep.startTask,
                        ep.endTask, id));
      }
    }
  }
}

int Assignment::numWorkers() const {
  return static_cast<int>(std::count_if(workers.begin(), workers.end(),
                                        [](const WorkerAddress& w) { return w.port > 0; }));
}

std::map<int, int> evenSchedule(const internal::TopologyPlan& plan, int workers) {
  std::vector<int> starts;
  for (const auto& [id, cp] : plan.components) {
    for (const auto& ep : cp.executors) starts.push_back(ep.startTask);
  }
  std::sort(starts.begin(), starts.end());
  std::map<int, int> out;
  for (size_t i = 0; i < starts.size(); ++i) {
    out[starts[i]] = static_cast<int>(i % static_cast<size_t>(std::max(1, workers)));
  }
  return out;
}

void writeAssignment(const std::string& path, const Assignment& a) {
  std::ostringstream o;
  o << "squall-assignment 1\n";
  o << "topology-id " << a.topologyId << "\n";
  o << "secret " << a.secret << "\n";
  if (!a.heartbeatDir.empty()) o << "heartbeat-dir " << a.heartbeatDir << "\n";
  if (a.localSockets) o << "local-sockets 1\n";
  for (size_t i = 0; i < a.workers.size(); ++i) {
    if (a.workers[i].port <= 0) continue;  // a gap
    o << "worker " << i << " " << a.workers[i].host << " " << a.workers[i].port << "\n";
  }
  for (const auto& [start, w] : a.executorWorker) o << "executor " << start << " " << w << "\n";
  std::string text = o.str();
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  }
  fchmod(fd, 0600);
  ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()) || ::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
}

Assignment readAssignment(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read the assignment {}", path));
  Assignment a;
  std::string line;
  int lineNo = 0;
  auto bad = [&](const std::string& why) {
    return std::runtime_error(fmt::format("{}:{}: error: {}", path, lineNo, why));
  };
  std::map<int, WorkerAddress> workers;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty()) continue;
    std::istringstream s(line);
    std::string key;
    s >> key;
    if (lineNo == 1) {
      int version = 0;
      if (key != "squall-assignment" || !(s >> version) || version != 1) {
        throw bad("not a version 1 squall assignment");
      }
    } else if (key == "topology-id") {
      s >> a.topologyId;
    } else if (key == "secret") {
      s >> a.secret;
    } else if (key == "heartbeat-dir") {
      std::getline(s >> std::ws, a.heartbeatDir);
    } else if (key == "local-sockets") {
      int on = 0;
      if (!(s >> on) || (on != 0 && on != 1)) throw bad("expected 'local-sockets 0|1'");
      a.localSockets = on == 1;
    } else if (key == "worker") {
      int index;
      WorkerAddress w;
      if (!(s >> index >> w.host >> w.port) || index < 0 || index > kMaxWorkerIndex ||
          w.port <= 0 || w.port > 65535) {
        throw bad(
            fmt::format("expected 'worker INDEX HOST PORT' (INDEX at most {})", kMaxWorkerIndex));
      }
      if (!workers.emplace(index, w).second) throw bad(fmt::format("worker {} twice", index));
    } else if (key == "executor") {
      int start, w;
      if (!(s >> start >> w) || start < 1 || w < 0) throw bad("expected 'executor TASK INDEX'");
      a.executorWorker[start] = w;
    } else {
      throw bad("unknown entry '" + key + "'");
    }
  }
  if (lineNo == 0) throw bad("empty assignment");
  if (!workers.empty()) a.workers.resize(static_cast<size_t>(workers.rbegin()->first) + 1);
  for (const auto& [index, w] : workers) a.workers[static_cast<size_t>(index)] = w;
  for (const auto& [start, index] : a.executorWorker) {
    if (!a.hasWorker(index)) {
      throw std::runtime_error(
          fmt::format("{}: error: executor {} is given to worker {}, which has no 'worker' line",
                      path, start, index));
    }
  }
  if (a.topologyId.empty() || a.secret.size() < 32) throw bad("no topology id or secret");
  return a;
}

namespace {

struct Fnv {
  uint64_t h = 1469598103934665603ULL;
  void add(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;  // separator
  }
  void add(int64_t v) { add(std::to_string(v)); }
};

}  // namespace

uint64_t planFingerprint(const internal::TopologyPlan& plan) {
  Fnv f;
  f.add(static_cast<int64_t>(plan.numTasks()));
  for (const auto& [id, cp] : plan.components) {
    f.add(id);
    for (const auto& ep : cp.executors) {
      f.add(static_cast<int64_t>(ep.startTask));
      f.add(static_cast<int64_t>(ep.endTask));
    }
    for (const auto& [sid, info] : cp.streams) {
      f.add(sid);
      for (const auto& name : info.fields.toList()) f.add(name);
    }
  }
  return f.h;
}

}  // namespace squall::worker
