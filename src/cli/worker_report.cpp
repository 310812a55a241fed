#include "cli/worker_report.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <map>

namespace squall::cli {

namespace {

using cluster::BoltStats;
using cluster::ExecutorRange;
using cluster::ExecutorStats;
using cluster::SpoutStats;
using cluster::StreamId;

// An executor's figures in one window, its tasks' summed (latencies weighted by samples).
struct Sums {
  std::map<std::string, internal::Totals> outputs;
  std::map<StreamId, internal::Totals> inputs;
};

int64_t count(uint64_t n) {
  return static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX));
}

}  // namespace

WorkerReporter::WorkerReporter(const internal::RunningTopology& topology)
    : topology_(topology),
      stats_(topology),
      sampleRate_(topology.plan().conf.getDouble(Config::TOPOLOGY_STATS_SAMPLE_RATE)) {}

void WorkerReporter::takeNewErrors() {
  uint64_t added = 0;
  std::vector<ReportedError> all = topology_.errors(&added);
  // all.back() is error number `added`; those after `seen_` are new.
  uint64_t fresh = std::min<uint64_t>(added - seen_, all.size());
  for (size_t i = all.size() - fresh; i < all.size(); ++i) {
    const ReportedError& e = all[i];
    kept_.push_back({added - (all.size() - 1 - i), e.component,
                     cluster::boundedErrorText(e.message), e.timeSecs});
    if (kept_.size() > cluster::kMaxReportErrors) kept_.pop_front();
  }
  seen_ = added;
}

cluster::WorkerReport WorkerReporter::report() {
  cluster::WorkerReport r;
  r.pid = getpid();
  takeNewErrors();
  r.errors.assign(kept_.begin(), kept_.end());

  stats_.sample();
  std::map<ExecutorRange, std::map<std::string, Sums>> byExecutor;  // -> window -> sums
  std::map<ExecutorRange, bool> spout;
  for (size_t w = 0; w < ui::kWindows.size(); ++w) {
    for (const ui::TaskSample& t : stats_.window(w)) {
      ExecutorRange e{t.executorStart, t.executorEnd};
      const auto* cp = topology_.plan().findComponent(t.component);
      spout[e] = cp && cp->kind == ComponentKind::Spout;
      Sums& s = byExecutor[e][ui::kWindows[w].param];
      for (size_t i = 0; i < t.totals.outputs.size() && i < t.outputStreams->size(); ++i) {
        s.outputs[(*t.outputStreams)[i]] += t.totals.outputs[i];
      }
      for (size_t i = 0; i < t.totals.inputs.size() && i < t.inputs->size(); ++i) {
        const auto& [component, stream] = (*t.inputs)[i];
        s.inputs[StreamId{component, stream}] += t.totals.inputs[i];
      }
    }
  }
  for (const auto& [e, windows] : byExecutor) {
    ExecutorStats x;
    x.rate = sampleRate_;
    SpoutStats so;
    BoltStats bo;
    for (const auto& [window, s] : windows) {
      for (const auto& [stream, t] : s.outputs) {
        x.emitted[window][stream] = count(t.emitted);
        x.transferred[window][stream] = count(t.transferred);
        so.acked[window][stream] = count(t.acked);
        so.failed[window][stream] = count(t.failed);
        so.completeMsAvg[window][stream] = t.completeLatencyMs();
      }
      for (const auto& [id, t] : s.inputs) {
        bo.acked[window][id] = count(t.acked);
        bo.failed[window][id] = count(t.failed);
        bo.processMsAvg[window][id] = t.processLatencyMs();
        bo.executed[window][id] = count(t.executed);
        bo.executeMsAvg[window][id] = t.executeLatencyMs();
      }
    }
    if (spout[e]) {
      x.specific = std::move(so);
    } else {
      x.specific = std::move(bo);
    }
    r.executorStats.emplace(e, std::move(x));
  }
  return r;
}

void WorkerReporter::write(const std::string& dir, int index) {
  if (dir.empty()) return;
  std::string json;
  try {
    cluster::WorkerReport r = report();
    json = cluster::toJson(r);
    if (json.size() > cluster::kMaxReportBytes) {
      if (!warnedSize_) {
        spdlog::warn(
            "worker {}: its statistics take {} bytes, more than a report's {}; reporting "
            "its errors without them",
            index, json.size(), cluster::kMaxReportBytes);
        warnedSize_ = true;
      }
      r.executorStats.clear();
      json = cluster::toJson(r);
    }
  } catch (const std::exception& e) {
    spdlog::warn("worker {}: cannot make its report: {}", index, e.what());
    return;
  }
  std::string path = fmt::format("{}/worker-{}.report", dir, index);
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  bool ok = f && std::fwrite(json.data(), 1, json.size(), f) == json.size();
  if (f && std::fclose(f) != 0) ok = false;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    spdlog::warn("worker {}: cannot write its report {}", index, path);
    std::remove(tmp.c_str());
  }
}

}  // namespace squall::cli
