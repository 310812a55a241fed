#include "nimbus/cluster_nimbus.h"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "cluster/cluster_json.h"
#include "nimbus/artifact_store.h"
#include "nimbus/even_scheduler.h"
#include "nimbus/log_config_thrift.h"
#include "nimbus/stats_thrift.h"
#include "thrift/nimbus_client.h"

namespace squall::nimbus {
namespace fs = std::filesystem;
namespace {

std::string newSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a secret");
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

std::pair<std::string, int> splitHostPort(const std::string& hp) {
  auto colon = hp.rfind(':');
  if (colon == std::string::npos) return {hp, 0};
  try {
    return {hp.substr(0, colon), std::stoi(hp.substr(colon + 1))};
  } catch (const std::exception&) {
    return {hp.substr(0, colon), 0};
  }
}

// Storm's NimbusInfo.toString, which its non-leader names in its refusal.
std::string nimbusInfo(const std::string& hostPort) {
  auto [host, port] = splitHostPort(hostPort);
  return fmt::format("NimbusInfo{{host='{}', port={}, isLeader=true}}", host, port);
}

int workersOf(const Map& conf) {
  auto it = conf.find("topology.workers");
  if (it != conf.end() && it->second.isInt()) {
    return static_cast<int>(std::clamp<int64_t>(it->second.asInt(), 1, 1 << 20));
  }
  return 1;
}

}  // namespace

ClusterNimbus::ClusterNimbus(ClusterNimbusOptions options)
    : options_(std::move(options)), heartbeats_(options_.taskTimeoutSecs, options_.taskLaunchSecs) {
  hostPort_ = fmt::format("{}:{}", options_.core.host, options_.core.port);
}

ClusterNimbus::~ClusterNimbus() {
  stop();
}

int64_t ClusterNimbus::nowMs() const {
  if (options_.core.nowMs) return options_.core.nowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ClusterNimbus::start() {
  // The topologies' secrets are kept where only the cluster reads them (a creator-only ACL),
  // which needs the daemons to authenticate.
  if (options_.zk.authScheme != "digest" || options_.zk.authPayload.empty()) {
    throw std::runtime_error(
        "a cluster nimbus needs storm.zookeeper.auth.scheme: digest and "
        "storm.zookeeper.auth.payload (user:password, shared by the cluster's daemons): the "
        "topologies' secrets are readable only by the cluster");
  }
  startedMs_ = nowMs();
  zk_ = std::make_unique<cluster::ZkClient>(options_.zk);
  zk_->start();
  state_ = std::make_unique<cluster::ClusterState>(*zk_);

  fs::path local = fs::path(options_.core.localDir) / "nimbus";
  ZkTopologyStoreOptions so;
  so.blobDir = (local / "blobs").string();
  so.jarDir = (local / "artifacts").string();
  so.hostPort = hostPort_;
  so.fetchMissing = [this](const std::string& id) { return replicate(id); };
  so.nowMs = options_.core.nowMs;
  store_ = std::make_shared<ZkTopologyStore>(*state_, so);

  NimbusCoreOptions core = options_.core;
  auto userValidate = core.validate;
  core.validate = [this, userValidate](const std::string& name, const TopologyDef& def,
                                       const Map& conf) {
    if (userValidate) userValidate(name, def, conf);
    checkFits(name, def, conf);
  };
  core.onChange = [this](const TopologyRecord& r, bool removed) { onChange(r, removed); };
  core.mayAct = [this] { return isLeader(); };
  // The elector exists before the core's timer thread asks it whether this nimbus leads.
  elector_ = std::make_unique<cluster::LeaderElector>(*zk_, hostPort_);
  core_ = std::make_unique<NimbusCore>(core, store_);

  publish();
  elector_->start([this](bool leading) {
    spdlog::info("nimbus {}: {} leader", hostPort_, leading ? "became" : "is no longer");
    // What this nimbus saw of the heartbeats before is no evidence now: while it did not
    // lead (or could not reach ZooKeeper) it did not look, so it starts afresh.
    ++leaderEpoch_;
    wake();
  });
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  monitor_ = std::thread([this] { monitorLoop(); });
}

void ClusterNimbus::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wakeCv_.notify_all();
  if (monitor_.joinable()) monitor_.join();
  if (elector_) elector_->stop();
  core_.reset();  // its timer thread reads the store
  elector_.reset();
  if (zk_ && !closed_) {
    closed_ = true;
    zk_->close();
  }
}

bool ClusterNimbus::isLeader() const {
  return elector_ && elector_->isLeader();
}

void ClusterNimbus::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wakeCv_.notify_all();
}

