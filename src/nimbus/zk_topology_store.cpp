#include "nimbus/zk_topology_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nimbus/artifact_store.h"

namespace squall::nimbus {
namespace fs = std::filesystem;
namespace {

using cluster::StormBase;
using cluster::TopologyActionOptions;
using cluster::TopologyStatus;

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TopologyStatus statusOf(const std::string& s) {
  auto st = cluster::parseTopologyStatus(s);
  return st ? *st : TopologyStatus::Active;
}

}  // namespace

void writeFileAtomically(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, path);
}

ZkTopologyStore::ZkTopologyStore(cluster::ClusterState& state, ZkTopologyStoreOptions options)
    : state_(state), options_(std::move(options)) {
  fs::create_directories(options_.blobDir);
}

int64_t ZkTopologyStore::now() const {
  if (options_.nowMs) return options_.nowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ZkTopologyStore::blobPath(const std::string& key) const {
  return (fs::path(options_.blobDir) / key).string();
}

std::string ZkTopologyStore::jarPath(const std::string& sha256) const {
  return (fs::path(options_.jarDir) / sha256).string();
}

void ZkTopologyStore::recordReplica(const std::string& key, const std::string& path,
                                    int64_t version) {
  cluster::BlobReplica r;
  r.nimbusHostPort = options_.hostPort;
  r.version = version;
  r.sha256 = sha256File(path);
  r.size = static_cast<int64_t>(fs::file_size(path));
  state_.setupBlob(key, r);
}

void ZkTopologyStore::put(const TopologyRecord& r) {
  StormBase base;
  base.name = r.name;
  base.status = statusOf(r.status);
  base.numWorkers = r.numWorkers;
  base.componentExecutors = r.componentExecutors;
  base.launchTimeSecs = r.launchTimeSecs;
  base.owner = r.owner;
  if (!r.prevStatus.empty()) base.prevStatus = statusOf(r.prevStatus);
  if (r.action != TopologyRecord::Action::None) {
    TopologyActionOptions a;
    a.action = r.action == TopologyRecord::Action::Kill ? TopologyActionOptions::Action::Kill
                                                        : TopologyActionOptions::Action::Rebalance;
    a.waitSecs = static_cast<int>(std::max<int64_t>(0, (r.actionDueMs - now() + 999) / 1000));
    if (r.rebalanceWorkers > 0) a.numWorkers = r.rebalanceWorkers;
    a.numExecutors = r.rebalanceExecutors;
    base.actionOptions = a;
  }
  {
    std::lock_guard lock(mu_);
    if (r.action != TopologyRecord::Action::None) {
      dueMs_[r.id] = r.actionDueMs;
    } else {
      dueMs_.erase(r.id);
    }
  }
  // The blobs first: a StormBase others can see always has its code somewhere.
  std::string code = blobPath(codeKey(r.id)), conf = blobPath(confKey(r.id));
  if (!fs::exists(code) || !fs::exists(conf)) {
    writeFileAtomically(code, r.topology);
    writeFileAtomically(conf, r.jsonConf);
    recordReplica(codeKey(r.id), code, blobVersion(r));
    recordReplica(confKey(r.id), conf, blobVersion(r));
    if (!r.artifact.empty()) recordReplica(jarKey(r.id), jarPath(r.artifact), blobVersion(r));
  }
  auto existing = state_.stormBase(r.id);
  if (!existing) {
    state_.activateStorm(r.id, base);
  } else if (*existing != base) {
    state_.updateStorm(r.id, base);
  }
}

void ZkTopologyStore::remove(const std::string& id) {
  state_.removeStorm(id);
  for (const auto& key : {jarKey(id), codeKey(id), confKey(id)}) state_.removeBlob(key);
  std::error_code ec;
  fs::remove(blobPath(codeKey(id)), ec);
  fs::remove(blobPath(confKey(id)), ec);
  std::lock_guard lock(mu_);
  dueMs_.erase(id);
}

std::optional<TopologyRecord> ZkTopologyStore::read(const std::string& id, bool fetch) const {
  auto base = state_.stormBase(id);
  if (!base) return std::nullopt;
  TopologyRecord r;
  r.id = id;
  r.name = base->name;
  r.status = cluster::topologyStatusName(base->status);
  if (base->prevStatus) r.prevStatus = cluster::topologyStatusName(*base->prevStatus);
  r.launchTimeSecs = base->launchTimeSecs;
  r.numWorkers = base->numWorkers;
  r.componentExecutors = base->componentExecutors;
  r.owner = base->owner;
  for (const auto& replica : state_.blobReplicas(jarKey(id))) {
    r.artifact = replica.sha256;
    if (replica.nimbusHostPort == options_.hostPort) break;
  }
  auto code = readFile(blobPath(codeKey(id)));
  auto conf = readFile(blobPath(confKey(id)));
  bool jarMissing = !r.artifact.empty() && !fs::exists(jarPath(r.artifact));
  if ((!code || !conf || jarMissing) && fetch && options_.fetchMissing &&
      options_.fetchMissing(id)) {
    code = readFile(blobPath(codeKey(id)));
    conf = readFile(blobPath(confKey(id)));
  }
  if (!code || !conf) {
    spdlog::warn("topology {}: its code is not on this nimbus yet (no replica could be fetched)",
                 id);
    return std::nullopt;
  }
  r.topology = std::move(*code);
  r.jsonConf = std::move(*conf);
  if (base->actionOptions) {
    const auto& a = *base->actionOptions;
    r.action = a.action == TopologyActionOptions::Action::Kill ? TopologyRecord::Action::Kill
                                                               : TopologyRecord::Action::Rebalance;
    r.rebalanceWorkers = a.numWorkers.value_or(0);
    r.rebalanceExecutors = a.numExecutors;
    std::lock_guard lock(mu_);
    auto [it, inserted] = dueMs_.try_emplace(id, now() + int64_t{a.waitSecs.value_or(0)} * 1000);
    r.actionDueMs = it->second;
  }
  return r;
}

std::optional<TopologyRecord> ZkTopologyStore::get(const std::string& id) const {
  return read(id, true);
}

std::vector<TopologyRecord> ZkTopologyStore::list() const {
  std::vector<TopologyRecord> out;
  for (const auto& id : state_.activeStorms()) {
    if (auto r = read(id, true)) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace squall::nimbus
