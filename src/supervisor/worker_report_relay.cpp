#include "supervisor/worker_report_relay.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "cluster/worker_report.h"

namespace squall::supervisor {

namespace {

// The whole file, or nullopt when it is missing; at most one byte past the report's bound, so
// an oversized file is read bounded and then refused by the decoder.
std::optional<std::string> readBounded(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data(cluster::kMaxReportBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

}  // namespace

void relayWorkerReport(cluster::ClusterState& state, const std::string& slotDir, int index,
                       const std::string& host, int port, cluster::WorkerHeartbeat& hb) {
  std::string path = fmt::format("{}/worker-{}.report", slotDir, index);
  auto data = readBounded(path);
  if (!data) return;
  cluster::WorkerReport report;
  try {
    report = cluster::workerReportFromJson(*data, path);
  } catch (const std::exception& e) {
    spdlog::warn("supervisor: ignoring the report of the worker on port {}: {}", port, e.what());
    return;
  }
  std::set<cluster::ExecutorRange> mine(hb.executors.begin(), hb.executors.end());
  for (auto& [e, s] : report.executorStats) {
    if (mine.count(e)) hb.executorStats.emplace(e, std::move(s));
  }

  std::string marker = fmt::format("{}/worker-{}.relayed", slotDir, index);
  int64_t relayedPid = 0;
  uint64_t relayedSeq = 0;
  {
    std::ifstream in(marker);
    if (!(in >> relayedPid >> relayedSeq)) relayedPid = 0;
  }
  if (relayedPid != report.pid) relayedSeq = 0;  // another worker process: its numbers restart
  uint64_t done = relayedSeq;
  for (const auto& e : report.errors) {
    if (e.seq <= relayedSeq) continue;
    try {
      state.reportError(hb.stormId, e.component,
                        cluster::ErrorInfo{e.error, e.timeSecs, host, port});
      done = e.seq;
    } catch (const std::exception& x) {
      spdlog::warn("supervisor: cannot report an error of {} (port {}): {}", e.component, port,
                   x.what());
      break;
    }
  }
  if (done == relayedSeq && relayedPid == report.pid) return;
  std::string tmp = marker + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << report.pid << " " << done << "\n";
  }
  std::rename(tmp.c_str(), marker.c_str());
}

}  // namespace squall::supervisor