void ClusterNimbus::assertIsLeader() {
  if (isLeader()) return;
  auto leader = elector_ ? elector_->leaderId() : std::nullopt;
  throw std::runtime_error("not a leader, current leader is " +
                           (leader ? nimbusInfo(*leader) : std::string("null")));
}

void ClusterNimbus::publish() {
  cluster::NimbusSummary s;
  s.host = options_.core.host;
  s.port = options_.core.port;
  s.uptimeSecs = (nowMs() - startedMs_) / 1000;
  s.isLeader = isLeader();
  s.version = options_.core.version;
  state_->addNimbusHost(hostPort_, s);
}

// --- scheduling ---------------------------------------------------------------------------------

ClusterNimbus::Slots ClusterNimbus::slotsFor(const std::string& topologyId,
                                             const std::optional<cluster::Assignment>& current,
                                             const std::vector<DeadSlot>& dead) {
  Slots out;
  std::set<cluster::NodePort> usedByOthers;
  for (const auto& id : state_->assignments()) {
    if (id == topologyId) continue;
    if (auto a = state_->assignmentInfo(id)) {
      for (const auto& [e, slot] : a->executorNodePort) usedByOthers.insert(slot);
    }
  }
  std::set<std::string> live;
  for (const auto& node : state_->supervisors()) {
    auto info = state_->supervisorInfo(node);
    if (!info) continue;
    live.insert(node);
    out.hosts[node] = info->hostname;
    auto& ports = out.free[node];
    for (int port : info->metaPorts) {
      if (!usedByOthers.count({node, port})) ports.push_back(port);
    }
  }
  // A supervisor gone for less than nimbus.supervisor.timeout.secs keeps its slots: its
  // workers may well be running, and it may come back.
  if (current) {
    int64_t t = nowMs();
    std::lock_guard lock(mu_);
    for (const auto& [e, slot] : current->executorNodePort) {
      if (live.count(slot.node)) continue;
      auto since = missingSinceMs_.find(slot.node);
      if (since == missingSinceMs_.end() ||
          t - since->second < int64_t{options_.supervisorTimeoutSecs} * 1000) {
        auto& ports = out.free[slot.node];
        if (std::find(ports.begin(), ports.end(), slot.port) == ports.end())
          ports.push_back(slot.port);
        if (auto h = current->nodeHost.find(slot.node); h != current->nodeHost.end())
          out.hosts[slot.node] = h->second;
      }
    }
  }
  // Slots whose executors stopped heartbeating are not offered (Storm's even scheduler drops
  // dead slots), so their executors go elsewhere; unless nothing else is left, where moving
  // them nowhere would stop the topology altogether.
  if (!dead.empty()) {
    Slots without = out;
    size_t left = 0;
    for (auto& free : without.free) {
      auto& ports = free.second;
      std::erase_if(ports, [&](int port) {
        return std::any_of(dead.begin(), dead.end(), [&](const DeadSlot& d) {
          return d.slot == cluster::NodePort{free.first, port};
        });
      });
      left += ports.size();
    }
    if (left > 0) return without;
  }
  return out;
}

