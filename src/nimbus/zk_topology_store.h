#pragma once
// ZkTopologyStore: the nimbus core's records kept where every nimbus finds them. The StormBase
// (name, status, workers, executors, launch time, owner, pending kill or rebalance) is
// /storms/ID in ZooKeeper; the code and configuration are blobs in this nimbus's blob dir
// (storm.local.dir/nimbus/blobs/ID-stormcode.ser, ID-stormconf.ser), the jar is the artifact
// store's file (storm.local.dir/nimbus/artifacts/SHA256); /blobstore/KEY/HOST:PORT-VERSION
// records which nimbus holds which copy, with its SHA-256. A nimbus that restarts, or another
// that takes over, reads the same records; blobs it lacks are fetched through `fetchMissing`
// (ClusterNimbus replicates them from a nimbus that has them).
//
// A pending action's due time is kept in memory; a record read without one (another nimbus
// wrote it, or this one restarted) is due its wait_secs from the first read, as Storm's new
// leader starts a delayed kill's wait again. Thread-safe.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "nimbus/topology_store.h"

namespace squall::nimbus {

struct ZkTopologyStoreOptions {
  std::string blobDir;   // code and conf blobs
  std::string jarDir;    // the artifact store's artifacts/ (files named by SHA-256)
  std::string hostPort;  // this nimbus, as /blobstore names replicas
  // Asked to bring a topology's missing blobs here; false when it could not.
  std::function<bool(const std::string& id)> fetchMissing;
  std::function<int64_t()> nowMs;  // default: the system clock
};

class ZkTopologyStore : public TopologyStore {
 public:
  ZkTopologyStore(cluster::ClusterState& state, ZkTopologyStoreOptions options);

  void put(const TopologyRecord& record) override;
  void remove(const std::string& id) override;
  std::optional<TopologyRecord> get(const std::string& id) const override;
  std::vector<TopologyRecord> list() const override;

  // Storm's blob keys of a topology: ID-stormjar.jar, ID-stormcode.ser, ID-stormconf.ser.
  static std::string jarKey(const std::string& id) { return id + "-stormjar.jar"; }
  static std::string codeKey(const std::string& id) { return id + "-stormcode.ser"; }
  static std::string confKey(const std::string& id) { return id + "-stormconf.ser"; }
  // Where this nimbus keeps a code or conf blob, or the jar with this SHA-256.
  std::string blobPath(const std::string& key) const;
  std::string jarPath(const std::string& sha256) const;
  // Records this nimbus's copy of `key` (the file at `path`) in /blobstore.
  void recordReplica(const std::string& key, const std::string& path, int64_t version);
  // The version a topology's blobs carry (as beginBlobDownload announces it).
  static int64_t blobVersion(const TopologyRecord& r) { return r.launchTimeSecs * 1000; }

 private:
  std::optional<TopologyRecord> read(const std::string& id, bool fetch) const;
  int64_t now() const;

  cluster::ClusterState& state_;
  ZkTopologyStoreOptions options_;
  mutable std::mutex mu_;
  mutable std::map<std::string, int64_t> dueMs_;  // id -> a pending action's due time
};

// Writes `bytes` to `path` through a temporary file and a rename, so a reader never sees half.
void writeFileAtomically(const std::string& path, const std::string& bytes);

}  // namespace squall::nimbus
