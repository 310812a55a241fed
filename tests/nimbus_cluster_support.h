#pragma once
// A cluster's nimbus over the tests' real ZooKeeper (zk_support.h), for the nimbus_zk_* tests:
// the daemons' digest, a nimbus with its Thrift server, supervisors as nimbus sees them (an
// ephemeral /supervisors/ID of their own session), a small shell topology and its plan.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <set>

#include "cluster/cluster_state.h"
#include "nimbus/cluster_nimbus.h"
#include "thrift/nimbus_server.h"
#include "zk_support.h"

namespace squall::testing {

// The cluster's daemons authenticate with one digest; only they read topology secrets.
inline cluster::ZkOptions daemonZk() {
  auto o = zkOptions();
  o.authScheme = "digest";
  o.authPayload = "squall:cluster-secret";
  return o;
}

inline int freePort() {
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
inline storm::StormTopology topology() {
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
inline std::vector<cluster::ExecutorRange> plan(const std::string&, const std::string&,
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

  // `tune` changes the options before the nimbus starts (timeouts, its port).
  Nimbus(const std::filesystem::path& dir, int supervisorTimeoutSecs = 60,
         const std::function<void(nimbus::ClusterNimbusOptions&)>& tune = {}) {
    nimbus::ClusterNimbusOptions o;
    o.core.localDir = dir.string();
    o.core.port = freePort();
    o.core.version = "test";
    o.zk = daemonZk();
    o.planExecutors = plan;
    o.supervisorTimeoutSecs = supervisorTimeoutSecs;
    if (tune) tune(o);
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
  std::filesystem::path path;
  TempDir() : path(cluster::makeTempDir("squall-nimbus-zk")) {}
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline std::set<std::string> nodesOf(const cluster::Assignment& a) {
  std::set<std::string> out;
  for (const auto& [e, slot] : a.executorNodePort) out.insert(slot.node);
  return out;
}

inline std::string submit(nimbus::ClusterNimbus& n, const std::string& name, int workers) {
  n.submitTopology(name, "", fmt::format(R"({{"topology.workers": {}}})", workers), topology(),
                   storm::SubmitOptions());
  for (const auto& t : n.getClusterInfo().topologies) {
    if (t.name == name) return t.id;
  }
  return "";
}

}  // namespace squall::testing
