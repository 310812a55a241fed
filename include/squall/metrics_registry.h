#pragma once
// MetricsRegistry: the metrics a topology's tasks keep, keyed by (component, task, name), read
// by the reporters (Prometheus /metrics, statsd, the console, the UI, the metrics consumers).
// One per running topology (in each process, the tasks that process runs).
//
// Two sources:
// - Reported: a value pushed by name: the multilang `metrics` command (pystorm's report_metric,
//   storm.py's), and each bucket of a Storm 1 IMetric. The latest value, how many times it was
//   reported and when.
// - Registered (squall/metrics.h, through TopologyContext): Storm 2's counters, gauges,
//   histograms and meters, which the task updates lock-free and the registry reads when a
//   reporter asks; and Storm 1's IMetrics, which the task's executor reads every bucket.
//
// Threads: registration and reports take a mutex (prepare, a multilang message, a bucket), the
// counters' updates none. A gauge is called by the reader with the mutex held, so a gauge must
// not register metrics. Bounded: at most kMaxMetrics keys; a report for a new key beyond that
// is counted as dropped, a registration beyond it throws.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "squall/metrics.h"
#include "squall/value.h"

namespace squall {

enum class MetricKind { Reported, Counter, Gauge, Histogram, Meter };

const char* metricKindName(MetricKind k);

struct HistogramSummary {
  uint64_t count = 0;
  uint64_t sum = 0;
  uint64_t min = 0;
  uint64_t max = 0;
  double mean = 0;
  double p50 = 0, p75 = 0, p95 = 0, p98 = 0, p99 = 0, p999 = 0;
  // (bucket value, count) of every non-empty bucket, when the snapshot asked for them.
  std::vector<std::pair<double, uint64_t>> buckets;
};

struct MeterSummary {
  int64_t count = 0;
  double m1Rate = 0, m5Rate = 0, m15Rate = 0, meanRate = 0;  // per second
};

struct MetricSample {
  std::string component;
  int task = 0;
  std::string name;
  // Reported: the latest value; Counter: the count; Gauge: what it returned; Histogram and
  // Meter: the count (their shape is below).
  Value value;
  uint64_t updates = 0;  // Reported: how many times it was reported
  int64_t timeSecs = 0;  // Reported: when it was last reported (Unix time); else now
  MetricKind kind = MetricKind::Reported;
  HistogramSummary histogram;
  MeterSummary meter;
};

class MetricsRegistry {
 public:
  static constexpr size_t kMaxMetrics = 10000;

  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // A reported value (multilang `metrics`, a v1 bucket).
  void update(const std::string& component, int task, const std::string& name, Value value);

  // Registration: the same name again returns the same object (IllegalArgumentException when
  // it was registered as another kind). A gauge or IMetric registered again replaces the old.
  metrics::Counter& counter(const std::string& component, int task, const std::string& name);
  metrics::Histogram& histogram(const std::string& component, int task, const std::string& name);
  metrics::Meter& meter(const std::string& component, int task, const std::string& name);
  void gauge(const std::string& component, int task, const std::string& name, metrics::Gauge gauge);
  metrics::IMetric* v1(const std::string& component, int task, const std::string& name,
                       std::unique_ptr<metrics::IMetric> metric, int bucketSecs);

  // The task's IMetrics with this bucket size, for its executor thread to read and reset.
  std::vector<std::pair<std::string, metrics::IMetric*>> v1Metrics(int task, int bucketSecs) const;
  // Called once for each new (task, bucket size) of an IMetric, outside the mutex, so the
  // runtime can schedule that task's metrics ticks. Registrations made before the listener was
  // set are passed to it at once.
  void setIntervalListener(std::function<void(int task, int bucketSecs)> listener);
  // The task's instance is gone (restarted or cleaned up): drop what may point into it, its
  // gauges and IMetrics. Counters, histograms and meters stay for the next instance.
  void forgetInstance(int task);
  // The task's reported values that changed since the last call for this task (the data
  // points of its next metrics tick).
  std::vector<MetricSample> reportedSinceLastTick(int task);

  // Every metric, ordered by component, task and name. `buckets`: fill histograms' buckets.
  std::vector<MetricSample> snapshot(bool buckets = false) const;
  std::optional<MetricSample> find(const std::string& component, int task,
                                   const std::string& name) const;
  // Reports refused because the registry was full.
  uint64_t dropped() const;

 private:
  struct Entry;
  using Key = std::tuple<std::string, int, std::string>;
  Entry& entryFor(const std::string& component, int task, const std::string& name, MetricKind kind);
  MetricSample sampleOf(const Key& key, Entry& e, bool buckets, int64_t nowSecs) const;

  mutable std::mutex mu_;
  std::map<Key, std::unique_ptr<Entry>> metrics_;
  uint64_t dropped_ = 0;
  std::vector<std::pair<int, int>> intervals_;  // (task, bucket secs) of IMetrics, each once
  std::function<void(int, int)> intervalListener_;
};

}  // namespace squall
