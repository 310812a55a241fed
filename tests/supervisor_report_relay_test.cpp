// relayWorkerReport (src/supervisor/worker_report_relay.h) against a real ZooKeeper: a worker's
// report reaches its heartbeat and /errors, each error once (also after the supervisor
// restarts), a restarted worker's errors again, and a bad report costs only the statistics.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cluster/cluster_state.h"
#include "cluster/worker_report.h"
#include "cluster/zookeeper_server.h"
#include "supervisor/worker_report_relay.h"
#include "zk_support.h"

using namespace squall;
using namespace squall::cluster;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path{makeTempDir("squall-relay-test")};
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void writeReport(const fs::path& dir, const std::string& json) {
  std::ofstream(dir / "worker-1.report", std::ios::trunc) << json;
}

ExecutorStats boltStats(int64_t executed) {
  ExecutorStats s;
  s.emitted = {{":all-time", {{"default", executed}}}};
  BoltStats b;
  b.executed = {{":all-time", {{StreamId{"spout", "default"}, executed}}}};
  s.specific = b;
  return s;
}

WorkerHeartbeat beat(const std::string& id) {
  WorkerHeartbeat hb;
  hb.stormId = id;
  hb.executors = {{2, 2}, {3, 4}};
  return hb;
}

}  // namespace

TEST(WorkerReportRelay, StatsToTheHeartbeatErrorsOnceToZooKeeper) {
  TempDir dir;
  auto zk = squall::testing::zkConnect(squall::testing::zkOptions());
  ClusterState state(*zk);
  const std::string id = "ops-1-1";

  // No report yet: the heartbeat goes without statistics.
  WorkerHeartbeat hb = beat(id);
  supervisor::relayWorkerReport(state, dir.path.string(), 1, "host-a", 6701, hb);
  EXPECT_TRUE(hb.executorStats.empty());

  WorkerReport r;
  r.pid = 100;
  // [9-9] is not this worker's (a stale or foreign entry): left out of its heartbeat.
  r.executorStats = {{{2, 2}, boltStats(5)}, {{9, 9}, boltStats(7)}};
  r.errors = {{1, "check", "Traceback (most recent call last):\n  line 1\nValueError: x", 11},
              {2, "check", "second", 12}};
  writeReport(dir.path, toJson(r));
  hb = beat(id);
  supervisor::relayWorkerReport(state, dir.path.string(), 1, "host-a", 6701, hb);
  ASSERT_EQ(hb.executorStats.size(), 1u);
  EXPECT_EQ(hb.executorStats.at({2, 2}), boltStats(5));
  auto errors = state.errors(id, "check");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], (ErrorInfo{r.errors[0].error, 11, "host-a", 6701}));
  EXPECT_EQ(errors[1].error, "second");

  // The same report again, and one with a new error, as a restarted supervisor reads them:
  // only the new error is added.
  hb = beat(id);
  supervisor::relayWorkerReport(state, dir.path.string(), 1, "host-a", 6701, hb);
  EXPECT_EQ(state.errors(id, "check").size(), 2u);
  r.errors.push_back({3, "sink", "third", 13});
  writeReport(dir.path, toJson(r));
  hb = beat(id);
  supervisor::relayWorkerReport(state, dir.path.string(), 1, "host-a", 6701, hb);
  EXPECT_EQ(state.errors(id, "check").size(), 2u);
  EXPECT_EQ(state.errors(id, "sink").size(), 1u);

  // A restarted worker (another pid) numbers its errors from 1 again: they are new.
  r.pid = 101;
  r.errors = {{1, "check", "after the restart", 20}};
  writeReport(dir.path, toJson(r));
  hb = beat(id);
  supervisor::relayWorkerReport(state, dir.path.string(), 1, "host-a", 6701, hb);
  errors = state.errors(id, "check");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors.back().error, "after the restart");

  // A bad report: no statistics, no error relayed, nothing thrown.
  writeReport(dir.path, R"({"pid": 102, "executor_stats": [[1, 1, {"spout": 3}]]})");
  hb = beat(id);
  supervisor::relayWorkerReport(state, dir.path.string(), 1, "host-a", 6701, hb);
  EXPECT_TRUE(hb.executorStats.empty());
  EXPECT_EQ(state.errors(id, "check").size(), 3u);
}
