#pragma once
// LocalSource: the UiSource of `squall run --ui`, the one topology a LocalCluster runs in this
// process. Its statistics come from the tasks' counters (TopologyStats, sampled on tick());
// activate and deactivate act at once through the LocalCluster; a kill is handed to the run
// loop, which owns the topology's life (takeKillRequest) and calls detach() before it kills,
// after which requests see the topology as gone. Logconfig and debug sampling change this
// process's levels (src/logs).

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "squall/local_cluster.h"
#include "ui/ui_source.h"

namespace squall::ui {

class TopologyStats;

class LocalSource : public UiSource {
 public:
  using KafkaPartitions = std::function<std::vector<KafkaPartitionSample>(const std::string&)>;
  // Serves `topology` (its name) of `cluster`, which must already run it.
  LocalSource(LocalCluster& cluster, std::string topology, bool actionsEnabled,
              KafkaPartitions kafkaPartitions);
  ~LocalSource() override;

  void start() override;
  void tick() override;
  std::optional<int> takeKillRequest();
  void detach();

  std::string clusterSummary(const ServerInfo& server) override;
  std::string nimbusSummary(const ServerInfo& server) override;
  std::string supervisorSummary(const ServerInfo& server) override;
  std::string topologySummary(const ServerInfo& server) override;
  std::string clusterConfiguration() override;
  std::string resolve(const std::string& idOrName) override;
  std::string topology(const ServerInfo& server, const std::string& id, size_t window,
                       bool sys) override;
  std::string component(const ServerInfo& server, const std::string& id,
                        const std::string& component, size_t window, bool sys) override;
  std::string visualization(const ServerInfo& server, const std::string& id, size_t window,
                            bool sys) override;
  std::string lag(const std::string& id) override;
  void act(const std::string& id, const std::string& operation, int waitSecs) override;
  std::string logConfig(const std::string& id, const std::string* body) override;
  void debug(const std::string& id, const std::string& component, bool enable,
             double percent) override;
  std::string metrics() override;

 private:
  // Fills a snapshot of the topology with the given windows; false when it is gone.
  // Callers hold topologyMu_ shared.
  bool snapshot(TopologySnapshot& out, std::initializer_list<size_t> windows);
  // snapshot(), or ApiError 404 naming `id`.
  void snapshotOrThrow(TopologySnapshot& out, const std::string& id,
                       std::initializer_list<size_t> windows);

  LocalCluster& cluster_;
  std::string name_;
  bool actionsEnabled_;
  KafkaPartitions kafkaPartitions_;

  // Held shared while a request reads the topology, exclusively by detach().
  std::shared_mutex topologyMu_;
  bool detached_ = false;
  std::unique_ptr<TopologyStats> stats_;
  std::atomic<bool> killRequested_{false};
  std::atomic<int> killWaitSecs_{-1};
  std::atomic<bool> killTaken_{false};
};

}  // namespace squall::ui
