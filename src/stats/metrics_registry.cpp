#include "squall/metrics_registry.h"

#include <chrono>

namespace squall {

void MetricsRegistry::update(const std::string& component, int task, const std::string& name,
                             Value value) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::lock_guard lock(mu_);
  Key key{component, task, name};
  auto it = metrics_.find(key);
  if (it == metrics_.end()) {
    if (metrics_.size() >= kMaxMetrics) {
      ++dropped_;
      return;
    }
    it = metrics_.emplace(std::move(key), MetricSample{component, task, name, {}, 0, 0}).first;
  }
  it->second.value = std::move(value);
  it->second.updates++;
  it->second.timeSecs = now;
}

std::vector<MetricSample> MetricsRegistry::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<MetricSample> out;
  out.reserve(metrics_.size());
  for (const auto& [key, sample] : metrics_) out.push_back(sample);
  return out;
}

std::optional<MetricSample> MetricsRegistry::find(const std::string& component, int task,
                                                  const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = metrics_.find(Key{component, task, name});
  if (it == metrics_.end()) return std::nullopt;
  return it->second;
}

uint64_t MetricsRegistry::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace squall
