#pragma once
// ClusterNimbus: a nimbus of a cluster. The NimbusCore's records live in ZooKeeper
// (ZkTopologyStore), so every nimbus sees every topology; nimbuses elect a leader
// (LeaderElector under /leader-lock, the id HOST:PORT) and each publishes /nimbuses/HOST:PORT.
//
// - Only the leader changes anything (submit, kill, activate, deactivate, rebalance, uploads)
//   and carries out due kills and rebalances; another nimbus refuses as Storm's does
//   ("not a leader, current leader is NimbusInfo{...}", a TApplicationException for the
//   client), and getLeader names the leader so clients find it (connectToLeader).
// - The leader schedules (even_scheduler.h) at once: on submit (refusing a topology that does
//   not fit the free slots), on a rebalance, when a supervisor has been gone for
//   nimbus.supervisor.timeout.secs, when a slot's executors stop heartbeating (as Storm's:
//   heartbeat_cache.h, nimbus.task.timeout.secs, after nimbus.task.launch.secs for new ones;
//   they move to other slots), and every nimbus.monitor.freq.secs; it writes /assignments/ID
//   and, before it, the topology's secret in /credentials/ID.
// - Every nimbus copies the blobs of every topology from a nimbus holding them
//   (thrift::downloadBlob, the SHA-256 recorded in /blobstore checked), so a new leader
//   serves them.
// - setLogConfig (the leader) merges a change into /logconfigs/ID, which supervisors copy to
//   the topology's workers; getLogConfig reads it on any nimbus. debug (the leader) sets a
//   switch in /debugoptions/ID, relayed the same way; getTopologyInfo's component_debug
//   reads it.
// - Queries answer from ZooKeeper on any nimbus: supervisors and nimbuses in getClusterInfo,
//   executors' hosts and ports from the assignment in getTopologyInfo.
//
// Threads: Thrift connection threads call the backend; a monitor thread replicates and
// schedules; ZooKeeper watches only wake it.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_state.h"
#include "cluster/leader_elector.h"
#include "cluster/zk_client.h"
#include "nimbus/heartbeat_cache.h"
#include "nimbus/nimbus_core.h"
#include "nimbus/zk_topology_store.h"

namespace squall::nimbus {

struct ClusterNimbusOptions {
  NimbusCoreOptions core;  // conf, host, port (this nimbus's id is host:port), localDir, ...
  cluster::ZkOptions zk;
  // The executors of a topology as its workers will plan it (TopologyPlan of def + conf), so
  // task ids agree; throws when the topology cannot be planned.
  std::function<std::vector<cluster::ExecutorRange>(const std::string& name, const std::string& id,
                                                    const TopologyDef&, const Map& conf)>
      planExecutors;
  int supervisorTimeoutSecs = 60;  // nimbus.supervisor.timeout.secs
  int monitorFreqSecs = 10;        // nimbus.monitor.freq.secs
  int taskTimeoutSecs = 30;        // nimbus.task.timeout.secs
  int taskLaunchSecs = 120;        // nimbus.task.launch.secs
  uint64_t maxBlobBytes = uint64_t{1} << 30;
  int thriftTimeoutMs = 30000;  // for downloads from another nimbus
  int maxBufferSize = 1048576;  // nimbus.thrift.max_buffer_size
};

// The name under which /credentials/ID holds the topology's secret (64 hex digits).
inline constexpr const char* kTopologySecretKey = "squall.worker.secret";

class ClusterNimbus : public thrift::NimbusBackend {
 public:
  explicit ClusterNimbus(ClusterNimbusOptions options);
  ~ClusterNimbus() override;

  // Connects to ZooKeeper, publishes /nimbuses/HOST:PORT, joins the election and starts the
  // monitor. ZkError when ZooKeeper does not answer.
  void start();
  // Withdraws from the election, stops the monitor, ends the session.
  void stop();

  bool isLeader() const;
  bool zooKeeperConnected() const { return zk_ && zk_->connected(); }
  std::string hostPort() const { return hostPort_; }
  cluster::ClusterState& state() { return *state_; }
  // One pass of the monitor (replicate, then, when leading, schedule); the monitor runs it.
  void monitorOnce();

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

 private:
  struct Slots {
    std::map<std::string, std::vector<int>> free;  // supervisor id -> ports
    std::map<std::string, std::string> hosts;
  };
  void assertIsLeader();
  Slots slotsFor(const std::string& topologyId, const std::optional<cluster::Assignment>& current,
                 const std::vector<DeadSlot>& dead = {});
  std::vector<DeadSlot> deadSlotsOf(const TopologyRecord& r, const cluster::Assignment& current);
  void logMoves(const TopologyRecord& r, const std::vector<DeadSlot>& dead,
                const cluster::Assignment& after);
  void checkFits(const std::string& name, const TopologyDef& def, const Map& conf);
  void schedule(const TopologyRecord& r);
  void onChange(const TopologyRecord& r, bool removed);
  bool replicate(const std::string& id);
  void removeStaleBlobs(const std::set<std::string>& active);
  void publish();
  void monitorLoop();
  void wake();
  int64_t nowMs() const;

  ClusterNimbusOptions options_;
  std::string hostPort_;
  int64_t startedMs_ = 0;
  std::unique_ptr<cluster::ZkClient> zk_;
  std::unique_ptr<cluster::ClusterState> state_;
  std::shared_ptr<ZkTopologyStore> store_;
  std::unique_ptr<NimbusCore> core_;
  std::unique_ptr<cluster::LeaderElector> elector_;

  std::mutex scheduleMu_;                          // one scheduling decision at a time
  std::map<std::string, int64_t> missingSinceMs_;  // supervisors gone from /supervisors
  // Guarded by scheduleMu_: executors' heartbeats as this nimbus saw them while it led, and
  // dead slots already reported as having nowhere to go (logged once).
  HeartbeatCache heartbeats_;
  uint64_t heartbeatsEpoch_ = 0;
  std::set<std::pair<std::string, cluster::NodePort>> stuckReported_;
  std::atomic<uint64_t> leaderEpoch_{0};  // counts leadership changes
  int64_t heartbeatDueMs_ = 0;            // guarded by mu_: when an executor may time out next
  std::mutex replicateMu_;
  std::mutex logConfigMu_;  // setLogConfig reads, merges and writes /logconfigs/ID
  std::mutex debugMu_;      // debug reads, changes and writes /debugoptions/ID

  std::mutex mu_;
  std::condition_variable wakeCv_;
  bool woken_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  std::thread monitor_;
};

}  // namespace squall::nimbus
