#include "worker/worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace squall::worker {

Worker::Worker(Assignment assignment, int index, const std::string& name, const Config& conf,
               const StormTopology& topology)
    : assignment_(std::move(assignment)), index_(index) {
  if (!assignment_.hasWorker(index_)) {
    throw std::runtime_error(fmt::format("worker index {} is not in the assignment ({} workers)",
                                         index_, assignment_.numWorkers()));
  }
  internal::Placement placement;
  placement.local = [this](const internal::ExecutorPlan& ep) {
    return assignment_.workerOf(ep.startTask) == index_;
  };
  placement.remote = [this](internal::TopologyRuntime& rt, const internal::ExecutorPlan& ep,
                            size_t i, size_t count) {
    return transport_->makeRemoteExecutor(rt, ep, i, count);
  };
  topology_ = std::make_unique<internal::RunningTopology>(name, assignment_.topologyId, conf,
                                                          topology, std::move(placement));
  assignment_.checkCovers(topology_->plan());
  transport_ = std::make_unique<Transport>(assignment_, index_, topology_->runtime());
}

Worker::~Worker() {
  if (!stopped_) stop(0);
}

void Worker::start(double connectTimeoutSecs) {
  transport_->listen();
  topology_->start(/*activateNow=*/false);
  transport_->start();
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(connectTimeoutSecs * 1000));
  while (!transport_->allConnected() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!transport_->allConnected()) {
    spdlog::warn(
        "worker {}: not every worker is reachable after {} s; starting anyway (tuples "
        "for the missing ones are dropped and replayed)",
        index_, connectTimeoutSecs);
  }
  transport_->endStartup();
  topology_->activate();
  spdlog::info("worker {} running", index_);
}

void Worker::stop(int waitSecs) {
  if (stopped_) return;
  stopped_ = true;
  topology_->deactivate();
  if (waitSecs > 0) std::this_thread::sleep_for(std::chrono::seconds(waitSecs));
  transport_->stop();
  topology_->kill(0);
  topology_.reset();
}

std::string Worker::reassign(const Assignment& next) {
  std::string why = transport_->reassign(next);
  if (why.empty()) assignment_ = next;
  return why;
}

bool Worker::reloadAssignment(const std::string& path) {
  Assignment next;
  try {
    next = readAssignment(path);
  } catch (const std::exception& e) {
    spdlog::error("worker {}: keeping its assignment: {}", index_, e.what());
    return true;
  }
  std::string why = reassign(next);
  if (!why.empty()) {
    spdlog::error(
        "worker {}: cannot follow the new assignment {} while running: {}; stopping "
        "to be restarted",
        index_, path, why);
    return false;
  }
  spdlog::info("worker {}: assignment {} read again", index_, path);
  return true;
}

void Worker::heartbeat() const {
  if (assignment_.heartbeatDir.empty()) return;
  TransportStats s = transport_->stats();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::string path = fmt::format("{}/worker-{}.heartbeat", assignment_.heartbeatDir, index_);
  std::string tmp = path + ".tmp";
  if (FILE* f = std::fopen(tmp.c_str(), "w")) {
    std::fprintf(f, "time_ms=%lld pid=%d sent=%llu received=%llu dropped=%llu refused=%llu\n",
                 static_cast<long long>(ms), static_cast<int>(getpid()),
                 static_cast<unsigned long long>(s.sentTuples),
                 static_cast<unsigned long long>(s.receivedTuples),
                 static_cast<unsigned long long>(s.droppedTuples),
                 static_cast<unsigned long long>(s.refusedConnections));
    std::fclose(f);
    std::rename(tmp.c_str(), path.c_str());
  }
}

}  // namespace squall::worker