// Called with scheduleMu_ held.
std::vector<DeadSlot> ClusterNimbus::deadSlotsOf(const TopologyRecord& r,
                                                 const cluster::Assignment& current) {
  if (uint64_t epoch = leaderEpoch_.load(); epoch != heartbeatsEpoch_) {
    heartbeats_.clear();
    heartbeatsEpoch_ = epoch;
  }
  std::map<cluster::NodePort, std::optional<cluster::WorkerHeartbeat>> beats;
  for (const auto& [e, slot] : current.executorNodePort) {
    if (beats.count(slot)) continue;
    try {
      beats[slot] = state_->getWorkerHeartbeat(r.id, slot.node, slot.port);
    } catch (const cluster::ClusterStateError& e) {
      // Unreadable this time: judged on what was seen before.
      spdlog::warn("nimbus: {}", e.what());
    }
  }
  int64_t t = nowMs();
  heartbeats_.update(r.id, current, beats, t);
  // A topology being killed is not worth moving.
  if (r.status == "KILLED") return {};
  return heartbeats_.deadSlots(r.id, current, t);
}

namespace {

std::string executorList(const std::vector<cluster::ExecutorRange>& es) {
  std::string out;
  for (const auto& e : es)
    out += fmt::format("{}[{}-{}]", out.empty() ? "" : " ", e.startTask, e.endTask);
  return out;
}

std::string whyDead(const DeadSlot& d, int timeoutSecs, int launchSecs) {
  if (d.everBeat) {
    return fmt::format("their heartbeat has not changed for {:.1f} s (nimbus.task.timeout.secs {})",
                       d.silentMs / 1000.0, timeoutSecs);
  }
  return fmt::format(
      "no heartbeat {:.1f} s after they were assigned (nimbus.task.launch.secs {}), none in the "
      "{:.1f} s this nimbus watched (nimbus.task.timeout.secs {})",
      d.sinceStartMs / 1000.0, launchSecs, d.silentMs / 1000.0, timeoutSecs);
}

}  // namespace

// Called with scheduleMu_ held.
void ClusterNimbus::logMoves(const TopologyRecord& r, const std::vector<DeadSlot>& dead,
                             const cluster::Assignment& after) {
  std::erase_if(stuckReported_, [&](const auto& k) {
    return k.first == r.id && std::none_of(dead.begin(), dead.end(),
                                           [&](const DeadSlot& d) { return d.slot == k.second; });
  });
  for (const auto& d : dead) {
    std::map<cluster::NodePort, std::vector<cluster::ExecutorRange>> to;
    std::vector<cluster::ExecutorRange> stayed;
    for (const auto& e : d.executors) {
      auto now = after.executorNodePort.find(e);
      if (now == after.executorNodePort.end()) continue;  // no longer in the plan
      if (now->second == d.slot) {
        stayed.push_back(e);
      } else {
        to[now->second].push_back(e);
      }
    }
    std::string why = whyDead(d, options_.taskTimeoutSecs, options_.taskLaunchSecs);
    for (const auto& [slot, es] : to) {
      spdlog::warn("nimbus: {}: moved executors {} from {}:{} to {}:{}: {}", r.id, executorList(es),
                   d.slot.node, d.slot.port, slot.node, slot.port, why);
    }
    if (!stayed.empty() && stuckReported_.insert({r.id, d.slot}).second) {
      spdlog::error(
          "nimbus: {}: executors {} on {}:{} are dead ({}), but no other slot is free; "
          "they stay there",
          r.id, executorList(stayed), d.slot.node, d.slot.port, why);
    }
  }
}

void ClusterNimbus::checkFits(const std::string& name, const TopologyDef& def, const Map& conf) {
  if (!options_.planExecutors) return;
  ScheduleRequest req;
  req.topologyId = name;
  req.executors = options_.planExecutors(name, name + "-check", def, conf);
  req.numWorkers = workersOf(conf);
  req.freeSlots = slotsFor("", std::nullopt).free;
  req.requireAllWorkers = true;
  try {
    scheduleEven(req);
  } catch (const NotEnoughSlots& e) {
    storm::InvalidTopologyException x;
    x.msg = e.what();
    throw x;
  }
}

