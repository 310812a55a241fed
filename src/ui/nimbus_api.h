#pragma once
// The JSON of Storm's UI REST API for a cluster, from what nimbus's Thrift API returns
// (getClusterInfo, getTopologyInfo, getTopology, getTopologyConf), with the same paths'
// field names as storm_api.h writes for a local topology (storm.md 7.2). Statistics come from
// each ExecutorSummary's Storm ExecutorStats, keyed by Storm's window names ("600", "10800",
// "86400", ":all-time"), summed as Storm's StatsUtil does: counts added, latencies weighted by
// their counts (complete latency by acked, execute and process latency by executed), a bolt
// executor's capacity from its 10-minute window, a component's the largest of its executors'.
// Pure functions: no threads, no sockets (nimbus_source.h asks nimbus).

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/prometheus_text.h"
#include "storm_thrift/storm_types.h"
#include "ui/log_config_api.h"
#include "ui/storm_api.h"

namespace squall::ui::nimbusapi {

// The figures of one executor, component, stream or topology in one window.
struct Figures {
  int64_t emitted = 0;
  int64_t transferred = 0;
  int64_t acked = 0;
  int64_t failed = 0;
  int64_t executed = 0;
  double completeMsTotal = 0;  // Σ complete_ms_avg × acked
  double executeMsTotal = 0;   // Σ execute_ms_avg × executed
  double processMsTotal = 0;   // Σ process_ms_avg × executed
  double completeLatencyMs() const { return acked > 0 ? completeMsTotal / acked : 0; }
  double executeLatencyMs() const { return executed > 0 ? executeMsTotal / executed : 0; }
  double processLatencyMs() const { return executed > 0 ? processMsTotal / executed : 0; }
  Figures& operator+=(const Figures& o);
};

// Everything nimbus says about one topology that its pages show.
struct TopologyData {
  storm::TopologyInfo info;
  storm::StormTopology topology;  // getTopology: the system components too
  std::string conf;               // getTopologyConf, JSON
  int workers = 0;                // the TopologySummary's num_workers
  std::vector<storm::SupervisorSummary> supervisors;
  bool actionsEnabled = true;
};

// Storm's "__" names: system components and streams, hidden unless ?sys=1.
bool isSystemName(const std::string& s);

// One executor in `window` (Storm's name: "600", ..., ":all-time"); an executor without stats
// (its worker has not reported yet) gives zeros. `sys`: count system streams and inputs too.
Figures executorFigures(const storm::ExecutorSummary& e, const std::string& window, bool sys);
// Storm's executor capacity: executed × execute latency in the 10-minute window, over
// min(uptime, 600) s; 0 for a spout or an executor without stats.
double executorCapacity(const storm::ExecutorSummary& e);
// Every executor of `component`, summed.
Figures componentFigures(const storm::TopologyInfo& info, const std::string& component,
                         const std::string& window, bool sys);

std::string clusterSummaryJson(const ServerInfo& server, const storm::ClusterSummary& c);
// Nimbus's nimbuses (Leader, Not a Leader), then each of `seeds` (host:port) none of them
// is, as Storm's UI lists a seed with no live nimbus: Offline.
std::string nimbusSummaryJson(const storm::ClusterSummary& c,
                              const std::vector<std::pair<std::string, int>>& seeds = {});
std::string supervisorSummaryJson(const storm::ClusterSummary& c);
std::string topologySummaryJson(const storm::ClusterSummary& c);
// getNimbusConf's JSON as Storm's /cluster/configuration; ApiError 500 when it is not a JSON
// object.
std::string configurationJson(const std::string& nimbusConf);
// `window`: kWindows index.
std::string topologyJson(const ServerInfo& server, const TopologyData& t, size_t window, bool sys);
// ApiError 404 when the topology has no such component.
std::string componentJson(const ServerInfo& server, const TopologyData& t,
                          const std::string& component, size_t window, bool sys);
std::string visualizationJson(const TopologyData& t, size_t window, bool sys);
// Storm's logconfig page from nimbus's getLogConfig (the same fields as a local run's).
std::string logConfigJson(const storm::LogConfig& config);
// A POST's changes as Storm's UI hands them to setLogConfig: a target level is an UPDATE with
// its timeout, none a REMOVE.
storm::LogConfig logConfigRequest(const std::vector<LogConfigChange>& changes);
// /metrics of `squall ui`: the cluster's gauges in Prometheus text (supervisors, slots, each
// topology's uptime, status, workers, executors, tasks); the executors' own figures are on
// the workers.
std::string prometheusText(const storm::ClusterSummary& c);
// The same families added to `out` (nimbus's own /metrics adds its process's beside them).
void prometheusText(const storm::ClusterSummary& c, metrics::PrometheusText& out);

}  // namespace squall::ui::nimbusapi
