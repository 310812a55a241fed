#include "ui/local_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "logs/debug_sampling.h"
#include "logs/log_levels.h"
#include "runtime/local_cluster_impl.h"
#include "ui/json_out.h"
#include "ui/log_config_api.h"
#include "ui/prometheus.h"
#include "ui/topology_metrics.h"
#include "ui/topology_stats.h"

namespace squall::ui {

LocalSource::LocalSource(LocalCluster& cluster, std::string topology, bool actionsEnabled,
                         KafkaPartitions kafkaPartitions)
    : cluster_(cluster),
      name_(std::move(topology)),
      actionsEnabled_(actionsEnabled),
      kafkaPartitions_(std::move(kafkaPartitions)) {}

LocalSource::~LocalSource() = default;

void LocalSource::start() {
  std::unique_lock lock(topologyMu_);
  internal::RunningTopology* t = cluster_.impl().find(name_);
  if (!t) throw std::runtime_error(fmt::format("no topology named '{}' is running", name_));
  stats_ = std::make_unique<TopologyStats>(*t);
}

void LocalSource::tick() {
  std::shared_lock t(topologyMu_);
  if (!detached_ && stats_) stats_->sample();
}

std::optional<int> LocalSource::takeKillRequest() {
  if (!killRequested_.load() || killTaken_.exchange(true)) return std::nullopt;
  return killWaitSecs_.load();
}

void LocalSource::detach() {
  std::unique_lock lock(topologyMu_);
  detached_ = true;
}

bool LocalSource::snapshot(TopologySnapshot& out, std::initializer_list<size_t> windows) {
  if (detached_ || !stats_) return false;
  internal::RunningTopology* t = cluster_.impl().find(name_);
  if (!t) return false;
  snapshotTopology(*t, *stats_, windows, out);
  if (killRequested_.load()) out.status = "KILLED";
  out.actionsEnabled = actionsEnabled_;
  return true;
}

void LocalSource::snapshotOrThrow(TopologySnapshot& out, const std::string& id,
                                  std::initializer_list<size_t> windows) {
  if (!snapshot(out, windows) || id != out.id) {
    throw ApiError(404, fmt::format("topology '{}' is not alive", shortened(id)));
  }
}

std::string LocalSource::clusterSummary(const ServerInfo& server) {
  std::shared_lock lock(topologyMu_);
  std::vector<TopologySnapshot> all(1);
  if (!snapshot(all[0], {})) all.clear();
  return clusterSummaryJson(server, all);
}

std::string LocalSource::nimbusSummary(const ServerInfo& server) {
  return nimbusSummaryJson(server);
}

std::string LocalSource::supervisorSummary(const ServerInfo& server) {
  std::shared_lock lock(topologyMu_);
  std::vector<TopologySnapshot> all(1);
  if (!snapshot(all[0], {})) all.clear();
  return supervisorSummaryJson(server, all);
}

std::string LocalSource::topologySummary(const ServerInfo& server) {
  std::shared_lock lock(topologyMu_);
  std::vector<TopologySnapshot> all(1);
  if (!snapshot(all[0], {})) all.clear();
  return topologySummaryJson(server, all);
}

// A local run's "nimbus" is this process, which runs with the topology's configuration.
std::string LocalSource::clusterConfiguration() {
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  if (!snapshot(t, {})) throw ApiError(404, fmt::format("topology '{}' is not alive", name_));
  return configurationJson(t.plan->conf);
}

std::string LocalSource::resolve(const std::string& idOrName) {
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  if (!snapshot(t, {}) || (idOrName != t.id && idOrName != t.name)) {
    throw ApiError(404, fmt::format("topology '{}' is not alive", shortened(idOrName)));
  }
  return t.id;
}

std::string LocalSource::topology(const ServerInfo& server, const std::string& id, size_t window,
                                  bool sys) {
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  snapshotOrThrow(t, id, {0, 1, 2, 3});
  return topologyJson(server, t, window, sys);
}

std::string LocalSource::component(const ServerInfo& server, const std::string& id,
                                   const std::string& component, size_t window, bool sys) {
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  snapshotOrThrow(t, id, {0, 1, 2, 3});
  t.metrics = t.plan->metrics.snapshot();
  return componentJson(server, t, component, window, sys);
}

std::string LocalSource::visualization(const ServerInfo& server, const std::string& id,
                                       size_t window, bool sys) {
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  snapshotOrThrow(t, id, {});
  t.windows[window] = stats_->window(window);
  if (t.windows[kTenMinutes].empty()) t.windows[kTenMinutes] = stats_->window(kTenMinutes);
  return visualizationJson(server, t, window, sys);
}

std::string LocalSource::lag(const std::string& id) {
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  snapshotOrThrow(t, id, {});
  std::vector<KafkaPartitionSample> kafka;
  if (kafkaPartitions_) kafka = kafkaPartitions_(t.id);
  return lagJson(t, kafka);
}

void LocalSource::act(const std::string& id, const std::string& what, int waitSecs) {
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  snapshotOrThrow(t, id, {});
  if (killRequested_.load()) {
    throw ApiError(500, fmt::format("cannot {} topology '{}': it is being killed", what, t.id));
  }
  if (what == "activate") {
    cluster_.activate(name_);
  } else if (what == "deactivate") {
    cluster_.deactivate(name_);
  } else if (what == "rebalance") {
    throw ApiError(500, fmt::format("cannot rebalance topology '{}': `squall run` holds every "
                                    "executor in one process, so there is nothing to move",
                                    t.id));
  } else {
    killWaitSecs_.store(waitSecs);
    killRequested_.store(true);
    spdlog::info("topology '{}': kill asked for over HTTP, waiting {} s", t.name, waitSecs);
  }
}

std::string LocalSource::logConfig(const std::string& id, const std::string* body) {
  if (body) {
    applyLogConfig(*body, logs::LogLevels::global());
    spdlog::info("topology '{}': log levels changed over HTTP: {}", id, shortened(*body));
  }
  return logConfigJson(logs::LogLevels::global().config());
}

void LocalSource::debug(const std::string& id, const std::string& component, bool enable,
                        double pct) {
  auto& sampling = logs::DebugSampling::global();
  if (!component.empty()) {
    std::shared_lock lock(topologyMu_);
    TopologySnapshot t;
    snapshotOrThrow(t, id, {});
    if (!t.plan->findComponent(component)) {
      throw ApiError(404,
                     fmt::format("topology '{}' has no component '{}'", id, shortened(component)));
    }
    sampling.setComponent(component, enable, pct);
  } else {
    sampling.setTopology(enable, pct);
  }
  spdlog::info("topology '{}'{}: debug {}d over HTTP ({} % of tuples)", id,
               component.empty() ? std::string() : fmt::format(" component '{}'", component),
               enable ? "enable" : "disable", enable ? pct : 0.0);
}

std::string LocalSource::metrics() {
  std::vector<PrometheusInput> inputs;
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  if (snapshot(t, {kAllTime})) {
    PrometheusInput in;
    in.topology = &t;
    in.metrics = t.plan->metrics.snapshot();
    in.metricsDropped = t.plan->metrics.dropped();
    if (kafkaPartitions_) in.kafka = kafkaPartitions_(t.id);
    in.children = sampleShellChildren(*t.plan);
    inputs.push_back(std::move(in));
  }
  return prometheusText(inputs);
}

}  // namespace squall::ui
