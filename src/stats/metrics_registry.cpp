#include "squall/metrics_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "squall/errors.h"

namespace squall {

namespace {

int64_t unixSecs() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Dropwizard's EWMA: ticked every 5 s, alpha = 1 - e^(-5 s / window).
constexpr int64_t kTickNs = 5'000'000'000;
double alpha(double minutes) {
  return 1.0 - std::exp(-5.0 / 60.0 / minutes);
}

}  // namespace

const char* metricKindName(MetricKind k) {
  switch (k) {
    case MetricKind::Reported:
      return "reported";
    case MetricKind::Counter:
      return "counter";
    case MetricKind::Gauge:
      return "gauge";
    case MetricKind::Histogram:
      return "histogram";
    case MetricKind::Meter:
      return "meter";
  }
  return "metric";
}

struct MetricsRegistry::Entry {
  MetricKind kind = MetricKind::Reported;
  // Reported
  Value value;
  uint64_t updates = 0;
  uint64_t updatesAtTick = 0;
  int64_t timeSecs = 0;
  // Registered
  std::unique_ptr<metrics::Counter> counter;
  std::unique_ptr<metrics::Histogram> histogram;
  std::unique_ptr<metrics::Meter> meter;
  metrics::Gauge gauge;
  std::unique_ptr<metrics::IMetric> v1;
  int bucketSecs = 0;
  // A meter's rates, advanced by readers (under the registry's mutex).
  int64_t startNs = 0, lastTickNs = 0, lastCount = 0;
  double rates[3] = {0, 0, 0};
  bool ratesStarted = false;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

void MetricsRegistry::update(const std::string& component, int task, const std::string& name,
                             Value value) {
  int64_t now = unixSecs();
  std::lock_guard lock(mu_);
  Key key{component, task, name};
  auto it = metrics_.find(key);
  if (it == metrics_.end()) {
    if (metrics_.size() >= kMaxMetrics) {
      ++dropped_;
      return;
    }
    it = metrics_.emplace(std::move(key), std::make_unique<Entry>()).first;
  }
  Entry& e = *it->second;
  if (e.kind != MetricKind::Reported) {
    ++dropped_;  // the name is a registered metric of this task; a report cannot replace it
    return;
  }
  e.value = std::move(value);
  e.updates++;
  e.timeSecs = now;
}

MetricsRegistry::Entry& MetricsRegistry::entryFor(const std::string& component, int task,
                                                  const std::string& name, MetricKind kind) {
  Key key{component, task, name};
  auto it = metrics_.find(key);
  if (it != metrics_.end()) {
    if (it->second->kind != kind) {
      throw IllegalArgumentException(
          fmt::format("component '{}' task {}: metric '{}' is already a {}, not a {}", component,
                      task, name, metricKindName(it->second->kind), metricKindName(kind)));
    }
    return *it->second;
  }
  if (metrics_.size() >= kMaxMetrics) {
    throw SquallError(
        fmt::format("component '{}' task {}: cannot register metric '{}': the topology already "
                    "has {} metrics",
                    component, task, name, kMaxMetrics));
  }
  auto e = std::make_unique<Entry>();
  e->kind = kind;
  return *metrics_.emplace(std::move(key), std::move(e)).first->second;
}

metrics::Counter& MetricsRegistry::counter(const std::string& component, int task,
                                           const std::string& name) {
  std::lock_guard lock(mu_);
  Entry& e = entryFor(component, task, name, MetricKind::Counter);
  if (!e.counter) e.counter = std::make_unique<metrics::Counter>();
  return *e.counter;
}

metrics::Histogram& MetricsRegistry::histogram(const std::string& component, int task,
                                               const std::string& name) {
  std::lock_guard lock(mu_);
  Entry& e = entryFor(component, task, name, MetricKind::Histogram);
  if (!e.histogram) e.histogram = std::make_unique<metrics::Histogram>();
  return *e.histogram;
}

metrics::Meter& MetricsRegistry::meter(const std::string& component, int task,
                                       const std::string& name) {
  std::lock_guard lock(mu_);
  Entry& e = entryFor(component, task, name, MetricKind::Meter);
  if (!e.meter) {
    e.meter = std::make_unique<metrics::Meter>();
    e.startNs = e.lastTickNs = steadyNs();
  }
  return *e.meter;
}

void MetricsRegistry::gauge(const std::string& component, int task, const std::string& name,
                            metrics::Gauge gauge) {
  if (!gauge) throw IllegalArgumentException(fmt::format("gauge '{}' has no function", name));
  std::lock_guard lock(mu_);
  entryFor(component, task, name, MetricKind::Gauge).gauge = std::move(gauge);
}

metrics::IMetric* MetricsRegistry::v1(const std::string& component, int task,
                                      const std::string& name,
                                      std::unique_ptr<metrics::IMetric> metric, int bucketSecs) {
  if (!metric) throw IllegalArgumentException(fmt::format("metric '{}' is null", name));
  if (bucketSecs < 1) {
    throw IllegalArgumentException(fmt::format(
        "metric '{}': timeBucketSizeInSecs must be at least 1, got {}", name, bucketSecs));
  }
  std::function<void(int, int)> notify;
  metrics::IMetric* out = nullptr;
  {
    std::lock_guard lock(mu_);
    // A name reported before (multilang) may become an IMetric; a registered kind may not.
    Entry& e = entryFor(component, task, name, MetricKind::Reported);
    e.v1 = std::move(metric);
    e.bucketSecs = bucketSecs;
    out = e.v1.get();
    std::pair<int, int> interval{task, bucketSecs};
    if (std::find(intervals_.begin(), intervals_.end(), interval) == intervals_.end()) {
      intervals_.push_back(interval);
      notify = intervalListener_;
    }
  }
  if (notify) notify(task, bucketSecs);
  return out;
}

std::vector<std::pair<std::string, metrics::IMetric*>> MetricsRegistry::v1Metrics(
    int task, int bucketSecs) const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, metrics::IMetric*>> out;
  for (const auto& [key, e] : metrics_) {
    if (std::get<1>(key) == task && e->v1 && e->bucketSecs == bucketSecs) {
      out.emplace_back(std::get<2>(key), e->v1.get());
    }
  }
  return out;
}

void MetricsRegistry::setIntervalListener(std::function<void(int, int)> listener) {
  std::vector<std::pair<int, int>> known;
  {
    std::lock_guard lock(mu_);
    intervalListener_ = listener;
    known = intervals_;
  }
  if (listener) {
    for (auto [task, secs] : known) listener(task, secs);
  }
}

void MetricsRegistry::forgetInstance(int task) {
  std::lock_guard lock(mu_);
  for (auto& [key, e] : metrics_) {
    if (std::get<1>(key) != task) continue;
    e->gauge = nullptr;
    e->v1.reset();
  }
  std::erase_if(metrics_, [&](const auto& kv) {
    return std::get<1>(kv.first) == task && kv.second->kind == MetricKind::Gauge;
  });
}

std::vector<MetricSample> MetricsRegistry::reportedSinceLastTick(int task) {
  std::lock_guard lock(mu_);
  std::vector<MetricSample> out;
  int64_t now = unixSecs();
  for (auto& [key, e] : metrics_) {
    if (std::get<1>(key) != task || e->kind != MetricKind::Reported || e->v1) continue;
    if (e->updates == e->updatesAtTick) continue;
    e->updatesAtTick = e->updates;
    out.push_back(sampleOf(key, *e, false, now));
  }
  return out;
}

MetricSample MetricsRegistry::sampleOf(const Key& key, Entry& e, bool buckets,
                                       int64_t nowSecs) const {
  MetricSample s;
  s.component = std::get<0>(key);
  s.task = std::get<1>(key);
  s.name = std::get<2>(key);
  s.kind = e.kind;
  s.timeSecs = nowSecs;
  switch (e.kind) {
    case MetricKind::Reported:
      s.value = e.value;
      s.updates = e.updates;
      s.timeSecs = e.timeSecs;
      break;
    case MetricKind::Counter:
      s.value = Value(e.counter->getCount());
      break;
    case MetricKind::Gauge:
      try {
        if (e.gauge) s.value = e.gauge();
      } catch (const std::exception&) {
        s.value = Value();  // a gauge that throws reports nothing this time
      }
      break;
    case MetricKind::Histogram: {
      const metrics::Histogram& h = *e.histogram;
      HistogramSummary& out = s.histogram;
      uint64_t counts[metrics::Histogram::kBuckets];
      uint64_t total = 0;
      for (int i = 0; i < metrics::Histogram::kBuckets; ++i) total += counts[i] = h.bucketCount(i);
      out.count = total;
      out.sum = h.sum();
      out.min = total ? h.min() : 0;
      out.max = h.max();
      out.mean = total ? static_cast<double>(out.sum) / static_cast<double>(total) : 0;
      std::pair<double, double*> qs[] = {{0.5, &out.p50},  {0.75, &out.p75}, {0.95, &out.p95},
                                         {0.98, &out.p98}, {0.99, &out.p99}, {0.999, &out.p999}};
      size_t q = 0;
      uint64_t seen = 0;
      for (int i = 0; i < metrics::Histogram::kBuckets && total; ++i) {
        if (!counts[i]) continue;
        seen += counts[i];
        double v = std::clamp(metrics::Histogram::bucketValue(i), static_cast<double>(out.min),
                              static_cast<double>(out.max));
        while (q < std::size(qs) &&
               static_cast<double>(seen) >= std::ceil(qs[q].first * static_cast<double>(total))) {
          *qs[q++].second = v;
        }
        if (buckets) out.buckets.emplace_back(v, counts[i]);
      }
      s.value = Value(static_cast<int64_t>(total));
      break;
    }
    case MetricKind::Meter: {
      int64_t count = e.meter->getCount();
      int64_t now = steadyNs();
      // Each 5 s tick folds the marks since the last into the rates (the first tick gets them
      // all, as in Dropwizard, where a read ticks whatever is due).
      int64_t ticks = (now - e.lastTickNs) / kTickNs;
      if (ticks > 0) {
        double instant = static_cast<double>(count - e.lastCount) / 5.0;
        const double alphas[3] = {alpha(1), alpha(5), alpha(15)};
        for (int64_t t = 0; t < std::min<int64_t>(ticks, 100000); ++t) {
          for (int r = 0; r < 3; ++r) {
            e.rates[r] = e.ratesStarted ? e.rates[r] + alphas[r] * (instant - e.rates[r]) : instant;
          }
          e.ratesStarted = true;
          instant = 0;
        }
        e.lastCount = count;
        e.lastTickNs += ticks * kTickNs;
      }
      double elapsed = static_cast<double>(now - e.startNs) / 1e9;
      s.meter = MeterSummary{count, e.rates[0], e.rates[1], e.rates[2],
                             elapsed > 0 ? static_cast<double>(count) / elapsed : 0};
      s.value = Value(count);
      break;
    }
  }
  return s;
}

std::vector<MetricSample> MetricsRegistry::snapshot(bool buckets) const {
  int64_t now = unixSecs();
  std::lock_guard lock(mu_);
  std::vector<MetricSample> out;
  out.reserve(metrics_.size());
  for (const auto& [key, e] : metrics_) {
    if (e->kind == MetricKind::Reported && e->updates == 0) continue;  // an IMetric not yet read
    out.push_back(sampleOf(key, *e, buckets, now));
  }
  return out;
}

std::optional<MetricSample> MetricsRegistry::find(const std::string& component, int task,
                                                  const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = metrics_.find(Key{component, task, name});
  if (it == metrics_.end()) return std::nullopt;
  return sampleOf(it->first, *it->second, false, unixSecs());
}

uint64_t MetricsRegistry::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace squall
