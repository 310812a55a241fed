#include "logs/debug_sampling.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace squall::logs {

namespace {

int clampPercent(bool enabled, double percent) {
  if (!enabled || !std::isfinite(percent)) return 0;
  return static_cast<int>(std::lround(std::clamp(percent, 0.0, 100.0)));
}

}  // namespace

DebugSampling& DebugSampling::global() {
  static DebugSampling sampling;
  return sampling;
}

void DebugSampling::setTopology(bool enabled, double percent) {
  topology_.store(clampPercent(enabled, percent), std::memory_order_relaxed);
}

void DebugSampling::setComponent(const std::string& component, bool enabled, double percent) {
  entry(component).store(clampPercent(enabled, percent), std::memory_order_relaxed);
}

void DebugSampling::unsetComponent(const std::string& component) {
  entry(component).store(kUnset, std::memory_order_relaxed);
}

std::atomic<int>& DebugSampling::entry(const std::string& component) {
  std::lock_guard lock(mu_);
  auto& s = components_[component];
  if (!s) s = std::make_unique<std::atomic<int>>(kUnset);
  return *s;
}

const std::atomic<int>* DebugSampling::slot(const std::string& component) {
  return &entry(component);
}

int DebugSampling::componentPercent(const std::string& component) {
  int own = slot(component)->load(std::memory_order_relaxed);
  return own == kUnset ? topologyPercent() : own;
}

bool DebugSampling::sample(const std::atomic<int>* slot) {
  int p = slot ? slot->load(std::memory_order_relaxed) : kUnset;
  if (p == kUnset) p = topology_.load(std::memory_order_relaxed);
  if (p <= 0) return false;
  if (p >= 100) return true;
  thread_local std::minstd_rand rng{std::random_device{}()};
  return static_cast<int>(rng() % 100) < p;
}

void DebugSampling::clear() {
  topology_.store(0);
  std::lock_guard lock(mu_);
  for (auto& [name, s] : components_) s->store(kUnset);
}

}  // namespace squall::logs
