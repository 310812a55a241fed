#pragma once
// ClusterState: the cluster's state in ZooKeeper, in Storm's layout (under the chroot
// storm.zookeeper.root), with typed reads and writes:
//
//   /storms/ID                          StormBase (name, status, workers, launch time, owner)
//   /assignments/ID                     Assignment (executors -> node:port, hosts, start times)
//   /supervisors/ID                     SupervisorInfo, ephemeral: gone with the supervisor
//   /workerbeats/ID/NODE-PORT           WorkerHeartbeat
//   /errors/ID/COMPONENT/e<seq>         ErrorInfo, the last 10 kept; COMPONENT-last-error too
//   /blobstore/KEY/HOST:PORT-VERSION    which nimbus holds which version of an artifact (its
//                                       SHA-256 and size in the node's data)
//   /nimbuses/HOST:PORT                 NimbusSummary, ephemeral
//   /leader-lock/...                    leader election (leader_elector.h)
//   /credentials/ID                     Credentials, readable only by the cluster (digest ACL)
//   /logconfigs/ID                      the topology's dynamic log levels (Storm's LogConfig,
//                                       JSON as src/logs/log_config.h writes it)
//   /debugoptions/ID                    its debug switches (Storm keeps them in StormBase's
//                                       component_debug; JSON as logs/debug_sampling.h writes)
//
// Node data is compact JSON (cluster_json.h); Storm writes Thrift, which no Squall reader needs.
// Component names are URL-encoded in paths, as Storm does. Thread-safe as ZkClient is; watchers
// run on the client's event thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/executor_stats.h"
#include "cluster/zk_client.h"

namespace squall::cluster {

enum class TopologyStatus { Active, Inactive, Killed, Rebalancing };
const char* topologyStatusName(TopologyStatus s);  // "ACTIVE", ...
std::optional<TopologyStatus> parseTopologyStatus(std::string_view s);

// What a pending kill or rebalance was asked to do (Storm's TopologyActionOptions).
struct TopologyActionOptions {
  enum class Action { Kill, Rebalance };
  Action action = Action::Kill;
  std::optional<int> waitSecs;
  std::optional<int> numWorkers;            // rebalance
  std::map<std::string, int> numExecutors;  // rebalance, by component
  bool operator==(const TopologyActionOptions&) const = default;
};

struct StormBase {
  std::string name;
  TopologyStatus status = TopologyStatus::Active;
  int numWorkers = 1;
  std::map<std::string, int> componentExecutors;
  int64_t launchTimeSecs = 0;
  std::string owner;
  std::optional<TopologyStatus> prevStatus;
  std::optional<TopologyActionOptions> actionOptions;
  bool operator==(const StormBase&) const = default;
};

// An executor: its first and last task id (Storm's ExecutorInfo).
struct ExecutorRange {
  int startTask = 0;
  int endTask = 0;
  auto operator<=>(const ExecutorRange&) const = default;
};

struct NodePort {
  std::string node;  // supervisor id
  int port = 0;
  auto operator<=>(const NodePort&) const = default;
};

struct Assignment {
  std::string masterCodeDir;                    // where the artifact is: its blob key
  std::map<std::string, std::string> nodeHost;  // supervisor id -> hostname
  std::map<ExecutorRange, NodePort> executorNodePort;
  std::map<ExecutorRange, int64_t> executorStartTimeSecs;
  std::string owner;
  bool operator==(const Assignment&) const = default;
};

struct SupervisorInfo {
  int64_t timeSecs = 0;
  std::string hostname;
  std::string assignmentId;
  std::vector<int> usedPorts;
  std::vector<int> metaPorts;  // the slots: supervisor.slots.ports
  int64_t uptimeSecs = 0;
  std::string version;
  std::map<std::string, double> resources;
  bool operator==(const SupervisorInfo&) const = default;
};

// Storm's ClusterWorkerHeartbeat: the worker's executors with their statistics (empty until
// the worker has reported some).
struct WorkerHeartbeat {
  std::string stormId;
  std::vector<ExecutorRange> executors;
  int64_t timeSecs = 0;
  int64_t uptimeSecs = 0;
  std::map<ExecutorRange, ExecutorStats> executorStats;
  bool operator==(const WorkerHeartbeat&) const = default;
};

struct ErrorInfo {
  std::string error;
  int64_t errorTimeSecs = 0;
  std::string host;
  int port = 0;
  bool operator==(const ErrorInfo&) const = default;
};

struct NimbusSummary {
  std::string host;
  int port = 0;
  int64_t uptimeSecs = 0;
  bool isLeader = false;
  std::string version;
  bool operator==(const NimbusSummary&) const = default;
};

// One nimbus's copy of an artifact.
struct BlobReplica {
  std::string nimbusHostPort;
  int64_t version = 0;
  std::string sha256;
  int64_t size = 0;
  bool operator==(const BlobReplica&) const = default;
};

struct Credentials {
  std::map<std::string, std::string> creds;
  bool operator==(const Credentials&) const = default;
};

class ClusterState {
 public:
  // Storm keeps the last 10 errors of each component.
  static constexpr size_t kErrorsKept = 10;

