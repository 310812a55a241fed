#include "cluster/cluster_state.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cluster/cluster_json.h"

namespace squall::cluster {

namespace {

constexpr const char* kStorms = "/storms";
constexpr const char* kAssignments = "/assignments";
constexpr const char* kSupervisors = "/supervisors";
constexpr const char* kWorkerbeats = "/workerbeats";
constexpr const char* kErrors = "/errors";
constexpr const char* kBlobstore = "/blobstore";
constexpr const char* kNimbuses = "/nimbuses";
constexpr const char* kCredentials = "/credentials";
constexpr const char* kLogConfigs = "/logconfigs";
constexpr const char* kDebugOptions = "/debugoptions";

// An id becomes one path component: Storm's ids never hold '/', and one that does is refused
// rather than written somewhere else.
const std::string& checkedId(const std::string& id, const char* what) {
  if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..") {
    throw IllegalArgumentException(
        fmt::format("bad {} '{}': it must be one path component", what, id));
  }
  return id;
}

std::string sub(const char* dir, const std::string& id, const char* what = "topology id") {
  return joinPath(dir, checkedId(id, what));
}

std::string beatName(const std::string& node, int port) {
  return fmt::format("{}-{}", checkedId(node, "node id"), port);
}

// Writes data at path, creating the node (and its parents) when missing.
void upsert(ZkClient& zk, const std::string& path, const std::string& data,
            NodeAcl acl = NodeAcl::Open) {
  try {
    zk.set(path, data);
    return;
  } catch (const ZkError& e) {
    if (!e.noNode()) throw;
  }
  std::string parent = path.substr(0, path.rfind('/'));
  if (!parent.empty()) zk.mkdirs(parent);
  try {
    zk.create(path, data, CreateMode::Persistent, acl);
  } catch (const ZkError& e) {
    if (!e.nodeExists()) throw;
    zk.set(path, data);  // a racing writer created it
  }
}

std::vector<std::string> childrenOrEmpty(ZkClient& zk, const std::string& path, Watcher w = {}) {
  try {
    return zk.children(path, std::move(w));
  } catch (const ZkError& e) {
    if (e.noNode()) return {};
    throw;
  }
}

// A node's data decoded, or nullopt when there is no node.
template <class Decode>
auto readNode(ZkClient& zk, const std::string& path, Decode decode, Watcher w = {})
    -> std::optional<decltype(decode(std::string(), path))> {
  auto data = zk.get(path, std::move(w));
  if (!data) return std::nullopt;
  return decode(*data, path);
}

// The first write creates the ephemeral node, later ones update it. A node another session owns
// is this daemon's own from before a kill -9, not yet expired by ZooKeeper: updated in place it
// would vanish when that session expires, taking the restarted daemon off the cluster, so it is
// replaced by one of this session.
void upsertEphemeral(ZkClient& zk, const std::string& path, const std::string& data) {
  for (int attempt = 0;; ++attempt) {
    std::optional<NodeStat> stat = zk.exists(path);
    try {
      if (stat && stat->ephemeralOwner == zk.sessionId()) {
        zk.set(path, data, stat->version);
        return;
      }
      if (stat) zk.remove(path, stat->version);
      zk.create(path, data, CreateMode::Ephemeral);
      return;
    } catch (const ZkError& e) {
      // Changed between the look and the write (this client making its ephemerals again
      // after an expiry, or the old session ending): look again, a few times.
      if (attempt >= 3 || !(e.noNode() || e.nodeExists() || e.badVersion())) throw;
    }
  }
}

bool bySequence(const std::string& a, const std::string& b) {
  return sequenceNumber(a) < sequenceNumber(b);
}

}  // namespace

const char* topologyStatusName(TopologyStatus s) {
  switch (s) {
    case TopologyStatus::Active:
      return "ACTIVE";
    case TopologyStatus::Inactive:
      return "INACTIVE";
    case TopologyStatus::Killed:
      return "KILLED";
    case TopologyStatus::Rebalancing:
      return "REBALANCING";
  }
  return "?";
}

std::optional<TopologyStatus> parseTopologyStatus(std::string_view s) {
  for (auto t : {TopologyStatus::Active, TopologyStatus::Inactive, TopologyStatus::Killed,
                 TopologyStatus::Rebalancing}) {
    if (s == topologyStatusName(t)) return t;
  }
  return std::nullopt;
}

std::string urlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';  // java.net.URLEncoder, which Storm uses
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

ClusterState::ClusterState(ZkClient& zk) : zk_(zk) {
  for (const char* dir : {kStorms, kAssignments, kSupervisors, kWorkerbeats, kErrors, kBlobstore,
                          kNimbuses, kCredentials, kLogConfigs, kDebugOptions}) {
    zk_.mkdirs(dir);
  }
}

