#pragma once
// NimbusSource: the UiSource of `squall ui`, a cluster read through nimbus's Thrift API
// (Storm's `storm ui`). Each request connects to the leader among the seeds
// (thrift::connectToLeader, as the CLI verbs do), asks what it needs (getClusterInfo,
// getTopologyInfo, getTopology, getTopologyConf) and renders it with nimbus_api.h; actions are
// activate, deactivate, rebalance and killTopologyWithOpts, logconfig is getLogConfig and
// setLogConfig, debug sampling is Storm's debug call. Kafka lag is read as Storm's UI reads it:
// from the spouts' brokers (KafkaLag), with the topology nimbus holds. Nothing is cached, so every
// page is what nimbus says now, and a nimbus that fails over is found again on the next request.
// Every call is bounded by the client's timeouts; an unreachable nimbus or a Thrift error is
// an ApiError naming it (Storm's error JSON), never a hang or a crash.

#include <functional>
#include <string>
#include <vector>

#include "thrift/nimbus_client.h"
#include "ui/ui_source.h"

namespace squall::ui {

// The Kafka spouts' lag of a topology, from the topology as submitted (getUserTopology): the
// CLI's, asking the spouts' brokers, so that the UI knows nothing of Kafka.
using KafkaLag = std::function<std::vector<SpoutLag>(const storm::StormTopology& topology)>;

struct NimbusSourceOptions {
  std::vector<std::string> seeds;  // nimbus.seeds
  int port = 6627;                 // nimbus.thrift.port
  thrift::NimbusClientOptions client;
  bool actionsEnabled = true;
  KafkaLag kafkaLag;  // null: /lag is empty, as Storm's with ui.disable.spout.lag.monitoring
};

class NimbusSource : public UiSource {
 public:
  explicit NimbusSource(NimbusSourceOptions options);

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
  NimbusSourceOptions options_;
};

}  // namespace squall::ui
