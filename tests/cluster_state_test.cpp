// ClusterState (Storm's ZooKeeper layout) and LeaderElector against a real ZooKeeper server.

#include <gtest/gtest.h>

#include <atomic>

#include "cluster/cluster_json.h"
#include "cluster/cluster_state.h"
#include "cluster/leader_elector.h"
#include "zk_support.h"

using namespace squall;
using namespace squall::cluster;
using squall::testing::waitFor;
using squall::testing::zkConnect;
using squall::testing::zkOptions;
using namespace std::chrono_literals;

namespace {

ZkOptions withClusterDigest(ZkOptions o) {
  o.authScheme = "digest";
  o.authPayload = "squall-cluster:0123456789abcdef";
  return o;
}

StormBase sampleBase() {
  StormBase b;
  b.name = "wordcount";
  b.status = cluster::TopologyStatus::Active;
  b.numWorkers = 2;
  b.componentExecutors = {{"split", 2}, {"spout", 1}};
  b.launchTimeSecs = 1700000000;
  b.owner = "alice";
  return b;
}

}  // namespace

TEST(ClusterState, LayoutIsStorms) {
  auto zk = zkConnect(zkOptions());
  ClusterState state(*zk);
  for (const char* dir :
       {"/storms", "/assignments", "/supervisors", "/workerbeats", "/errors", "/blobstore",
        "/nimbuses", "/credentials", "/logconfigs", "/debugoptions"}) {
    EXPECT_TRUE(zk->exists(dir).has_value()) << dir;
  }
}

TEST(ClusterState, LogConfigIsKeptAndGoesWithItsTopology) {
  auto zk = zkConnect(zkOptions());
  ClusterState state(*zk);
  EXPECT_FALSE(state.logConfig("logs-1-1").has_value());
  state.setLogConfig("logs-1-1", R"({"named_logger_level":{}})");
  state.setLogConfig("logs-1-1", R"({"named_logger_level":{"ROOT":{"action":2}}})");
  EXPECT_EQ(state.logConfig("logs-1-1"), R"({"named_logger_level":{"ROOT":{"action":2}}})");
  state.removeStorm("logs-1-1");
  EXPECT_FALSE(state.logConfig("logs-1-1").has_value());
}

TEST(ClusterState, DebugOptionsAreKeptAndGoWithTheirTopology) {
  auto zk = zkConnect(zkOptions());
  ClusterState state(*zk);
  EXPECT_FALSE(state.debugOptions("dbg-1-1").has_value());
  state.setDebugOptions("dbg-1-1", R"({"dbg-1-1":{"enable":true,"samplingpct":10.0}})");
  state.setDebugOptions("dbg-1-1", R"({"count":{"enable":false,"samplingpct":0.0}})");
  EXPECT_EQ(state.debugOptions("dbg-1-1"), R"({"count":{"enable":false,"samplingpct":0.0}})");
  state.removeStorm("dbg-1-1");
  EXPECT_FALSE(state.debugOptions("dbg-1-1").has_value());
}

TEST(ClusterState, StormBaseRoundTripsAndWatchesFire) {
  auto zk = zkConnect(zkOptions());
  ClusterState state(*zk);
  std::atomic<int> listChanged{0}, baseChanged{0};
  EXPECT_TRUE(state.activeStorms([&](const WatchEvent&) { ++listChanged; }).empty());
  StormBase base = sampleBase();
  state.activateStorm("wordcount-1-1700000000", base);
  EXPECT_THROW(state.activateStorm("wordcount-1-1700000000", base), ZkError);
  ASSERT_TRUE(waitFor([&] { return listChanged.load() == 1; }));
  EXPECT_EQ(state.activeStorms(), std::vector<std::string>{"wordcount-1-1700000000"});
  EXPECT_EQ(state.stormBase("wordcount-1-1700000000", [&](const WatchEvent&) { ++baseChanged; }),
            base);

  base.status = cluster::TopologyStatus::Rebalancing;
  base.prevStatus = cluster::TopologyStatus::Active;
  base.actionOptions =
      TopologyActionOptions{TopologyActionOptions::Action::Rebalance, 5, 3, {{"split", 4}}};
  state.updateStorm("wordcount-1-1700000000", base);
  ASSERT_TRUE(waitFor([&] { return baseChanged.load() == 1; }));
  EXPECT_EQ(state.stormBase("wordcount-1-1700000000"), base);
  EXPECT_EQ(state.stormBase("nothing"), std::nullopt);
  EXPECT_THROW(state.stormBase("../escape"), IllegalArgumentException);
}

