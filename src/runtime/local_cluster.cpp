#include "squall/local_cluster.h"

#include <fmt/format.h>

#include <chrono>

#include "runtime/local_cluster_impl.h"
#include "squall/errors.h"

namespace squall {

void LocalCluster::Impl::submit(const std::string& name, const Config& conf,
                                const StormTopology& topology) {
  std::unique_lock lock(mu_);
  if (topologies_.count(name)) {
    throw IllegalArgumentException(fmt::format("a topology named '{}' is already running", name));
  }
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  std::string id = fmt::format("{}-{}-{}", name, ++submitted_, secs);
  auto running = std::make_unique<internal::RunningTopology>(name, id, conf, topology);
  running->start();
  topologies_.emplace(name, std::move(running));
}

internal::RunningTopology& LocalCluster::Impl::get(const std::string& name) const {
  auto it = topologies_.find(name);
  if (it == topologies_.end()) {
    throw IllegalArgumentException(fmt::format("no topology named '{}' is running", name));
  }
  return *it->second;
}

internal::RunningTopology* LocalCluster::Impl::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = topologies_.find(name);
  return it == topologies_.end() ? nullptr : it->second.get();
}

void LocalCluster::Impl::kill(const std::string& name, int waitSecs) {
  std::unique_ptr<internal::RunningTopology> victim;
  {
    std::lock_guard lock(mu_);
    get(name);
    auto it = topologies_.find(name);
    victim = std::move(it->second);
    topologies_.erase(it);
  }
  if (waitSecs < 0) {
    waitSecs = static_cast<int>(victim->plan().conf.getInt(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS));
  }
  victim->kill(waitSecs);
}

void LocalCluster::Impl::setActive(const std::string& name, bool active) {
  std::lock_guard lock(mu_);
  if (active) {
    get(name).activate();
  } else {
    get(name).deactivate();
  }
}

void LocalCluster::Impl::shutdown() {
  std::map<std::string, std::unique_ptr<internal::RunningTopology>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(topologies_);
  }
  for (auto& [name, t] : all) t->kill(0);
}

std::vector<TopologySummary> LocalCluster::Impl::summaries() const {
  std::lock_guard lock(mu_);
  std::vector<TopologySummary> out;
  for (const auto& [name, t] : topologies_) out.push_back(t->summary());
  return out;
}

std::vector<ReportedError> LocalCluster::Impl::errors(const std::string& name) const {
  std::lock_guard lock(mu_);
  return get(name).errors();
}

std::vector<MetricSample> LocalCluster::Impl::metrics(const std::string& name) const {
  std::lock_guard lock(mu_);
  return get(name).plan().metrics.snapshot();
}

LocalCluster::LocalCluster() : impl_(std::make_unique<Impl>()) {}
LocalCluster::~LocalCluster() {
  shutdown();
}

void LocalCluster::submitTopology(const std::string& name, const Config& conf,
                                  const StormTopology& topology) {
  impl_->submit(name, conf, topology);
}
void LocalCluster::killTopologyWithOpts(const std::string& name, const KillOptions& options) {
  impl_->kill(name, options.waitSecs);
}
void LocalCluster::activate(const std::string& name) {
  impl_->setActive(name, true);
}
void LocalCluster::deactivate(const std::string& name) {
  impl_->setActive(name, false);
}
void LocalCluster::shutdown() {
  impl_->shutdown();
}
std::vector<TopologySummary> LocalCluster::getTopologySummaries() const {
  return impl_->summaries();
}
std::vector<ReportedError> LocalCluster::getErrors(const std::string& name) const {
  return impl_->errors(name);
}
std::vector<MetricSample> LocalCluster::getMetrics(const std::string& name) const {
  return impl_->metrics(name);
}

}  // namespace squall
