#include "thrift/nimbus_handler.h"

#include <thrift/protocol/TBinaryProtocol.h>

namespace squall::thrift {
namespace {

class NimbusHandler : public storm::NimbusIf {
 public:
  explicit NimbusHandler(std::shared_ptr<NimbusBackend> backend) : b_(std::move(backend)) {}

  void submitTopology(const std::string& name, const std::string& jar, const std::string& conf,
                      const storm::StormTopology& topology) override {
    storm::SubmitOptions options;
    options.initial_status = storm::TopologyInitialStatus::ACTIVE;
    b_->submitTopology(name, jar, conf, topology, options);
  }
  void submitTopologyWithOpts(const std::string& name, const std::string& jar,
                              const std::string& conf, const storm::StormTopology& topology,
                              const storm::SubmitOptions& options) override {
    b_->submitTopology(name, jar, conf, topology, options);
  }
  void killTopology(const std::string& name) override {
    b_->killTopology(name, storm::KillOptions());
  }
  void killTopologyWithOpts(const std::string& name, const storm::KillOptions& options) override {
    b_->killTopology(name, options);
  }
  void activate(const std::string& name) override { b_->activate(name); }
  void deactivate(const std::string& name) override { b_->deactivate(name); }
  void rebalance(const std::string& name, const storm::RebalanceOptions& options) override {
    b_->rebalance(name, options);
  }
  void debug(const std::string& name, const std::string& component, bool enable,
             double samplingPercentage) override {
    b_->debug(name, component, enable, samplingPercentage);
  }
  void setLogConfig(const std::string& id, const storm::LogConfig& config) override {
    b_->setLogConfig(id, config);
  }
  void getLogConfig(storm::LogConfig& out, const std::string& id) override {
    out = b_->getLogConfig(id);
  }
  void beginFileUpload(std::string& out) override { out = b_->beginFileUpload(); }
  void uploadChunk(const std::string& location, const std::string& chunk) override {
    b_->uploadChunk(location, chunk);
  }
  void finishFileUpload(const std::string& location) override { b_->finishFileUpload(location); }
  void beginBlobDownload(storm::BeginDownloadResult& out, const std::string& key) override {
    out = b_->beginBlobDownload(key);
  }
  void downloadBlobChunk(std::string& out, const std::string& session) override {
    out = b_->downloadBlobChunk(session);
  }
  void getNimbusConf(std::string& out) override { out = b_->getNimbusConf(); }
  void getClusterInfo(storm::ClusterSummary& out) override { out = b_->getClusterInfo(); }
  void getTopologySummaries(std::vector<storm::TopologySummary>& out) override {
    out = b_->getClusterInfo().topologies;
  }
  void getTopologySummaryByName(storm::TopologySummary& out, const std::string& name) override {
    out = find([&](const storm::TopologySummary& t) { return t.name == name; }, name);
  }
  void getTopologySummary(storm::TopologySummary& out, const std::string& id) override {
    out = find([&](const storm::TopologySummary& t) { return t.id == id; }, id);
  }
  void getLeader(storm::NimbusSummary& out) override { out = b_->getLeader(); }
  bool isTopologyNameAllowed(const std::string& name) override {
    return b_->isTopologyNameAllowed(name);
  }
  void getTopologyInfoByName(storm::TopologyInfo& out, const std::string& name) override {
    std::string id = find([&](const storm::TopologySummary& t) { return t.name == name; }, name).id;
    out = b_->getTopologyInfo(id);
  }
  void getTopologyInfo(storm::TopologyInfo& out, const std::string& id) override {
    out = b_->getTopologyInfo(id);
  }
  void getTopologyConf(std::string& out, const std::string& id) override {
    out = b_->getTopologyConf(id);
  }
  void getTopology(storm::StormTopology& out, const std::string& id) override {
    out = b_->getTopology(id);
  }
  void getUserTopology(storm::StormTopology& out, const std::string& id) override {
    out = b_->getUserTopology(id);
  }

 private:
  template <class Pred>
  storm::TopologySummary find(Pred pred, const std::string& what) {
    for (auto& t : b_->getClusterInfo().topologies) {
      if (pred(t)) return t;
    }
    storm::NotAliveException e;
    e.msg = what + " is not alive";
    throw e;
  }

  std::shared_ptr<NimbusBackend> b_;
};

}  // namespace

std::shared_ptr<apache::thrift::protocol::TProtocolFactory> nimbusProtocolFactory(
    int maxBufferSize) {
  // Storm's server reads non-strict (a client may omit the version) and writes strict.
  return std::make_shared<apache::thrift::protocol::TBinaryProtocolFactory>(
      maxBufferSize, maxBufferSize, false, true);
}

std::shared_ptr<storm::NimbusIf> makeNimbusHandler(std::shared_ptr<NimbusBackend> backend) {
  return std::make_shared<NimbusHandler>(std::move(backend));
}

}  // namespace squall::thrift