void ClusterNimbus::schedule(const TopologyRecord& r) {
  if (!options_.planExecutors || !isLeader()) return;
  std::lock_guard lock(scheduleMu_);
  ScheduleRequest req;
  req.topologyId = r.id;
  try {
    req.executors = options_.planExecutors(r.name, r.id, topologyDefOf(r), topologyConfOf(r));
  } catch (const std::exception& e) {
    spdlog::error("nimbus: topology {} cannot be planned, so it is not scheduled: {}", r.id,
                  e.what());
    return;
  }
  req.numWorkers = r.numWorkers;
  req.current = state_->assignmentInfo(r.id);
  std::vector<DeadSlot> dead;
  if (req.current) dead = deadSlotsOf(r, *req.current);
  Slots slots = slotsFor(r.id, req.current, dead);
  req.freeSlots = std::move(slots.free);
  req.hosts = std::move(slots.hosts);
  req.nowSecs = nowMs() / 1000;
  cluster::Assignment a = scheduleEven(req);
  a.masterCodeDir = r.artifact.empty() ? "" : ZkTopologyStore::jarKey(r.id);
  a.owner = r.owner;
  if (req.current && *req.current == a) {
    logMoves(r, dead, a);  // dead executors that found no other slot
    return;
  }
  // The secret first: a supervisor acting on the assignment must find it.
  if (!state_->credentials(r.id)) {
    state_->setCredentials(r.id, {{{kTopologySecretKey, newSecret()}}});
  }
  state_->setAssignment(r.id, a);
  logMoves(r, dead, a);
  std::set<cluster::NodePort> slotsUsed;
  for (const auto& [e, slot] : a.executorNodePort) slotsUsed.insert(slot);
  spdlog::info(
      "nimbus: assigned {} executors of {} to {} worker(s){}", a.executorNodePort.size(), r.id,
      slotsUsed.size(),
      req.current ? fmt::format(" ({} slot(s) changed)", changedSlots(*req.current, a)) : "");
  if (static_cast<int>(slotsUsed.size()) < std::min<int>(r.numWorkers, a.executorNodePort.size())) {
    spdlog::warn("nimbus: {} wants {} workers; {} free slot(s) now", r.id, r.numWorkers,
                 slotsUsed.size());
  }
}

void ClusterNimbus::onChange(const TopologyRecord& r, bool removed) {
  if (removed) return;  // the store removed its assignment with the StormBase
  try {
    schedule(r);
  } catch (const std::exception& e) {
    spdlog::error("nimbus: scheduling {} failed: {}", r.id, e.what());
  }
}

// --- replication --------------------------------------------------------------------------------

