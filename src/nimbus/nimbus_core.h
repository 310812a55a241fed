#pragma once
// NimbusCore: the nimbus behind the Thrift service, in process (no ZooKeeper): the topology
// registry (names unique among live topologies, ids name-N-secs as Storm makes them), status
// transitions (ACTIVE <-> INACTIVE; kill -> KILLED, removed after the wait; rebalance ->
// REBALANCING, applied after the wait, back to the previous status), uploaded artifacts stored
// by content, and the translation of each submitted StormTopology into a TopologyDef, which is
// validated before the submission is accepted.
//
// Thread-safe: every call takes one lock. A timer thread, started by the constructor and
// stopped by the destructor, carries out kills and rebalances when their wait ends.
// Storage goes through TopologyStore, so the cluster can keep the same records in ZooKeeper.

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "logs/debug_sampling.h"
#include "logs/log_config.h"
#include "nimbus/artifact_store.h"
#include "nimbus/blob_downloads.h"
#include "nimbus/topology_store.h"
#include "squall/topology_def.h"
#include "squall/value.h"
#include "thrift/nimbus_backend.h"

namespace squall::nimbus {

struct NimbusCoreOptions {
  Map conf;                        // the daemon's configuration (getNimbusConf)
  std::string host = "127.0.0.1";  // as getLeader and the summaries name this nimbus
  int port = 6627;
  std::string localDir = "storm-local";  // storm.local.dir; artifacts go to <localDir>/nimbus
  std::string version;
  // Called with each submitted topology after translation (and before it is accepted), to
  // check it as the engine will run it; what it throws is reported as InvalidTopologyException.
  std::function<void(const std::string& name, const TopologyDef&, const Map& conf)> validate;
  // Called after every change of a topology's record (submit, status, rebalance) and with
  // removed=true when it is removed, so a scheduler can follow.
  std::function<void(const TopologyRecord&, bool removed)> onChange;
  std::function<int64_t()> nowMs;  // the clock; default: the system clock
  // Whether this nimbus may carry out due kills and rebalances now (in a cluster, only the
  // leader does); default: always.
  std::function<bool()> mayAct;
};

// A record's topology as it runs (its StormTopology translated, executors as the record says)
// and its configuration. InvalidTopologyException when either does not parse.
TopologyDef topologyDefOf(const TopologyRecord& r);
Map topologyConfOf(const TopologyRecord& r);
// Gives each component named in `executors` that many executors (a rebalance -e), its task
// count pinned to the submitted one (topology.tasks in its conf), so every planner of the
// result (nimbus's scheduler, the workers) splits the same tasks into the new executors.
void withExecutors(TopologyDef& def, const std::map<std::string, int>& executors);

class NimbusCore : public thrift::NimbusBackend {
 public:
  explicit NimbusCore(NimbusCoreOptions options, std::shared_ptr<TopologyStore> store =
                                                     std::make_shared<InMemoryTopologyStore>());
  ~NimbusCore() override;

  void submitTopology(const std::string& name, const std::string& uploadedJarLocation,
                      const std::string& jsonConf, const storm::StormTopology& topology,
                      const storm::SubmitOptions& options) override;
  void killTopology(const std::string& name, const storm::KillOptions& options) override;
  void activate(const std::string& name) override;
  void deactivate(const std::string& name) override;
  void rebalance(const std::string& name, const storm::RebalanceOptions& options) override;
  void debug(const std::string& name, const std::string& component, bool enable,
             double samplingPercentage) override;
  void setLogConfig(const std::string& id, const storm::LogConfig& config) override;
  storm::LogConfig getLogConfig(const std::string& id) override;
  std::string beginFileUpload() override;
  void uploadChunk(const std::string& location, const std::string& chunk) override;
  void finishFileUpload(const std::string& location) override;
  storm::BeginDownloadResult beginBlobDownload(const std::string& key) override;
  std::string downloadBlobChunk(const std::string& session) override;
  std::string getNimbusConf() override;
  storm::ClusterSummary getClusterInfo() override;
  storm::NimbusSummary getLeader() override;
  bool isTopologyNameAllowed(const std::string& name) override;
  storm::TopologyInfo getTopologyInfo(const std::string& id) override;
  std::string getTopologyConf(const std::string& id) override;
  storm::StormTopology getTopology(const std::string& id) override;
  storm::StormTopology getUserTopology(const std::string& id) override;

  // The id of the live topology named `name`; NotAliveException when none.
  std::string liveId(const std::string& name);
  // The TopologyDef a live topology runs (for the scheduler and workers).
  TopologyDef topologyDef(const std::string& id);
  // Carries out every kill and rebalance whose wait has ended (the timer thread calls it).
  void runDueActions();

 private:
  TopologyRecord liveByName(const std::string& name);  // NotAliveException when none
  TopologyRecord byId(const std::string& id);
  void save(const TopologyRecord& r);
  int64_t now() const;
  int64_t waitMs(const TopologyRecord& r, bool hasWait, int waitSecs) const;
  void timerLoop();

  NimbusCoreOptions options_;
  std::shared_ptr<TopologyStore> store_;
  ArtifactStore artifacts_;
  BlobDownloads downloads_;
  int64_t startedMs_;
  uint64_t submitted_ = 0;  // Storm's submittedCount, the N of name-N-secs

  std::mutex mu_;
  // Without ZooKeeper, the topologies' log levels live here (only their record of them: this
  // nimbus runs no workers).
  std::map<std::string, logs::LogConfig> logConfigs_;
  std::map<std::string, logs::DebugOptions> debug_;  // and their debug switches
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace squall::nimbus