TEST(ClusterState, AssignmentsHeartbeatsAndErrors) {
  auto zk = zkConnect(zkOptions());
  ClusterState state(*zk);
  const std::string id = "t-1-1";
  Assignment a;
  a.masterCodeDir = "t-1-1-artifact";
  a.nodeHost = {{"sup-a", "host-a"}, {"sup-b", "host-b"}};
  a.executorNodePort = {{{1, 1}, {"sup-a", 6700}}, {{2, 3}, {"sup-b", 6701}}};
  a.executorStartTimeSecs = {{{1, 1}, 100}, {{2, 3}, 101}};
  a.owner = "alice";
  state.setAssignment(id, a);
  EXPECT_EQ(state.assignmentInfo(id), a);
  a.executorNodePort[{2, 3}] = {"sup-a", 6701};
  state.setAssignment(id, a);  // an update, not a second create
  EXPECT_EQ(state.assignmentInfo(id), a);
  EXPECT_EQ(state.assignments(), std::vector<std::string>{id});

  WorkerHeartbeat hb{id, {{1, 1}, {2, 3}}, 1700000001, 12, {}};
  state.workerHeartbeat(id, "sup-a", 6700, hb);
  EXPECT_EQ(state.getWorkerHeartbeat(id, "sup-a", 6700), hb);
  EXPECT_TRUE(zk->exists("/workerbeats/t-1-1/sup-a-6700").has_value());
  EXPECT_EQ(state.getWorkerHeartbeat(id, "sup-a", 6799), std::nullopt);

  // With its executors' statistics; statistics too large for a node are left out, the beat kept.
  ExecutorStats stats;
  stats.emitted = {{"600", {{"default", 5}}}};
  stats.specific = SpoutStats{{{"600", {{"default", 4}}}}, {}, {}};
  hb.executorStats = {{{1, 1}, stats}};
  state.workerHeartbeat(id, "sup-a", 6700, hb);
  EXPECT_EQ(state.getWorkerHeartbeat(id, "sup-a", 6700), hb);
  for (int i = 0; i < 40000; ++i) stats.emitted["600"]["stream-" + std::to_string(i)] = i;
  hb.executorStats = {{{1, 1}, stats}};
  state.workerHeartbeat(id, "sup-a", 6700, hb);
  auto bare = state.getWorkerHeartbeat(id, "sup-a", 6700);
  ASSERT_TRUE(bare.has_value());
  EXPECT_TRUE(bare->executorStats.empty());
  EXPECT_EQ(bare->executors, hb.executors);

  for (int i = 0; i < 12; ++i) {
    state.reportError(id, "split sentence/1",
                      ErrorInfo{"boom " + std::to_string(i), 1000 + i, "host-a", 6700});
  }
  auto errs = state.errors(id, "split sentence/1");
  ASSERT_EQ(errs.size(), ClusterState::kErrorsKept);
  EXPECT_EQ(errs.front().error, "boom 2");
  EXPECT_EQ(errs.back().error, "boom 11");
  EXPECT_EQ(state.lastError(id, "split sentence/1")->error, "boom 11");
  // Storm's URL-encoded component directory.
  EXPECT_TRUE(zk->exists("/errors/t-1-1/split+sentence%2F1").has_value());

  // Without the cluster's digest a secret cannot be stored at all.
  EXPECT_THROW(state.setCredentials(id, Credentials{{{"k", "v"}}}), ZkError);
}

TEST(ClusterState, SupervisorsAndNimbusesAreEphemeral) {
  auto daemon = zkConnect(zkOptions());
  auto observer = zkConnect(zkOptions());
  ClusterState mine(*daemon), theirs(*observer);
  SupervisorInfo info;
  info.timeSecs = 10;
  info.hostname = "host-a";
  info.assignmentId = "sup-a";
  info.metaPorts = {6700, 6701};
  info.usedPorts = {6700};
  info.uptimeSecs = 3;
  info.version = "0.1.0";
  info.resources = {{"supervisor.cpu.capacity", 400.0}};
  mine.supervisorHeartbeat("sup-a", info);
  info.uptimeSecs = 8;
  mine.supervisorHeartbeat("sup-a", info);
  EXPECT_EQ(theirs.supervisorInfo("sup-a"), info);
  mine.addNimbusHost("host-a:6627", NimbusSummary{"host-a", 6627, 5, true, "0.1.0"});
  ASSERT_EQ(theirs.nimbuses().size(), 1u);
  EXPECT_TRUE(theirs.nimbuses()[0].isLeader);

  std::atomic<bool> gone{false};
  theirs.supervisors([&](const WatchEvent&) { gone = true; });
  daemon->close();
  ASSERT_TRUE(waitFor([&] { return gone.load(); }));
  EXPECT_TRUE(theirs.supervisors().empty());
  EXPECT_TRUE(theirs.nimbuses().empty());
}