bool ClusterNimbus::replicate(const std::string& id) {
  std::lock_guard lock(replicateMu_);
  std::set<std::string> liveNimbuses;
  for (const auto& n : state_->nimbuses())
    liveNimbuses.insert(fmt::format("{}:{}", n.host, n.port));
  bool ok = true;
  for (const auto& key :
       {ZkTopologyStore::codeKey(id), ZkTopologyStore::confKey(id), ZkTopologyStore::jarKey(id)}) {
    auto replicas = state_->blobReplicas(key);
    if (replicas.empty()) continue;  // no jar was uploaded, or the topology is gone
    bool jar = key == ZkTopologyStore::jarKey(id);
    const cluster::BlobReplica* source = nullptr;
    bool haveIt = false;
    for (const auto& r : replicas) {
      std::string path = jar ? store_->jarPath(r.sha256) : store_->blobPath(key);
      if (r.nimbusHostPort == hostPort_ && fs::exists(path)) haveIt = true;
      if (r.nimbusHostPort != hostPort_ && liveNimbuses.count(r.nimbusHostPort) &&
          (!source || r.version > source->version)) {
        source = &r;
      }
    }
    if (haveIt) continue;
    if (!source) {
      ok = false;
      continue;
    }
    std::string dest = jar ? store_->jarPath(source->sha256) : store_->blobPath(key);
    std::string tmp = dest + ".download";
    try {
      fs::create_directories(fs::path(dest).parent_path());
      auto [host, port] = splitHostPort(source->nimbusHostPort);
      thrift::NimbusClientOptions co;
      co.timeoutMs = options_.thriftTimeoutMs;
      co.maxBufferSize = options_.maxBufferSize;
      thrift::NimbusConnection conn(host, port, co);
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        thrift::downloadBlob(conn.client(), key, out, options_.maxBlobBytes);
        if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
      }
      std::string sha = sha256File(tmp);
      if (sha != source->sha256) {
        throw std::runtime_error(
            fmt::format("SHA-256 {} differs from the {} /blobstore records", sha, source->sha256));
      }
      fs::rename(tmp, dest);
      store_->recordReplica(key, dest, source->version);
      spdlog::info("nimbus {}: replicated {} from {}", hostPort_, key, source->nimbusHostPort);
    } catch (const std::exception& e) {
      std::error_code ec;
      fs::remove(tmp, ec);
      spdlog::warn("nimbus {}: cannot replicate {} from {}: {}", hostPort_, key,
                   source->nimbusHostPort, e.what());
      ok = false;
    }
  }
  return ok;
}

// The code and conf of topologies gone from /storms (killed through another nimbus). Only
// files a minute old: a submission writes its blobs before its /storms node.
void ClusterNimbus::removeStaleBlobs(const std::set<std::string>& active) {
  std::error_code ec;
  auto cutoff = fs::file_time_type::clock::now() - std::chrono::minutes(1);
  fs::path dir = fs::path(store_->blobPath("x")).parent_path();
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    for (std::string_view suffix : {"-stormcode.ser", "-stormconf.ser"}) {
      if (name.size() > suffix.size() && name.ends_with(suffix) &&
          !active.count(name.substr(0, name.size() - suffix.size())) &&
          entry.last_write_time(ec) < cutoff) {
        std::error_code rm;
        fs::remove(entry.path(), rm);
      }
    }
  }
}

// --- the monitor --------------------------------------------------------------------------------

void ClusterNimbus::monitorOnce() {
  publish();
  auto wakeMe = [this](const cluster::WatchEvent&) { wake(); };
  auto active = state_->activeStorms(wakeMe);
  for (const auto& id : active) replicate(id);
  removeStaleBlobs(std::set<std::string>(active.begin(), active.end()));
  if (!isLeader()) return;
  // Supervisors that left: remembered from when they were first missed, so their executors
  // move only after nimbus.supervisor.timeout.secs.
  auto liveList = state_->supervisors(wakeMe);
  std::set<std::string> live(liveList.begin(), liveList.end());
  std::set<std::string> assigned;
  for (const auto& id : state_->assignments()) {
    if (auto a = state_->assignmentInfo(id)) {
      for (const auto& [node, host] : a->nodeHost) assigned.insert(node);
    }
  }
  {
    std::lock_guard lock(mu_);
    int64_t t = nowMs();
    for (const auto& node : assigned) {
      if (!live.count(node)) missingSinceMs_.try_emplace(node, t);
    }
    std::erase_if(missingSinceMs_, [&](const auto& kv) { return live.count(kv.first) > 0; });
  }
  std::set<std::string> ids;
  for (const auto& r : store_->list()) {
    ids.insert(r.id);
    try {
      schedule(r);
    } catch (const std::exception& e) {
      spdlog::error("nimbus: scheduling {} failed: {}", r.id, e.what());
    }
  }
  std::optional<int64_t> due;
  {
    std::lock_guard lock(scheduleMu_);
    heartbeats_.retain(ids);
    due = heartbeats_.nextDeadlineMs(nowMs());
  }
  std::lock_guard lock(mu_);
  heartbeatDueMs_ = due.value_or(0);
}

