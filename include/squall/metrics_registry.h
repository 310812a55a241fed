#pragma once
// MetricsRegistry: the metrics a topology's tasks report by name (today the multilang `metrics`
// command: pystorm's report_metric, storm.py's), keyed by (component, task, metric name), each
// with its latest value, how many times it was reported and when. Reporters (Prometheus,
// statsd) read snapshots. One per running topology. Any thread.
// Bounded: at most kMaxMetrics keys; a report for a new key beyond that is counted as dropped.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "squall/value.h"

namespace squall {

struct MetricSample {
  std::string component;
  int task = 0;
  std::string name;
  Value value;           // the latest value reported
  uint64_t updates = 0;  // how many times it was reported
  int64_t timeSecs = 0;  // when it was last reported (Unix time)
};

class MetricsRegistry {
 public:
  static constexpr size_t kMaxMetrics = 10000;

  void update(const std::string& component, int task, const std::string& name, Value value);
  // Every metric, ordered by component, task and name.
  std::vector<MetricSample> snapshot() const;
  std::optional<MetricSample> find(const std::string& component, int task,
                                   const std::string& name) const;
  // Reports refused because the registry was full.
  uint64_t dropped() const;

 private:
  using Key = std::tuple<std::string, int, std::string>;
  mutable std::mutex mu_;
  std::map<Key, MetricSample> metrics_;
  uint64_t dropped_ = 0;
};

}  // namespace squall