  // Creates the subtrees that must exist (storms, assignments, supervisors, workerbeats,
  // errors, blobstore, nimbuses, credentials).
  explicit ClusterState(ZkClient& zk);

  ZkClient& zk() { return zk_; }

  // /storms
  void activateStorm(const std::string& id, const StormBase& base);  // ZNODEEXISTS if present
  void updateStorm(const std::string& id, const StormBase& base);
  std::optional<StormBase> stormBase(const std::string& id, Watcher watcher = {});
  std::vector<std::string> activeStorms(Watcher watcher = {});
  void removeStormBase(const std::string& id);
  // The whole topology: assignment, credentials, heartbeats, errors, then its StormBase.
  void removeStorm(const std::string& id);

  // /assignments
  void setAssignment(const std::string& id, const Assignment& a);
  std::optional<Assignment> assignmentInfo(const std::string& id, Watcher watcher = {});
  std::vector<std::string> assignments(Watcher watcher = {});
  void removeAssignment(const std::string& id);

  // /supervisors: the first heartbeat creates the ephemeral node, later ones update it.
  void supervisorHeartbeat(const std::string& supervisorId, const SupervisorInfo& info);
  std::optional<SupervisorInfo> supervisorInfo(const std::string& supervisorId);
  std::vector<std::string> supervisors(Watcher watcher = {});

  // /workerbeats. A heartbeat whose JSON would pass kMaxHeartbeatBytes is written without its
  // statistics (logged), so that a topology with very many streams still heartbeats.
  static constexpr size_t kMaxHeartbeatBytes = 512 * 1024;
  void workerHeartbeat(const std::string& id, const std::string& node, int port,
                       const WorkerHeartbeat& hb);
  std::optional<WorkerHeartbeat> getWorkerHeartbeat(const std::string& id, const std::string& node,
                                                    int port);
  std::vector<std::string> heartbeatStorms();
  void removeWorkerHeartbeat(const std::string& id, const std::string& node, int port);

  // /errors
  void reportError(const std::string& id, const std::string& component, const ErrorInfo& e);
  std::vector<ErrorInfo> errors(const std::string& id,
                                const std::string& component);  // oldest first
  std::optional<ErrorInfo> lastError(const std::string& id, const std::string& component);

  // /blobstore: code distribution, one node per nimbus holding a version of KEY.
  void setupBlob(const std::string& key, const BlobReplica& replica);
  std::vector<BlobReplica> blobReplicas(const std::string& key, Watcher watcher = {});
  std::vector<std::string> activeKeys();
  void removeBlob(const std::string& key);

  // /nimbuses: each nimbus's ephemeral summary.
  void addNimbusHost(const std::string& hostPort, const NimbusSummary& summary);
  std::vector<NimbusSummary> nimbuses();

  // /credentials: the topology's secrets; the node carries a creator-only ACL, so only
  // clients with the cluster's storm.zookeeper.auth.* read or change it.
  void setCredentials(const std::string& id, const Credentials& c);
  std::optional<Credentials> credentials(const std::string& id, Watcher watcher = {});

  // /logconfigs: a topology's dynamic log levels, kept as the caller encodes them.
  void setLogConfig(const std::string& id, const std::string& json);
  std::optional<std::string> logConfig(const std::string& id, Watcher watcher = {});

  // /debugoptions: a topology's debug switches, kept as the caller encodes them.
  void setDebugOptions(const std::string& id, const std::string& json);
  std::optional<std::string> debugOptions(const std::string& id, Watcher watcher = {});

 private:
  ZkClient& zk_;
};

// Storm's path escaping of component names (URL encoding).
std::string urlEncode(std::string_view s);

}  // namespace squall::cluster