// --- storms -------------------------------------------------------------------------------------

void ClusterState::activateStorm(const std::string& id, const StormBase& base) {
  zk_.create(sub(kStorms, id), toJson(base));
}

void ClusterState::updateStorm(const std::string& id, const StormBase& base) {
  zk_.set(sub(kStorms, id), toJson(base));
}

std::optional<StormBase> ClusterState::stormBase(const std::string& id, Watcher watcher) {
  return readNode(zk_, sub(kStorms, id), stormBaseFromJson, std::move(watcher));
}

std::vector<std::string> ClusterState::activeStorms(Watcher watcher) {
  return zk_.children(kStorms, std::move(watcher));
}

void ClusterState::removeStormBase(const std::string& id) {
  zk_.remove(sub(kStorms, id));
}

void ClusterState::removeStorm(const std::string& id) {
  removeAssignment(id);
  zk_.remove(sub(kCredentials, id));
  zk_.remove(sub(kLogConfigs, id));
  zk_.remove(sub(kDebugOptions, id));
  zk_.removeRecursive(sub(kWorkerbeats, id));
  zk_.removeRecursive(sub(kErrors, id));
  removeStormBase(id);
}

// --- assignments --------------------------------------------------------------------------------

void ClusterState::setAssignment(const std::string& id, const Assignment& a) {
  upsert(zk_, sub(kAssignments, id), toJson(a));
}

std::optional<Assignment> ClusterState::assignmentInfo(const std::string& id, Watcher watcher) {
  return readNode(zk_, sub(kAssignments, id), assignmentFromJson, std::move(watcher));
}

std::vector<std::string> ClusterState::assignments(Watcher watcher) {
  return zk_.children(kAssignments, std::move(watcher));
}

void ClusterState::removeAssignment(const std::string& id) {
  zk_.remove(sub(kAssignments, id));
}

// --- supervisors --------------------------------------------------------------------------------

void ClusterState::supervisorHeartbeat(const std::string& supervisorId,
                                       const SupervisorInfo& info) {
  upsertEphemeral(zk_, sub(kSupervisors, supervisorId, "supervisor id"), toJson(info));
}

std::optional<SupervisorInfo> ClusterState::supervisorInfo(const std::string& supervisorId) {
  return readNode(zk_, sub(kSupervisors, supervisorId, "supervisor id"), supervisorInfoFromJson);
}

std::vector<std::string> ClusterState::supervisors(Watcher watcher) {
  return zk_.children(kSupervisors, std::move(watcher));
}

// --- workerbeats --------------------------------------------------------------------------------

void ClusterState::workerHeartbeat(const std::string& id, const std::string& node, int port,
                                   const WorkerHeartbeat& hb) {
  std::string data = toJson(hb);
  if (data.size() > kMaxHeartbeatBytes) {
    spdlog::warn(
        "the heartbeat of {} on {}:{} is {} bytes with its statistics, more than {}; "
        "writing it without them",
        id, node, port, data.size(), kMaxHeartbeatBytes);
    WorkerHeartbeat bare = hb;
    bare.executorStats.clear();
    data = toJson(bare);
  }
  upsert(zk_, joinPath(sub(kWorkerbeats, id), beatName(node, port)), data);
}

std::optional<WorkerHeartbeat> ClusterState::getWorkerHeartbeat(const std::string& id,
                                                                const std::string& node, int port) {
  return readNode(zk_, joinPath(sub(kWorkerbeats, id), beatName(node, port)),
                  workerHeartbeatFromJson);
}

std::vector<std::string> ClusterState::heartbeatStorms() {
  return zk_.children(kWorkerbeats);
}

void ClusterState::removeWorkerHeartbeat(const std::string& id, const std::string& node, int port) {
  zk_.remove(joinPath(sub(kWorkerbeats, id), beatName(node, port)));
}

// --- errors -------------------------------------------------------------------------------------

void ClusterState::reportError(const std::string& id, const std::string& component,
                               const ErrorInfo& e) {
  std::string dir = joinPath(sub(kErrors, id), urlEncode(component));
  zk_.mkdirs(dir);
  std::string data = toJson(e);
  zk_.create(dir + "/e", data, CreateMode::PersistentSequential);
  upsert(zk_, joinPath(sub(kErrors, id), urlEncode(component) + "-last-error"), data);
  auto kids = childrenOrEmpty(zk_, dir);
  if (kids.size() <= kErrorsKept) return;
  std::sort(kids.begin(), kids.end(), bySequence);
  for (size_t i = 0; i + kErrorsKept < kids.size(); ++i) zk_.remove(joinPath(dir, kids[i]));
}