// A daemon killed with -9 and started again before ZooKeeper expires its old session finds its
// node still there, owned by that session. Updated in place, the node would vanish when the old
// session expires, taking the restarted supervisor (or nimbus) off the cluster until its next
// heartbeat; nimbus could count it gone. The new session must own it.
TEST(ClusterState, RestartedDaemonTakesOverItsNodeFromItsDeadSession) {
  auto killed = zkConnect(zkOptions());
  auto restarted = zkConnect(zkOptions());
  auto observer = zkConnect(zkOptions());
  ClusterState before(*killed), after(*restarted), theirs(*observer);
  SupervisorInfo info;
  info.hostname = "host-a";
  info.assignmentId = "sup-a";
  info.metaPorts = {6700};
  info.uptimeSecs = 100;
  before.supervisorHeartbeat("sup-a", info);
  before.addNimbusHost("host-a:6627", NimbusSummary{"host-a", 6627, 100, true, "0.1.0"});
  info.uptimeSecs = 1;
  after.supervisorHeartbeat("sup-a", info);
  after.addNimbusHost("host-a:6627", NimbusSummary{"host-a", 6627, 1, false, "0.1.0"});
  EXPECT_EQ(theirs.supervisorInfo("sup-a"), info);
  EXPECT_EQ(observer->exists("/supervisors/sup-a")->ephemeralOwner, restarted->sessionId());
  EXPECT_EQ(observer->exists("/nimbuses/host-a:6627")->ephemeralOwner, restarted->sessionId());

  // The old session ends (as ZooKeeper expires it): the restarted daemon's nodes stay.
  killed->close();
  EXPECT_EQ(theirs.supervisorInfo("sup-a"), info);
  ASSERT_EQ(theirs.nimbuses().size(), 1u);
  EXPECT_EQ(theirs.nimbuses()[0].uptimeSecs, 1);
  info.uptimeSecs = 2;
  after.supervisorHeartbeat("sup-a", info);
  EXPECT_EQ(theirs.supervisorInfo("sup-a"), info);
}

TEST(ClusterState, BlobReplicasPerNimbus) {
  auto zk = zkConnect(zkOptions());
  ClusterState state(*zk);
  state.setupBlob("t-1-1-artifact", BlobReplica{"host-a:6627", 1, "aa11", 100});
  state.setupBlob("t-1-1-artifact", BlobReplica{"host-b:6627", 1, "aa11", 100});
  state.setupBlob("t-1-1-artifact", BlobReplica{"host-a:6627", 2, "bb22", 120});  // replaces v1
  auto replicas = state.blobReplicas("t-1-1-artifact");
  ASSERT_EQ(replicas.size(), 2u);
  EXPECT_EQ(replicas[0], (BlobReplica{"host-a:6627", 2, "bb22", 120}));
  EXPECT_EQ(replicas[1], (BlobReplica{"host-b:6627", 1, "aa11", 100}));
  EXPECT_EQ(state.activeKeys(), std::vector<std::string>{"t-1-1-artifact"});
  state.removeBlob("t-1-1-artifact");
  EXPECT_TRUE(state.activeKeys().empty());
}

