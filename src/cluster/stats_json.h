#pragma once
// The JSON form of executors' statistics (executor_stats.h), shared by the worker heartbeat's
// node data (cluster_json.cpp) and the worker's report file (worker_report.h). Internal to
// src/cluster (it exposes RapidJSON).
//
//   [[start_task, end_task, {"emitted": {WINDOW: {STREAM: n}}, "transferred": {...},
//     "rate": r, "spout": {"acked": ..., "failed": ..., "complete_ms_avg": ...}}], ...]
//   a bolt's "bolt": {"acked": {WINDOW: [[COMPONENT, STREAM, n], ...]}, "failed", "executed",
//     "process_ms_avg", "execute_ms_avg"}
//
// Decoding accepts only Storm's four windows, at most kMaxStatExecutors executors and
// kMaxStatKeys streams per window, non-negative counts and finite non-negative averages.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <string>

#include "cluster/cluster_state.h"

namespace squall::cluster {

inline constexpr size_t kMaxStatExecutors = 10000;
inline constexpr size_t kMaxStatKeys = 1000;

void writeExecutorStats(rapidjson::Writer<rapidjson::StringBuffer>& w,
                        const std::map<ExecutorRange, ExecutorStats>& stats);
// `v` is the list above; `where` names the node or file and the field in errors.
std::map<ExecutorRange, ExecutorStats> readExecutorStats(const rapidjson::Value& v,
                                                         const std::string& where);

}  // namespace squall::cluster