void ClusterNimbus::monitorLoop() {
  while (true) {
    try {
      monitorOnce();
    } catch (const std::exception& e) {
      spdlog::warn("nimbus {}: monitor pass failed: {}", hostPort_, e.what());
    }
    std::unique_lock lock(mu_);
    // Next: the monitor period, or sooner when a missing supervisor's timeout ends.
    int64_t waitMs = int64_t{std::max(1, options_.monitorFreqSecs)} * 1000;
    int64_t t = nowMs();
    for (const auto& [node, since] : missingSinceMs_) {
      int64_t due = since + int64_t{options_.supervisorTimeoutSecs} * 1000 + 1;
      waitMs = std::max<int64_t>(1, std::min(waitMs, due - t));
    }
    // Or when an executor's heartbeat would be older than nimbus.task.timeout.secs.
    // (A deadline already past was judged by the pass just made.)
    if (heartbeatDueMs_ > t)
      waitMs = std::max<int64_t>(1, std::min(waitMs, heartbeatDueMs_ + 1 - t));
    wakeCv_.wait_for(lock, std::chrono::milliseconds(waitMs), [&] { return woken_ || stopping_; });
    if (stopping_) return;
    woken_ = false;
  }
}

// --- the service --------------------------------------------------------------------------------

void ClusterNimbus::submitTopology(const std::string& name, const std::string& uploadedJarLocation,
                                   const std::string& jsonConf,
                                   const storm::StormTopology& topology,
                                   const storm::SubmitOptions& options) {
  assertIsLeader();
  core_->submitTopology(name, uploadedJarLocation, jsonConf, topology, options);
}

void ClusterNimbus::killTopology(const std::string& name, const storm::KillOptions& options) {
  assertIsLeader();
  core_->killTopology(name, options);
}

void ClusterNimbus::activate(const std::string& name) {
  assertIsLeader();
  core_->activate(name);
}

void ClusterNimbus::deactivate(const std::string& name) {
  assertIsLeader();
  core_->deactivate(name);
}

void ClusterNimbus::rebalance(const std::string& name, const storm::RebalanceOptions& options) {
  assertIsLeader();
  // New executor counts reach the workers through the assignment: each worker gives a
  // component as many executors as the assignment has ranges in its tasks (workerPlanFor).
  core_->rebalance(name, options);
}

void ClusterNimbus::setLogConfig(const std::string& id, const storm::LogConfig& config) {
  assertIsLeader();
  core_->getTopologyConf(id);  // NotAliveException for a topology that is not there
  std::lock_guard lock(logConfigMu_);
  logs::LogConfig current;
  if (auto json = state_->logConfig(id)) {
    try {
      current = logs::logConfigFromJson(*json);
    } catch (const std::invalid_argument& e) {
      spdlog::warn("nimbus: /logconfigs/{} is unreadable ({}); replacing it", id, e.what());
    }
  }
  logs::LogConfig merged = logs::mergeLogConfig(std::move(current), fromThrift(config), nowMs());
  state_->setLogConfig(id, logs::logConfigToJson(merged));
  spdlog::info("nimbus: log config of {} is now {}", id, logs::logConfigToJson(merged));
}

void ClusterNimbus::debug(const std::string& name, const std::string& component, bool enable,
                          double samplingPercentage) {
  assertIsLeader();
  std::string id = core_->liveId(name);
  std::lock_guard lock(debugMu_);
  logs::DebugOptions options;
  if (auto json = state_->debugOptions(id)) {
    try {
      options = logs::debugOptionsFromJson(*json);
    } catch (const std::invalid_argument& e) {
      spdlog::warn("nimbus: /debugoptions/{} is unreadable ({}); replacing it", id, e.what());
    }
  }
  options[component.empty() ? id : component] = debugOption(enable, samplingPercentage);
  state_->setDebugOptions(id, logs::debugOptionsToJson(options));
  spdlog::info("nimbus: debug of {}{} {} ({} %)", id,
               component.empty() ? std::string() : " component " + component,
               enable ? "enabled" : "disabled",
               debugOption(enable, samplingPercentage).samplingPct);
}

