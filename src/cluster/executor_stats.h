#pragma once
// ExecutorStats: one executor's statistics as Storm's ClusterWorkerHeartbeat carries them
// (storm.thrift's ExecutorStats, SpoutStats, BoltStats), by window ("600", "10800", "86400",
// ":all-time") and stream. A worker computes them (src/cli/worker_report.h), its supervisor
// relays them in the worker's heartbeat (/workerbeats/ID/NODE-PORT), nimbus answers them in
// getTopologyInfo. Plain data, no Thrift: the cluster layer links no Thrift.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace squall::cluster {

// Storm's windows, in its order; nothing else is accepted in a heartbeat.
inline constexpr std::array<const char*, 4> kStatWindows{"600", "10800", "86400", ":all-time"};

// storm.thrift's GlobalStreamId: the input a bolt's figures are about.
struct StreamId {
  std::string componentId;
  std::string streamId;
  auto operator<=>(const StreamId&) const = default;
};

// window -> key -> value.
template <class K, class V>
using ByWindow = std::map<std::string, std::map<K, V>>;

struct SpoutStats {
  ByWindow<std::string, int64_t> acked;
  ByWindow<std::string, int64_t> failed;
  ByWindow<std::string, double> completeMsAvg;
  bool operator==(const SpoutStats&) const = default;
};

struct BoltStats {
  ByWindow<StreamId, int64_t> acked;
  ByWindow<StreamId, int64_t> failed;
  ByWindow<StreamId, double> processMsAvg;
  ByWindow<StreamId, int64_t> executed;
  ByWindow<StreamId, double> executeMsAvg;
  bool operator==(const BoltStats&) const = default;
};

struct ExecutorStats {
  ByWindow<std::string, int64_t> emitted;
  ByWindow<std::string, int64_t> transferred;
  std::variant<BoltStats, SpoutStats> specific;  // storm.thrift's ExecutorSpecificStats
  double rate = 0;  // the latencies' sampling rate (topology.stats.sample.rate), as Storm's
  bool operator==(const ExecutorStats&) const = default;
};

}  // namespace squall::cluster
