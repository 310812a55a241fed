#include "metrics/metrics_reporters.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "metrics/statsd_reporter.h"

namespace squall::metrics {

namespace {

// Storm's ConsoleStormReporter prints Dropwizard's console report; one log line a metric here.
void consoleReport(const std::string& topology, const std::vector<MetricSample>& samples) {
  for (const auto& s : samples) {
    std::string what;
    switch (s.kind) {
      case MetricKind::Histogram: {
        const auto& h = s.histogram;
        what = fmt::format(
            "count={} min={} max={} mean={:.2f} p50={} p75={} p95={} p98={} "
            "p99={} p999={}",
            h.count, h.min, h.max, h.mean, h.p50, h.p75, h.p95, h.p98, h.p99, h.p999);
        break;
      }
      case MetricKind::Meter: {
        const auto& m = s.meter;
        what = fmt::format(
            "count={} mean_rate={:.2f} m1_rate={:.2f} m5_rate={:.2f} "
            "m15_rate={:.2f} (per second)",
            m.count, m.meanRate, m.m1Rate, m.m5Rate, m.m15Rate);
        break;
      }
      default:
        what = fmt::format("{}={}", s.kind == MetricKind::Counter ? "count" : "value",
                           s.value.toString());
    }
    spdlog::info("metrics: topology '{}' component '{}' task {} {} '{}': {}", topology, s.component,
                 s.task, metricKindName(s.kind), s.name, what);
  }
}

}  // namespace

struct MetricsReporters::Running {
  ReporterSpec spec;
  std::unique_ptr<StatsdReporter> statsd;
  std::chrono::steady_clock::time_point next;
};

MetricsReporters::MetricsReporters(std::vector<ReporterSpec> specs, std::string topology,
                                   const MetricsRegistry& registry)
    : specs_(std::move(specs)), topology_(std::move(topology)), registry_(registry) {
  for (const auto& spec : specs_) {
    auto r = std::make_unique<Running>();
    r->spec = spec;
    if (spec.kind == ReporterKind::Statsd) {
      r->statsd = std::make_unique<StatsdReporter>(spec, topology_);
    }
    running_.push_back(std::move(r));
  }
}

MetricsReporters::~MetricsReporters() {
  stop();
}

void MetricsReporters::start() {
  if (running_.empty()) return;
  auto now = std::chrono::steady_clock::now();
  for (auto& r : running_) {
    if (r->statsd) {
      spdlog::info("topology '{}': statsd reporter to {}:{} every {} ms, prefix '{}'", topology_,
                   r->spec.host, r->spec.port, r->spec.periodMs, r->spec.prefix);
    }
    r->next = now + std::chrono::milliseconds(r->spec.periodMs);
  }
  thread_ = std::thread([this] { run(); });
}

void MetricsReporters::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& r : running_) reportOne(*r);  // what the last period gained
  running_.clear();
}

void MetricsReporters::reportOne(Running& r) {
  try {
    auto samples = registry_.snapshot(r.statsd != nullptr);
    if (r.statsd) {
      r.statsd->report(samples);
    } else {
      consoleReport(topology_, samples);
    }
  } catch (const std::exception& e) {
    spdlog::warn("topology '{}': metrics reporter {} failed: {}", topology_, r.spec.className,
                 e.what());
  }
}

void MetricsReporters::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    auto wake = now + std::chrono::hours(1);
    for (auto& r : running_) {
      if (r->next <= now) {
        lock.unlock();
        reportOne(*r);
        lock.lock();
        while (r->next <= now) r->next += std::chrono::milliseconds(r->spec.periodMs);
      }
      wake = std::min(wake, r->next);
    }
    cv_.wait_until(lock, wake, [this] { return stop_; });
  }
}

}  // namespace squall::metrics
