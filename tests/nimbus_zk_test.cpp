// The cluster's nimbus over a real ZooKeeper (tests/zk_support.h) and real Thrift servers:
// topologies kept in ZooKeeper and seen by a second nimbus, which refuses changes while it does
// not lead, copies the blobs, and takes over when the leader stops; the scheduler's assignment
// in /assignments on submit, refusal of a topology that does not fit, reassignment after a
// supervisor's ZooKeeper session ends.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "cluster/cluster_state.h"
#include "nimbus/cluster_nimbus.h"
#include "nimbus/even_scheduler.h"
#include "thrift/nimbus_server.h"
#include "zk_support.h"

namespace fs = std::filesystem;
using namespace squall;
using squall::testing::waitFor;
using squall::testing::zkConnect;
using squall::testing::zkOptions;

namespace {

// The cluster's daemons authenticate with one digest; only they read topology secrets.
cluster::ZkOptions daemonZk() {
  auto o = zkOptions();
  o.authScheme = "digest";
  o.authPayload = "squall:cluster-secret";
  return o;
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A spout `words` (2 executors) and a bolt `count` (3), shell components so no class is needed.
storm::StormTopology topology() {
  auto common = [](int parallelism, std::vector<std::string> fields) {
    storm::ComponentCommon c;
    storm::StreamInfo s;
    s.output_fields = std::move(fields);
    s.direct = false;
    c.streams["default"] = s;
    c.__set_parallelism_hint(parallelism);
    c.__set_json_conf("{}");
    return c;
  };
  auto shell = [](const std::string& script) {
    storm::ComponentObject o;
    storm::ShellComponent sh;
    sh.__set_execution_command("python3");
    sh.__set_script(script);
    o.__set_shell(sh);
    return o;
  };
  storm::StormTopology t;
  storm::SpoutSpec spout;
  spout.spout_object = shell("words.py");
  spout.common = common(2, {"word"});
  t.spouts["words"] = spout;
  storm::Bolt bolt;
  bolt.bolt_object = shell("count.py");
  bolt.common = common(3, {"word", "count"});
  storm::GlobalStreamId in;
  in.componentId = "words";
  in.streamId = "default";
  storm::Grouping g;
  g.__set_fields({"word"});
  bolt.common.inputs[in] = g;
  t.bolts["count"] = bolt;
  return t;
}

// The executors as the engine numbers them for this topology (components sorted, tasks from 1,
// one task per executor, one acker per worker), standing in for TopologyPlan.
std::vector<cluster::ExecutorRange> plan(const std::string&, const std::string&,
                                         const TopologyDef& def, const Map& conf) {
  std::map<std::string, int> executors;
  for (const auto& c : def.components) executors[c.id] = c.parallelism;
  auto w = conf.find("topology.workers");
  executors["__acker"] = w != conf.end() && w->second.isInt() ? int(w->second.asInt()) : 1;
  std::vector<cluster::ExecutorRange> out;
  int task = 1;
  for (const auto& [id, n] : executors) {
    for (int i = 0; i < n; ++i, ++task) out.push_back({task, task});
  }
  return out;
}

// One nimbus with its Thrift server (others download blobs through it).
struct Nimbus {
  std::shared_ptr<nimbus::ClusterNimbus> nimbus;
  std::unique_ptr<thrift::NimbusServer> server;

  Nimbus(const fs::path& dir, int supervisorTimeoutSecs = 60) {
    nimbus::ClusterNimbusOptions o;
    o.core.localDir = dir.string();
    o.core.port = freePort();
    o.core.version = "test";
    o.zk = daemonZk();
    o.planExecutors = plan;
    o.supervisorTimeoutSecs = supervisorTimeoutSecs;
    nimbus = std::make_shared<nimbus::ClusterNimbus>(o);
    nimbus->start();
    thrift::NimbusServerOptions so;
    so.port = o.core.port;
    server = std::make_unique<thrift::NimbusServer>(nimbus, so);
    server->start();
  }
  ~Nimbus() { stop(); }
  void stop() {
    if (server) server->stop();
    server.reset();
    if (nimbus) nimbus->stop();
  }
};

// A supervisor as nimbus sees one: an ephemeral /supervisors/ID of its own session.
struct Supervisor {
  std::unique_ptr<cluster::ZkClient> zk;
  Supervisor(const std::string& id, std::vector<int> ports) : zk(zkConnect(zkOptions())) {
    cluster::ClusterState state(*zk);
    cluster::SupervisorInfo info;
    info.hostname = "host-" + id;
    info.metaPorts = std::move(ports);
    info.timeSecs = 1;
    state.supervisorHeartbeat(id, info);
  }
  void die() { zk->close(); }
};

struct TempDir {
  fs::path path;
  TempDir() : path(cluster::makeTempDir("squall-nimbus-zk")) {}
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::set<std::string> nodesOf(const cluster::Assignment& a) {
  std::set<std::string> out;
  for (const auto& [e, slot] : a.executorNodePort) out.insert(slot.node);
  return out;
}

std::string submit(nimbus::ClusterNimbus& n, const std::string& name, int workers) {
  n.submitTopology(name, "", fmt::format(R"({{"topology.workers": {}}})", workers), topology(),
                   storm::SubmitOptions());
  for (const auto& t : n.getClusterInfo().topologies) {
    if (t.name == name) return t.id;
  }
  return "";
}

}  // namespace

TEST(NimbusZk, SecondNimbusSeesTopologiesRefusesChangesAndTakesOver) {
  TempDir dir;
  auto observer = zkConnect(daemonZk());
  cluster::ClusterState state(*observer);
  Supervisor a("sup-a", {6700, 6701}), b("sup-b", {6700, 6701});
  auto first = std::make_unique<Nimbus>(dir.path / "n1");
  ASSERT_TRUE(waitFor([&] { return first->nimbus->isLeader(); }));
  Nimbus second(dir.path / "n2");

  std::string id = submit(*first->nimbus, "words", 2);
  ASSERT_FALSE(id.empty());
  // Scheduled at once, on both supervisors, with the secret made before.
  auto assignment = state.assignmentInfo(id);
  ASSERT_TRUE(assignment);
  EXPECT_EQ(nodesOf(*assignment), (std::set<std::string>{"sup-a", "sup-b"}));
  EXPECT_EQ(assignment->executorNodePort.size(), 7u);  // 2 + 3 + 2 ackers
  EXPECT_EQ(assignment->nodeHost.at("sup-a"), "host-sup-a");
  auto creds = state.credentials(id);
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->creds.at(nimbus::kTopologySecretKey).size(), 64u);
  {
    auto outsider = zkConnect(zkOptions());  // no digest: the secret stays hidden
    cluster::ClusterState other(*outsider);
    EXPECT_THROW(other.credentials(id), cluster::ZkError);
  }

  // The second nimbus sees the topology, both nimbuses, the supervisors and their used slots.
  auto info = second.nimbus->getClusterInfo();
  ASSERT_EQ(info.topologies.size(), 1u);
  EXPECT_EQ(info.topologies[0].id, id);
  EXPECT_EQ(info.topologies[0].num_workers, 2);
  EXPECT_EQ(info.nimbuses.size(), 2u);
  ASSERT_EQ(info.supervisors.size(), 2u);
  for (const auto& s : info.supervisors) {
    EXPECT_EQ(s.num_workers, 2);
    EXPECT_EQ(s.num_used_workers, 1);
  }
  EXPECT_EQ(second.nimbus->getLeader().port, first->nimbus->getLeader().port);

  // It refuses changes as Storm's non-leader does, naming the leader.
  try {
    second.nimbus->killTopology("words", storm::KillOptions());
    FAIL() << "a non-leader killed a topology";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  fmt::format("not a leader, current leader is NimbusInfo{{host='127.0.0.1', "
                              "port={}, isLeader=true}}",
                              first->nimbus->getLeader().port)),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(second.nimbus->beginFileUpload(), std::runtime_error);

  // It holds a copy of the code and conf, checked against the SHA-256 in /blobstore.
  auto holds = [&](const std::string& key) {
    for (const auto& r : state.blobReplicas(key)) {
      if (r.nimbusHostPort == second.nimbus->hostPort()) return true;
    }
    return false;
  };
  ASSERT_TRUE(
      waitFor([&] { return holds(id + "-stormcode.ser") && holds(id + "-stormconf.ser"); }));

  // The leader stops: the second leads, serves the topology and keeps its assignment.
  auto stopped = std::chrono::steady_clock::now();
  first.reset();
  ASSERT_TRUE(waitFor([&] { return second.nimbus->isLeader(); }, std::chrono::seconds(20)));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  stopped)
                .count();
  std::printf("new leader %lld ms after the leader stopped\n", static_cast<long long>(ms));
  EXPECT_EQ(state.assignmentInfo(id), assignment);
  auto ti = second.nimbus->getTopologyInfo(id);
  ASSERT_EQ(ti.executors.size(), 7u);
  for (const auto& e : ti.executors) {
    auto slot =
        assignment->executorNodePort.at({e.executor_info.task_start, e.executor_info.task_end});
    EXPECT_EQ(e.port, slot.port);
    EXPECT_EQ(e.host, "host-" + slot.node);
  }
  auto code = second.nimbus->beginBlobDownload(id + "-stormcode.ser");
  EXPECT_GT(code.data_size, 0);

