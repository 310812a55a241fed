#pragma once
// TopologyPlan: a validated topology with everything derived from its definition: task ids,
// executors, declared streams, who consumes what. Built once at submit, immutable after, and
// shared by every task's TopologyContext and by the runtime. Knows nothing of threads.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "squall/component_registry.h"
#include "squall/config.h"
#include "squall/detail/tuple_data.h"
#include "squall/metrics_registry.h"
#include "squall/output_fields_declarer.h"
#include "squall/topology_builder.h"
#include "squall/topology_def.h"
#include "stats/child_processes.h"

namespace squall::internal {

inline constexpr const char* kAckerComponent = "__acker";
inline constexpr const char* kAckInitStream = "__ack_init";
inline constexpr const char* kAckAckStream = "__ack_ack";
inline constexpr const char* kAckFailStream = "__ack_fail";
inline constexpr const char* kAckResetTimeoutStream = "__ack_reset_timeout";

struct ExecutorPlan {
  std::string componentId;
  int startTask;
  int endTask;  // inclusive
};

struct Subscription {
  std::string consumer;
  GroupingDef grouping;
};

struct ComponentPlan {
  std::string id;
  ComponentKind kind = ComponentKind::Bolt;
  bool system = false;
  ComponentFactory factory;
  Values args;
  std::vector<int> tasks;  // ascending
  std::vector<ExecutorPlan> executors;
  std::map<std::string, StreamInfo> streams;                   // declared outputs
  std::map<std::string, std::vector<Subscription>> consumers;  // stream -> subscribers
  std::vector<InputDef> inputs;
  Config conf;  // topology conf merged with this component's own
  std::map<std::string, std::unique_ptr<StreamMeta>> streamMeta;  // per declared stream
};

class TopologyPlan {
 public:
  // Validates `topology` and derives the plan; InvalidTopologyException or ConfigError naming
  // the component, stream or key at fault.
  static std::shared_ptr<TopologyPlan> build(const std::string& name, const std::string& stormId,
                                             const Config& conf, const StormTopology& topology);

  const ComponentPlan& component(const std::string& id) const;
  const ComponentPlan* findComponent(const std::string& id) const;
  const std::string& componentOfTask(int taskId) const;
  int numTasks() const { return static_cast<int>(taskToComponent.size()) - 1; }
  bool ackingEnabled() const { return ackerTasks > 0; }

  std::string name;
  std::string stormId;
  Config conf;
  std::map<std::string, ComponentPlan> components;
  std::vector<std::string> taskToComponent;  // index = task id; [0] unused
  int ackerTasks = 0;
  std::string pidDir;
  std::string codeDir;
  // Set when the topology is being killed, so a component blocked in a call (a shell bolt
  // waiting for its in-flight window) can give up and let its executor stop.
  mutable std::atomic<bool> stopping{false};
  // What the tasks report by name (TopologyContext::reportMetric); read by the cluster.
  mutable MetricsRegistry metrics;
  // The multilang children its shell tasks run in this process (for /metrics).
  mutable ChildProcesses children;
};

// Storm's split: `tasks` into `executors` contiguous ranges, larger ones first.
std::vector<std::pair<int, int>> splitTasks(int firstTask, int tasks, int executors);

// Topology names must not contain '/', '.', ':' or '\'.
void validateTopologyName(const std::string& name);

}  // namespace squall::internal
