#pragma once
// Where the nimbus core keeps its topologies: Storm's StormBase (name, status, workers,
// executors, launch time, owner, pending action) plus the topology's code and configuration.
// The in-process nimbus keeps them in memory (InMemoryTopologyStore); the cluster backs the
// same interface with ZooKeeper (/storms/<id>) and the blob store. Calls are made under the
// core's lock, one at a time.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace squall::nimbus {

struct TopologyRecord {
  std::string id;  // name-counter-secs, as Storm
  std::string name;
  std::string status;      // ACTIVE, INACTIVE, KILLED, REBALANCING
  std::string prevStatus;  // the status a rebalance returns to
  int64_t launchTimeSecs = 0;
  int numWorkers = 1;
  std::map<std::string, int> componentExecutors;
  std::string owner;
  std::string artifact;  // content hash of the uploaded jar; empty when none was uploaded
  std::string jsonConf;  // the topology's configuration (topology.name set)
  std::string topology;  // the submitted StormTopology, Thrift binary (serializeTopology)

  // A pending kill (remove) or rebalance, due at actionDueMs (ms since the epoch).
  enum class Action { None, Kill, Rebalance } action = Action::None;
  int64_t actionDueMs = 0;
  int rebalanceWorkers = 0;  // 0: unchanged
  std::map<std::string, int> rebalanceExecutors;
};

class TopologyStore {
 public:
  virtual ~TopologyStore() = default;
  virtual void put(const TopologyRecord& record) = 0;  // insert or replace, by id
  virtual void remove(const std::string& id) = 0;
  virtual std::optional<TopologyRecord> get(const std::string& id) const = 0;
  virtual std::vector<TopologyRecord> list() const = 0;
};

class InMemoryTopologyStore : public TopologyStore {
 public:
  void put(const TopologyRecord& record) override;
  void remove(const std::string& id) override;
  std::optional<TopologyRecord> get(const std::string& id) const override;
  std::vector<TopologyRecord> list() const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, TopologyRecord> records_;
};

}  // namespace squall::nimbus