  storm::KillOptions now;
  now.__set_wait_secs(0);
  second.nimbus->killTopology("words", now);
  ASSERT_TRUE(waitFor([&] { return !state.stormBase(id) && !state.assignmentInfo(id); }));
  EXPECT_TRUE(second.nimbus->getClusterInfo().topologies.empty());
}

TEST(NimbusZk, RefusesATopologyThatDoesNotFitTheFreeSlots) {
  TempDir dir;
  Supervisor a("sup-a", {6700});
  Nimbus n(dir.path / "n1");
  ASSERT_TRUE(waitFor([&] { return n.nimbus->isLeader(); }));
  try {
    submit(*n.nimbus, "big", 3);
    FAIL() << "3 workers accepted on 1 slot";
  } catch (const storm::InvalidTopologyException& e) {
    EXPECT_NE(e.msg.find("needs 3 worker slot(s) but the cluster has 1 free (1 free on sup-a)"),
              std::string::npos)
        << e.msg;
  }
  EXPECT_TRUE(n.nimbus->getClusterInfo().topologies.empty());
  // One that fits takes the slot; the next finds none free.
  submit(*n.nimbus, "small", 1);
  EXPECT_THROW(submit(*n.nimbus, "other", 1), storm::InvalidTopologyException);
}

TEST(NimbusZk, ReassignsAfterASupervisorIsGoneForItsTimeout) {
  TempDir dir;
  auto observer = zkConnect(zkOptions());
  cluster::ClusterState state(*observer);
  Supervisor a("sup-a", {6700, 6701}), b("sup-b", {6700, 6701});
  Nimbus n(dir.path / "n1", /*supervisorTimeoutSecs=*/1);
  ASSERT_TRUE(waitFor([&] { return n.nimbus->isLeader(); }));
  std::string id = submit(*n.nimbus, "words", 2);
  auto before = state.assignmentInfo(id);
  ASSERT_TRUE(before);
  ASSERT_EQ(nodesOf(*before), (std::set<std::string>{"sup-a", "sup-b"}));

  auto lost = std::chrono::steady_clock::now();
  b.die();
  ASSERT_TRUE(waitFor(
      [&] {
        auto now = state.assignmentInfo(id);
        return now && nodesOf(*now) == std::set<std::string>{"sup-a"};
      },
      std::chrono::seconds(20)));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - lost)
          .count();
  std::printf("reassigned %lld ms after the supervisor's session ended (timeout 1 s)\n",
              static_cast<long long>(ms));
  // Not before the timeout, and what ran on sup-a did not move.
  EXPECT_GE(ms, 1000);
  auto after = *state.assignmentInfo(id);
  for (const auto& [e, slot] : before->executorNodePort) {
    if (slot.node == "sup-a") {
      EXPECT_EQ(after.executorNodePort.at(e), slot);
    }
  }
  EXPECT_EQ(after.executorNodePort.size(), 7u);

  // A rebalance to one worker moves only the executors of the dropped worker.
  storm::RebalanceOptions one;
  one.__set_wait_secs(0);
  one.__set_num_workers(1);
  n.nimbus->rebalance("words", one);
  ASSERT_TRUE(waitFor([&] {
    auto now = state.assignmentInfo(id);
    std::set<cluster::NodePort> slots;
    if (now) {
      for (const auto& [e, slot] : now->executorNodePort) slots.insert(slot);
    }
    return slots.size() == 1;
  }));
}