TEST(ClusterState, CredentialsOnlyForTheCluster) {
  auto nimbus = zkConnect(withClusterDigest(zkOptions()));
  ClusterState state(*nimbus);
  state.activateStorm("t-1-1", sampleBase());
  state.setCredentials("t-1-1", Credentials{{{"squall.worker.secret", "f00d"}}});
  state.setCredentials("t-1-1", Credentials{{{"squall.worker.secret", "beef"}}});
  EXPECT_EQ(state.credentials("t-1-1")->creds.at("squall.worker.secret"), "beef");

  auto supervisor = zkConnect(withClusterDigest(zkOptions()));
  EXPECT_EQ(ClusterState(*supervisor).credentials("t-1-1")->creds.at("squall.worker.secret"),
            "beef");

  auto outsider = zkConnect(zkOptions());
  ClusterState outside(*outsider);
  EXPECT_EQ(outside.stormBase("t-1-1")->name, "wordcount");  // the rest stays readable
  try {
    outside.credentials("t-1-1");
    FAIL() << "read the secret without the cluster's digest";
  } catch (const ZkError& e) {
    EXPECT_TRUE(e.noAuth()) << e.what();
  }
  EXPECT_THROW(outside.setCredentials("t-1-1", Credentials{{{"x", "y"}}}), ZkError);

  state.removeStorm("t-1-1");
  EXPECT_EQ(state.stormBase("t-1-1"), std::nullopt);
  EXPECT_FALSE(nimbus->exists("/credentials/t-1-1").has_value());
}

TEST(ClusterState, BadNodeDataNamesTheNodeAndField) {
  auto zk = zkConnect(zkOptions());
  ClusterState state(*zk);
  zk->create("/storms/bad",
             R"({"name":"x","status":"RUNNING","num_workers":1,"launch_time_secs":1})");
  try {
    state.stormBase("bad");
    FAIL();
  } catch (const ClusterStateError& e) {
    EXPECT_NE(std::string(e.what()).find("/storms/bad"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'status'"), std::string::npos) << e.what();
  }
  zk->create("/assignments/bad", "{not json");
  EXPECT_THROW(state.assignmentInfo("bad"), ClusterStateError);
}

TEST(LeaderElector, OneLeadsAndTheOtherTakesOverWhenItsSessionCloses) {
  auto zkA = zkConnect(zkOptions(2000));
  auto zkB = zkConnect(zkOptions(2000));
  std::atomic<int> aChanges{0};
  std::atomic<bool> bLeads{false};
  LeaderElector a(*zkA, "host-a:6627");
  LeaderElector b(*zkB, "host-b:6627");
  a.start([&](bool) { ++aChanges; });
  b.start([&](bool leads) { bLeads = leads; });
  EXPECT_TRUE(a.isLeader());
  EXPECT_FALSE(b.isLeader());
  EXPECT_EQ(b.leaderId(), "host-a:6627");
  EXPECT_EQ(LeaderElector::currentLeader(*zkB), "host-a:6627");

  auto closedAt = std::chrono::steady_clock::now();
  zkA->close();  // the leader's session ends
  ASSERT_TRUE(waitFor([&] { return bLeads.load(); }, 2000ms)) << "not within the session timeout";
  auto took = std::chrono::steady_clock::now() - closedAt;
  EXPECT_LT(took, 2000ms);
  EXPECT_TRUE(b.isLeader());
  EXPECT_EQ(b.leaderId(), "host-b:6627");
}

TEST(LeaderElector, StopHandsOverAndAThirdWaitsInLine) {
  auto zk1 = zkConnect(zkOptions());
  auto zk2 = zkConnect(zkOptions());
  auto zk3 = zkConnect(zkOptions());
  LeaderElector e1(*zk1, "n1"), e2(*zk2, "n2"), e3(*zk3, "n3");
  e1.start();
  e2.start();
  e3.start();
  EXPECT_TRUE(e1.isLeader());
  e2.stop();  // not the leader: nothing changes, e3 now waits on e1
  EXPECT_TRUE(e1.isLeader());
  EXPECT_FALSE(e3.isLeader());
  e1.stop();
  ASSERT_TRUE(waitFor([&] { return e3.isLeader(); }));
  EXPECT_EQ(LeaderElector::currentLeader(*zk1), "n3");
}

TEST(LeaderElector, LeaderWhoseSessionExpiresEntersAgain) {
  auto zkA = zkConnect(zkOptions());
  auto zkB = zkConnect(zkOptions());
  LeaderElector a(*zkA, "a"), b(*zkB, "b");
  a.start();
  b.start();
  ASSERT_TRUE(a.isLeader());
  endSessionFromAnotherHandle(zkA->options(), zkA->sessionCredentials());
  ASSERT_TRUE(waitFor([&] { return b.isLeader(); }, 30s));
  // a is back in line behind b, with a node of its new session.
  ASSERT_TRUE(waitFor(
      [&] {
        auto kids = zkB->children("/leader-lock");
        return kids.size() == 2;
      },
      30s));
  EXPECT_FALSE(a.isLeader());
  b.stop();
  ASSERT_TRUE(waitFor([&] { return a.isLeader(); }));
}
