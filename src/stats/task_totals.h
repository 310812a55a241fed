#pragma once
// TaskTotals: a copy of one task's counters (TaskStats) at one moment, as plain numbers, so
// that a window's figures are the difference of two copies. The vectors follow the order of
// the TaskStats maps, whose shapes are fixed once the task has started. Read on any thread
// (relaxed loads: each number is exact, the set of them is not one atomic snapshot).

#include <cstdint>
#include <vector>

#include "stats/task_stats.h"

namespace squall::internal {

// The figures Storm shows for one stream or input, summable across tasks and subtractable
// across time. Latencies are kept as (samples, total ns) so averages combine weighted.
struct Totals {
  uint64_t emitted = 0;
  uint64_t transferred = 0;
  uint64_t acked = 0;
  uint64_t failed = 0;
  uint64_t executed = 0;
  uint64_t executeSamples = 0;
  uint64_t executeNs = 0;
  uint64_t processSamples = 0;
  uint64_t processNs = 0;
  uint64_t completeSamples = 0;
  uint64_t completeNs = 0;

  Totals& operator+=(const Totals& o) {
    emitted += o.emitted;
    transferred += o.transferred;
    acked += o.acked;
    failed += o.failed;
    executed += o.executed;
    executeSamples += o.executeSamples;
    executeNs += o.executeNs;
    processSamples += o.processSamples;
    processNs += o.processNs;
    completeSamples += o.completeSamples;
    completeNs += o.completeNs;
    return *this;
  }
  // Counters only grow, but a racing read may see a later value in the older copy; clamp.
  Totals& operator-=(const Totals& o) {
    auto sub = [](uint64_t& a, uint64_t b) { a = a > b ? a - b : 0; };
    sub(emitted, o.emitted);
    sub(transferred, o.transferred);
    sub(acked, o.acked);
    sub(failed, o.failed);
    sub(executed, o.executed);
    sub(executeSamples, o.executeSamples);
    sub(executeNs, o.executeNs);
    sub(processSamples, o.processSamples);
    sub(processNs, o.processNs);
    sub(completeSamples, o.completeSamples);
    sub(completeNs, o.completeNs);
    return *this;
  }
  static double averageMs(uint64_t ns, uint64_t samples) {
    return samples ? static_cast<double>(ns) / 1e6 / static_cast<double>(samples) : 0.0;
  }
  double executeLatencyMs() const { return averageMs(executeNs, executeSamples); }
  double processLatencyMs() const { return averageMs(processNs, processSamples); }
  double completeLatencyMs() const { return averageMs(completeNs, completeSamples); }
};

struct TaskTotals {
  std::vector<Totals> outputs;  // TaskStats::outputs order; spout acks/fails merged in
  std::vector<Totals> inputs;   // TaskStats::inputs order
  uint64_t busyNs = 0;          // estimated time inside execute(), for capacity

  TaskTotals& operator-=(const TaskTotals& o) {
    for (size_t i = 0; i < outputs.size() && i < o.outputs.size(); ++i) outputs[i] -= o.outputs[i];
    for (size_t i = 0; i < inputs.size() && i < o.inputs.size(); ++i) inputs[i] -= o.inputs[i];
    busyNs = busyNs > o.busyNs ? busyNs - o.busyNs : 0;
    return *this;
  }
};

inline TaskTotals readTotals(const TaskStats& s) {
  TaskTotals t;
  t.outputs.reserve(s.outputs.size());
  for (const auto& [stream, o] : s.outputs) {
    Totals x;
    x.emitted = o.emitted.get();
    x.transferred = o.transferred.get();
    if (auto it = s.spoutStreams.find(stream); it != s.spoutStreams.end()) {
      x.acked = it->second.acked.get();
      x.failed = it->second.failed.get();
      x.completeSamples = it->second.completeLatency.samples.get();
      x.completeNs = it->second.completeLatency.totalNs.get();
    }
    t.outputs.push_back(x);
  }
  t.inputs.reserve(s.inputs.size());
  for (const auto& [key, in] : s.inputs) {
    Totals x;
    x.executed = in.executed.get();
    x.acked = in.acked.get();
    x.failed = in.failed.get();
    x.executeSamples = in.executeLatency.samples.get();
    x.executeNs = in.executeLatency.totalNs.get();
    x.processSamples = in.processLatency.samples.get();
    x.processNs = in.processLatency.totalNs.get();
    t.inputs.push_back(x);
  }
  t.busyNs = s.executeBusyNs.get();
  return t;
}

}  // namespace squall::internal
