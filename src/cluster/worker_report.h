#pragma once
// WorkerReport: what a `squall worker` hands its supervisor beside its heartbeat file: its
// executors' statistics and the errors its components reported lately. The worker writes
// heartbeat-dir/worker-INDEX.report (src/cli/worker_report.h) before each heartbeat; the
// supervisor reads it (src/supervisor/worker_report_relay.h), puts the statistics in the
// worker's heartbeat in ZooKeeper and each new error under /errors, as Storm's workers do
// themselves. Errors carry the worker's own sequence numbers, so the supervisor relays each
// once; `pid` tells a restarted worker (whose numbers start again) apart.
//
// Bounded both ways: a report is at most kMaxReportBytes of JSON, an error's text at most
// kMaxErrorChars (longer ones are cut, saying so), at most kMaxReportErrors errors; decoding
// rejects anything else with a ClusterStateError naming the file and the field.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"

namespace squall::cluster {

struct ReportedComponentError {
  uint64_t seq = 0;  // 1, 2, ... in the order the worker's components reported them
  std::string component;
  std::string error;
  int64_t timeSecs = 0;
  bool operator==(const ReportedComponentError&) const = default;
};

struct WorkerReport {
  int64_t pid = 0;
  std::map<ExecutorRange, ExecutorStats> executorStats;
  std::vector<ReportedComponentError> errors;  // oldest first
  bool operator==(const WorkerReport&) const = default;
};

inline constexpr size_t kMaxReportBytes = 1 << 20;
inline constexpr size_t kMaxErrorChars = 16 * 1024;
inline constexpr size_t kMaxReportErrors = 20;

// An error's text as kept: at most kMaxErrorChars, the cut marked.
std::string boundedErrorText(const std::string& text);

std::string toJson(const WorkerReport& v);
WorkerReport workerReportFromJson(const std::string& json, const std::string& where);

}  // namespace squall::cluster
