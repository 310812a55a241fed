#pragma once
// DebugSampling: Storm's topology debug switch at run time (`topology.debug`, and the UI's
// POST .../debug/enable|disable/:percent for the topology or one component): whether, and for
// what share of calls, the tracing decorators of `squall run` (flux/debug_tracing.h) log
// emits, acks and executes. A component's own setting wins over the topology's. One per
// process (one topology per squall process); the decorators read it lock-free on each call.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace squall::logs {

// Storm's DebugOptions (storm.thrift; StormBase.component_debug): a cluster's debug switch for
// a topology (under its id) or one component, as nimbus keeps it in /debugoptions/ID and the
// supervisor hands it to the topology's workers.
struct DebugOption {
  bool enable = false;
  double samplingPct = 0;
  bool operator==(const DebugOption&) const = default;
};
using DebugOptions = std::map<std::string, DebugOption>;
// {"KEY": {"enable": true, "samplingpct": 10}, ...}
std::string debugOptionsToJson(const DebugOptions& options);
// std::invalid_argument naming the key and field on malformed input.
DebugOptions debugOptionsFromJson(std::string_view json);

class DebugSampling {
 public:
  static constexpr int kUnset = -1;

  static DebugSampling& global();

  // percent is clamped to 0..100; disabled is 0.
  void setTopology(bool enabled, double percent);
  void setComponent(const std::string& component, bool enabled, double percent);
  // The component follows the topology's setting again.
  void unsetComponent(const std::string& component);
  // The slot a traced task of `component` reads; valid for the process's life.
  const std::atomic<int>* slot(const std::string& component);
  // Whether to trace this call of a task reading `slot`.
  bool sample(const std::atomic<int>* slot);
  // What the UI shows: the percentage in effect for the topology or a component (0: off).
  int topologyPercent() const { return topology_.load(std::memory_order_relaxed); }
  int componentPercent(const std::string& component);

  // A cluster's options (debugOptionsFromJson) for the topology `topologyId`: its own entry
  // sets the topology's sampling, every other one its component's; keys absent keep what the
  // configuration (topology.debug) set.
  void apply(const DebugOptions& options, const std::string& topologyId);

  // For tests: everything off.
  void clear();

 private:
  std::atomic<int>& entry(const std::string& component);

  std::atomic<int> topology_{0};
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<std::atomic<int>>> components_;
};

}  // namespace squall::logs