storm::LogConfig ClusterNimbus::getLogConfig(const std::string& id) {
  core_->getTopologyConf(id);
  auto json = state_->logConfig(id);
  return toThrift(json ? logs::logConfigFromJson(*json) : logs::LogConfig{});
}

std::string ClusterNimbus::beginFileUpload() {
  assertIsLeader();
  return core_->beginFileUpload();
}

void ClusterNimbus::uploadChunk(const std::string& location, const std::string& chunk) {
  assertIsLeader();
  core_->uploadChunk(location, chunk);
}

void ClusterNimbus::finishFileUpload(const std::string& location) {
  assertIsLeader();
  core_->finishFileUpload(location);
}

storm::BeginDownloadResult ClusterNimbus::beginBlobDownload(const std::string& key) {
  return core_->beginBlobDownload(key);
}

std::string ClusterNimbus::downloadBlobChunk(const std::string& session) {
  return core_->downloadBlobChunk(session);
}

std::string ClusterNimbus::getNimbusConf() {
  return core_->getNimbusConf();
}

storm::ClusterSummary ClusterNimbus::getClusterInfo() {
  storm::ClusterSummary out = core_->getClusterInfo();
  std::map<std::string, int> usedByNode;
  std::map<std::string, cluster::Assignment> assignments;
  for (const auto& id : state_->assignments()) {
    if (auto a = state_->assignmentInfo(id)) {
      std::set<cluster::NodePort> slots;
      for (const auto& [e, slot] : a->executorNodePort) slots.insert(slot);
      for (const auto& slot : slots) ++usedByNode[slot.node];
      assignments[id] = std::move(*a);
    }
  }
  for (auto& t : out.topologies) {
    auto a = assignments.find(t.id);
    std::set<cluster::NodePort> slots;
    if (a != assignments.end()) {
      for (const auto& [e, slot] : a->second.executorNodePort) slots.insert(slot);
    }
    t.num_workers = static_cast<int32_t>(slots.size());  // as Storm: the workers assigned
  }
  for (const auto& node : state_->supervisors()) {
    auto info = state_->supervisorInfo(node);
    if (!info) continue;
    storm::SupervisorSummary s;
    s.host = info->hostname;
    s.uptime_secs = static_cast<int32_t>(info->uptimeSecs);
    s.num_workers = static_cast<int32_t>(info->metaPorts.size());
    s.num_used_workers = usedByNode[node];
    s.supervisor_id = node;
    s.__set_version(info->version);
    out.supervisors.push_back(std::move(s));
  }
  out.nimbuses.clear();
  auto leader = elector_->leaderId();
  for (const auto& n : state_->nimbuses()) {
    storm::NimbusSummary s;
    s.host = n.host;
    s.port = n.port;
    s.uptime_secs = static_cast<int32_t>(n.uptimeSecs);
    s.isLeader = leader && *leader == fmt::format("{}:{}", n.host, n.port);
    s.version = n.version;
    out.nimbuses.push_back(std::move(s));
  }
  return out;
}

storm::NimbusSummary ClusterNimbus::getLeader() {
  auto leader = elector_->leaderId();
  if (!leader) throw std::runtime_error("No leader nimbus found (the election has no candidate)");
  storm::NimbusSummary s;
  auto [host, port] = splitHostPort(*leader);
  s.host = host;
  s.port = port;
  s.uptime_secs = 0;
  s.isLeader = true;
  s.version = options_.core.version;
  for (const auto& n : state_->nimbuses()) {
    if (n.host == host && n.port == port) {
      s.uptime_secs = static_cast<int32_t>(n.uptimeSecs);
      s.version = n.version;
    }
  }
  if (*leader == hostPort_) s.uptime_secs = static_cast<int32_t>((nowMs() - startedMs_) / 1000);
  return s;
}

