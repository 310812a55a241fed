#pragma once
// MetricsReporters: the `topology.metrics.reporters` of one running topology, each reading the
// topology's MetricsRegistry every report.period on one thread of their own, so nothing of
// theirs runs on an executor thread. The constructor resolves (std::runtime_error naming the
// reporter when one cannot work: an unresolvable statsd host), start() starts the thread,
// stop() joins it and makes a last report. Owned by RunningTopology, which stops it after its
// executors.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/metrics_config.h"
#include "squall/metrics_registry.h"

namespace squall::metrics {

class MetricsReporters {
 public:
  MetricsReporters(std::vector<ReporterSpec> specs, std::string topology,
                   const MetricsRegistry& registry);
  ~MetricsReporters();
  MetricsReporters(const MetricsReporters&) = delete;
  MetricsReporters& operator=(const MetricsReporters&) = delete;

  void start();
  void stop();

 private:
  struct Running;
  void run();
  void reportOne(Running& r);

  std::vector<ReporterSpec> specs_;
  std::string topology_;
  const MetricsRegistry& registry_;
  std::vector<std::unique_ptr<Running>> running_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace squall::metrics
