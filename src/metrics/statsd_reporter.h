#pragma once
// StatsdReporter (squall.metrics.StatsdReporter): every period, the registry's metrics as statsd
// lines over UDP, several lines per datagram (at most 1432 bytes, so one fits a typical MTU).
// Keys: `<prefix>.<topology>.<component>.<task>.<name>` (dots in the topology and component
// ids become `_`, as Storm does for its metric names; `:`, `|`, `@` and newlines in the name,
// which would break a line, become `_`). Counters send what they gained since the last report
// (`|c`); gauges and reported values their value (`|g`, a map one line per numeric key);
// histograms the values recorded since the last report as timers (`|ms`, at most 200 lines a
// histogram a period, with statsd's sample rate `|@r` when there were more); meters the marks
// since the last report (`|c`) and their 1/5/15-minute rates (`.m1_rate|g`...).
// Owned by the MetricsReporters thread; report() is not thread-safe.

#include <map>
#include <string>
#include <vector>

#include "metrics/metrics_config.h"
#include "squall/metrics_registry.h"

namespace squall::metrics {

class StatsdReporter {
 public:
  // Resolves the host; std::runtime_error naming host and port when it cannot.
  StatsdReporter(const ReporterSpec& spec, std::string topology);
  ~StatsdReporter();
  StatsdReporter(const StatsdReporter&) = delete;
  StatsdReporter& operator=(const StatsdReporter&) = delete;

  void report(const std::vector<MetricSample>& samples);
  // The lines one report makes, without sending them (for tests).
  std::vector<std::string> lines(const std::vector<MetricSample>& samples);

 private:
  void send(const std::vector<std::string>& lines);
  std::string key(const MetricSample& s) const;

  ReporterSpec spec_;
  std::string topology_;
  int fd_ = -1;
  std::vector<unsigned char> addr_;  // the resolved sockaddr
  // What counters, meters and histogram buckets were at the last report, by key.
  std::map<std::string, int64_t> lastCounts_;
  std::map<std::string, std::map<double, uint64_t>> lastBuckets_;
};

}  // namespace squall::metrics