bool ClusterNimbus::isTopologyNameAllowed(const std::string& name) {
  return core_->isTopologyNameAllowed(name);
}

storm::TopologyInfo ClusterNimbus::getTopologyInfo(const std::string& id) {
  storm::TopologyInfo info = core_->getTopologyInfo(id);
  auto a = state_->assignmentInfo(id);
  int64_t nowSecs = nowMs() / 1000;
  std::map<cluster::NodePort, std::optional<cluster::WorkerHeartbeat>> beats;
  auto heartbeatOf = [&](const cluster::NodePort& slot) -> const cluster::WorkerHeartbeat* {
    auto beat = beats.find(slot);
    if (beat == beats.end()) {
      std::optional<cluster::WorkerHeartbeat> hb;
      try {
        hb = state_->getWorkerHeartbeat(id, slot.node, slot.port);
      } catch (const cluster::ClusterStateError& e) {
        spdlog::warn("nimbus: {}", e.what());  // answered as a worker without a heartbeat
      }
      beat = beats.emplace(slot, std::move(hb)).first;
    }
    return beat->second ? &*beat->second : nullptr;
  };
  std::set<std::string> components;
  for (auto& e : info.executors) {
    components.insert(e.component_id);
    e.host = "";
    e.port = 0;
    if (!a) continue;
    cluster::ExecutorRange range{e.executor_info.task_start, e.executor_info.task_end};
    auto slot = a->executorNodePort.find(range);
    if (slot == a->executorNodePort.end()) continue;
    auto host = a->nodeHost.find(slot->second.node);
    e.host = host == a->nodeHost.end() ? slot->second.node : host->second;
    e.port = slot->second.port;
    if (auto t = a->executorStartTimeSecs.find(range); t != a->executorStartTimeSecs.end()) {
      e.uptime_secs = static_cast<int32_t>(std::max<int64_t>(0, nowSecs - t->second));
    }
    // A worker that heartbeats says how long it has really been up, and what its executors
    // did (Storm's ClusterWorkerHeartbeat.executor_stats).
    if (const auto* hb = heartbeatOf(slot->second)) {
      e.uptime_secs = static_cast<int32_t>(hb->uptimeSecs);
      if (auto s = hb->executorStats.find(range); s != hb->executorStats.end()) {
        e.__set_stats(toThrift(s->second));
      }
    }
  }
  // Storm's errors: every component's last errors, newest first, from /errors/ID/COMPONENT.
  for (const auto& component : components) {
    auto& list = info.errors[component];
    std::vector<cluster::ErrorInfo> kept;
    try {
      kept = state_->errors(id, component);
    } catch (const cluster::ClusterStateError& e) {
      spdlog::warn("nimbus: {}", e.what());
    }
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) list.push_back(toThrift(*it));
  }
  // Its debug switches (debug(), on whichever nimbus led then).
  try {
    if (auto json = state_->debugOptions(id)) {
      info.__set_component_debug(componentDebugThrift(logs::debugOptionsFromJson(*json)));
    }
  } catch (const std::exception& e) {
    spdlog::warn("nimbus: /debugoptions/{}: {}", id, e.what());
  }
  // How many nimbuses hold the topology's code, as Storm counts its stormcode.ser replicas.
  std::set<std::string> holders;
  for (const auto& r : state_->blobReplicas(id + "-stormcode.ser"))
    holders.insert(r.nimbusHostPort);
  info.__set_replication_count(static_cast<int32_t>(holders.size()));
  return info;
}

std::string ClusterNimbus::getTopologyConf(const std::string& id) {
  return core_->getTopologyConf(id);
}

storm::StormTopology ClusterNimbus::getTopology(const std::string& id) {
  return core_->getTopology(id);
}

storm::StormTopology ClusterNimbus::getUserTopology(const std::string& id) {
  return core_->getUserTopology(id);
}

}  // namespace squall::nimbus
