#pragma once
// The JSON of Storm's UI REST API (storm.md 7.2), with Storm's paths' field names exactly, so
// tools written against Storm's UI (streamparse's `sparse stats`) read it unchanged. Pure
// functions of a TopologySnapshot: no threads, no sockets. Counts are numbers; latencies and
// capacity are strings with three decimals, as Storm's StatsUtil.floatStr writes them.

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "squall/local_cluster.h"
#include "squall/metrics_registry.h"
#include "topology/topology_plan.h"
#include "ui/topology_stats.h"

namespace squall::ui {

// A request the API refuses: rendered as Storm does, {"error": "<status> <reason>",
// "errorMessage": ...} with that HTTP status.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// What this process is, for the cluster, nimbus and supervisor summaries.
struct ServerInfo {
  std::string host;       // this machine's name
  int port = 0;           // the UI's port
  std::string version;    // Squall's version, reported as stormVersion
  double uptimeSecs = 0;  // since the UI started
  int64_t nowSecs = 0;    // Unix time, for errorLapsedSecs
};

// One topology at one moment. `plan` must outlive the rendering.
struct TopologySnapshot {
  const internal::TopologyPlan* plan = nullptr;
  std::string id;
  std::string name;
  std::string status;  // ACTIVE, INACTIVE, KILLED
  double uptimeSecs = 0;
  int tasksTotal = 0;
  int executorsTotal = 0;
  std::vector<internal::ExecutorPlan> executors;
  std::vector<ReportedError> errors;  // oldest first
  // index = kWindows index; filled for the windows the page needs (all four for a topology).
  std::array<std::vector<TaskSample>, 4> windows;
  bool actionsEnabled = true;
  // The tasks' metrics (MetricsRegistry::snapshot), for the component page; may be empty.
  std::vector<MetricSample> metrics;
  // Each executor's receive queue as it is now (approximate), for /metrics.
  struct Queue {
    internal::ExecutorPlan executor;
    bool local = true;  // false: a worker's stand-in for another worker's executor
    size_t depth = 0;
    size_t capacity = 0;
    bool backpressure = false;  // ReceiveQueue::backpressure()
    uint64_t backpressureEngaged = 0;
    bool peerBackpressure = false;  // a stand-in: Executor::peerBackPressure()
  };
  std::vector<Queue> queues;
};

// One partition of a Kafka spout task as the spout last saw it (for /lag and /metrics).
struct KafkaPartitionSample {
  std::string component;
  int task = 0;
  std::string topic;
  int partition = 0;
  int64_t committedOffset = -1;
  int64_t logEndOffset = -1;
  int64_t lag = -1;
  int64_t recordsEmitted = 0;
};

// ?window=: the kWindows index for a Storm window value; ApiError 400 for another value.
size_t parseWindow(const std::string& param);

std::string clusterSummaryJson(const ServerInfo& server,
                               const std::vector<TopologySnapshot>& topologies);
std::string nimbusSummaryJson(const ServerInfo& server);
std::string supervisorSummaryJson(const ServerInfo& server,
                                  const std::vector<TopologySnapshot>& topologies);
std::string topologySummaryJson(const ServerInfo& server,
                                const std::vector<TopologySnapshot>& topologies);
// `window`: kWindows index; `sys`: show system components and streams (__acker, __ack_*).
std::string topologyJson(const ServerInfo& server, const TopologySnapshot& t, size_t window,
                         bool sys);
// ApiError 404 when the topology has no such component.
std::string componentJson(const ServerInfo& server, const TopologySnapshot& t,
                          const std::string& component, size_t window, bool sys);
std::string visualizationJson(const ServerInfo& server, const TopologySnapshot& t, size_t window,
                              bool sys);
// One Kafka spout's lag as Storm's TopologySpoutLag reports it: its partitions (component and
// task unused), or why they could not be read.
struct SpoutLag {
  std::string spout;
  std::vector<KafkaPartitionSample> partitions;
  std::string error;  // set: Storm's errorInfo in place of spoutLagResult
};
// Storm's /lag: spoutId -> {spoutId, spoutType: "KAFKA", spoutLagResult: {topic: {partition:
// {consumerCommittedOffset, logHeadOffset, lag}}}} or, when the spout's lag could not be read,
// {spoutId, spoutType, errorInfo}.
std::string spoutLagJson(const std::vector<SpoutLag>& spouts);
// The same from the partitions a local run's spout tasks hold (merged per spout).
std::string lagJson(const TopologySnapshot& t, const std::vector<KafkaPartitionSample>& kafka);
// A configuration as a JSON object (Storm's /cluster/configuration), secrets redacted.
std::string configurationJson(const Config& conf);
// Whether a configuration key holds a secret the UI must not show (ZooKeeper auth payloads,
// passwords): its value is shown as Storm's redactValue writes it, kRedacted.
bool isSecretKey(std::string_view key);
inline constexpr const char* kRedacted = "########";
// The reply to a successful action.
std::string actionJson(const std::string& operation, const std::string& topologyId);
// {"error": "404 Not Found", "errorMessage": ...}.
std::string errorJson(int status, const std::string& message);
const char* statusReason(int status);

// Storm's prettyUptimeSec: "1d 2h 3m 4s" with leading zero units left out.
std::string prettyUptime(int64_t secs);

class JsonOut;
// The rows of a component page. Both sources write them here, so that `squall run --ui`
// (task counters) and `squall ui` (nimbus's ExecutorStats) cannot drift apart in Storm's
// field names.
struct RowFigures {
  int64_t emitted = 0;
  int64_t transferred = 0;
  int64_t acked = 0;
  int64_t failed = 0;
  int64_t executed = 0;
  double completeMs = 0;  // latencies, already averaged
  double executeMs = 0;
  double processMs = 0;
};
// {stream, emitted, transferred[, acked, failed, completeLatency for a spout]}
void writeOutputStatRow(JsonOut& j, const std::string& stream, const RowFigures& f, bool spout);
// {component, encodedComponentId, stream, executed, acked, failed, executeLatency, processLatency}
void writeInputStatRow(JsonOut& j, const std::string& component, const std::string& stream,
                       const RowFigures& f);
struct ExecutorPlace {
  std::string name;  // "[start-end]"
  int64_t uptimeSecs = 0;
  std::string host;
  int port = 0;
};
// One of executorStats: where it runs and its figures; a bolt's also has its capacity.
void writeExecutorRow(JsonOut& j, const ExecutorPlace& where, const RowFigures& f, bool spout,
                      double capacity);
// `s` with each invalid UTF-8 sequence replaced by U+FFFD, so the JSON stays valid.
std::string validUtf8(std::string_view s);

}  // namespace squall::ui