std::vector<ErrorInfo> ClusterState::errors(const std::string& id, const std::string& component) {
  std::string dir = joinPath(sub(kErrors, id), urlEncode(component));
  auto kids = childrenOrEmpty(zk_, dir);
  std::sort(kids.begin(), kids.end(), bySequence);
  std::vector<ErrorInfo> out;
  for (const auto& k : kids) {
    std::string path = joinPath(dir, k);
    if (auto data = zk_.get(path)) out.push_back(errorInfoFromJson(*data, path));
  }
  return out;
}

std::optional<ErrorInfo> ClusterState::lastError(const std::string& id,
                                                 const std::string& component) {
  return readNode(zk_, joinPath(sub(kErrors, id), urlEncode(component) + "-last-error"),
                  errorInfoFromJson);
}

// --- blobstore ----------------------------------------------------------------------------------

void ClusterState::setupBlob(const std::string& key, const BlobReplica& replica) {
  std::string dir = sub(kBlobstore, key, "blob key");
  zk_.mkdirs(dir);
  checkedId(replica.nimbusHostPort, "nimbus host:port");
  // One node per nimbus: its older versions go (as Storm's setupBlob does).
  std::string prefix = replica.nimbusHostPort + "-";
  for (const auto& k : childrenOrEmpty(zk_, dir)) {
    if (k.rfind(prefix, 0) == 0) zk_.remove(joinPath(dir, k));
  }
  upsert(zk_, joinPath(dir, fmt::format("{}{}", prefix, replica.version)), toJson(replica));
}

std::vector<BlobReplica> ClusterState::blobReplicas(const std::string& key, Watcher watcher) {
  std::string dir = sub(kBlobstore, key, "blob key");
  std::vector<BlobReplica> out;
  for (const auto& k : childrenOrEmpty(zk_, dir, std::move(watcher))) {
    size_t dash = k.rfind('-');
    if (dash == std::string::npos) continue;
    BlobReplica r;
    r.nimbusHostPort = k.substr(0, dash);
    try {
      r.version = std::stoll(k.substr(dash + 1));
    } catch (const std::exception&) {
      spdlog::warn("ZooKeeper: {}/{} is not HOST:PORT-VERSION; ignored", dir, k);
      continue;
    }
    std::string path = joinPath(dir, k);
    auto data = zk_.get(path);
    if (!data) continue;  // went while listing
    blobReplicaFromJson(*data, path, r);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const BlobReplica& a, const BlobReplica& b) {
    return a.nimbusHostPort < b.nimbusHostPort;
  });
  return out;
}

std::vector<std::string> ClusterState::activeKeys() {
  return zk_.children(kBlobstore);
}

void ClusterState::removeBlob(const std::string& key) {
  zk_.removeRecursive(sub(kBlobstore, key, "blob key"));
}

// --- nimbuses -----------------------------------------------------------------------------------

void ClusterState::addNimbusHost(const std::string& hostPort, const NimbusSummary& summary) {
  upsertEphemeral(zk_, sub(kNimbuses, hostPort, "nimbus host:port"), toJson(summary));
}

std::vector<NimbusSummary> ClusterState::nimbuses() {
  std::vector<NimbusSummary> out;
  for (const auto& k : zk_.children(kNimbuses)) {
    std::string path = joinPath(kNimbuses, k);
    if (auto data = zk_.get(path)) out.push_back(nimbusSummaryFromJson(*data, path));
  }
  return out;
}

// --- credentials --------------------------------------------------------------------------------

void ClusterState::setCredentials(const std::string& id, const Credentials& c) {
  upsert(zk_, sub(kCredentials, id), toJson(c), NodeAcl::CreatorOnly);
}

std::optional<Credentials> ClusterState::credentials(const std::string& id, Watcher watcher) {
  return readNode(zk_, sub(kCredentials, id), credentialsFromJson, std::move(watcher));
}

// --- log configs --------------------------------------------------------------------------------

void ClusterState::setLogConfig(const std::string& id, const std::string& json) {
  upsert(zk_, sub(kLogConfigs, id), json);
}

std::optional<std::string> ClusterState::logConfig(const std::string& id, Watcher watcher) {
  return zk_.get(sub(kLogConfigs, id), std::move(watcher));
}

void ClusterState::setDebugOptions(const std::string& id, const std::string& json) {
  upsert(zk_, sub(kDebugOptions, id), json);
}

std::optional<std::string> ClusterState::debugOptions(const std::string& id, Watcher watcher) {
  return zk_.get(sub(kDebugOptions, id), std::move(watcher));
}

}  // namespace squall::cluster
