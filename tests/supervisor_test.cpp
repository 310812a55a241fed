// The supervisor (src/supervisor): the cluster assignment as worker assignment files, the
// topology's code from nimbus (hostile jars refused), and the real `squall supervisor` and
// `squall worker` processes against a real ZooKeeper and a real nimbus Thrift server: workers
// started, tuples flowing, a worker killed with -9 restarted, the supervisor killed with -9 with
// its workers running on and adopted by the next one, a topology unassigned and its workers
// stopped. Recovery times are printed.

#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cluster/cluster_state.h"
#include "nimbus/nimbus_core.h"
#include "nimbus/storm_topology_translation.h"
#include "supervisor/stormdist.h"
#include "supervisor/worker_assignment.h"
#include "supervisor/worker_process.h"
#include "thrift/nimbus_client.h"
#include "thrift/nimbus_server.h"
#include "topology/topology_plan.h"
#include "worker/handshake_auth.h"
#include "worker/testing_components.h"
#include "zk_support.h"

namespace fs = std::filesystem;
using namespace squall;
using Clock = std::chrono::steady_clock;

namespace {

struct TempDir {
  fs::path path;
  TempDir() : path(cluster::makeTempDir("squall-supervisor-test")) {}
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

template <class F>
bool eventually(F f, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct ZipEntry {
  ZipEntry(std::string n, std::string c = "", int m = 0644)
      : name(std::move(n)), content(std::move(c)), mode(m) {}
  static ZipEntry link(std::string n, std::string target) {
    ZipEntry e(std::move(n));
    e.symlink = std::move(target);
    return e;
  }
  static ZipEntry directory(std::string n) {
    ZipEntry e(std::move(n));
    e.dir = true;
    return e;
  }
  std::string name;
  std::string content;
  int mode = 0644;
  std::string symlink;  // a symbolic link to this target when set
  bool dir = false;
};

// A zip as a jar tool writes it (Unix modes in the external attributes).
void writeZip(const fs::path& path, const std::vector<ZipEntry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    if (!e.symlink.empty()) {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.symlink.c_str());
      archive_entry_set_perm(entry, 0777);
      archive_entry_set_size(entry, 0);
    } else if (e.dir) {
      archive_entry_set_filetype(entry, AE_IFDIR);
      archive_entry_set_perm(entry, 0755);
      archive_entry_set_size(entry, 0);
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, static_cast<mode_t>(e.mode));
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    }
    ASSERT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    if (!e.content.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

cluster::ExecutorRange ex(int a, int b) {
  return {a, b};
}

// ---------------------------------------------------------------- the worker assignment

TEST(WorkerAssignment, OneWorkerPerSlotNumberedAlikeOnEverySupervisor) {
  cluster::Assignment a;
  a.nodeHost = {{"sup-b", "10.0.0.2"}, {"sup-a", "10.0.0.1"}};
  a.executorNodePort = {{ex(1, 1), {"sup-b", 6700}},
                        {ex(2, 3), {"sup-a", 6701}},
                        {ex(4, 4), {"sup-a", 6700}},
                        {ex(5, 5), {"sup-b", 6700}}};
  worker::Assignment w = supervisor::toWorkerAssignment(a, "t-1-1", "beef");
  EXPECT_EQ(w.topologyId, "t-1-1");
  EXPECT_EQ(w.secret, "beef");
  ASSERT_EQ(w.workers.size(), 3u);  // sup-a:6700, sup-a:6701, sup-b:6700
  EXPECT_EQ(w.workers[0].host, "10.0.0.1");
  EXPECT_EQ(w.workers[0].port, 6700);
  EXPECT_EQ(w.workers[1].port, 6701);
  EXPECT_EQ(w.workers[2].host, "10.0.0.2");
  EXPECT_EQ(w.executorWorker, (std::map<int, int>{{1, 2}, {2, 1}, {4, 0}, {5, 2}}));
  EXPECT_EQ(supervisor::localWorkers(a, "sup-a"), (std::map<int, int>{{6700, 0}, {6701, 1}}));
  EXPECT_EQ(supervisor::localWorkers(a, "sup-b"), (std::map<int, int>{{6700, 2}}));
  EXPECT_TRUE(supervisor::localWorkers(a, "sup-c").empty());
  EXPECT_EQ(supervisor::executorsOf(a, "sup-b", 6700),
            (std::vector<cluster::ExecutorRange>{ex(1, 1), ex(5, 5)}));

  worker::Assignment moved = w;
  moved.workers[2].port = 6702;
  EXPECT_TRUE(supervisor::sameAssignment(w, w));
  EXPECT_FALSE(supervisor::sameAssignment(w, moved));
}

TEST(WorkerAssignment, ANodeWithoutAHostIsNamed) {
  cluster::Assignment a;
  a.nodeHost = {{"sup-a", "10.0.0.1"}};
  a.executorNodePort = {{ex(1, 1), {"sup-a", 6700}}, {ex(2, 2), {"sup-x", 6700}}};
  try {
    supervisor::toWorkerAssignment(a, "t-1-1", "beef");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("sup-x"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t-1-1"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- the code

TEST(Stormdist, ExtractsResourcesAndPythonKeepingExecutableBits) {
  TempDir dir;
  fs::path jar = dir.path / "a.jar";
  writeZip(jar, {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"},
                 ZipEntry::directory("resources/"),
                 {"resources/run.sh", "#!/bin/sh\necho hi\n", 0755},
                 {"resources/sub/data.txt", "data"},
                 ZipEntry::link("resources/data-link", "sub/data.txt"),
                 {"squall-python/pkg/__init__.py", "X = 1\n"},
                 {"topology.yaml", "name: x\n"}});
  fs::path dest = dir.path / "dist";
  fs::create_directories(dest);
  supervisor::extractJarResources(jar.string(), dest.string());
  EXPECT_EQ(readFile(dest / "resources/run.sh"), "#!/bin/sh\necho hi\n");
  EXPECT_TRUE((fs::status(dest / "resources/run.sh").permissions() & fs::perms::owner_exec) !=
              fs::perms::none);
  EXPECT_TRUE((fs::status(dest / "resources/sub/data.txt").permissions() & fs::perms::owner_exec) ==
              fs::perms::none);
  EXPECT_EQ(readFile(dest / "resources/sub/data.txt"), "data");
  EXPECT_TRUE(fs::is_symlink(dest / "resources/data-link"));
  EXPECT_EQ(readFile(dest / "resources/data-link"), "data");
  EXPECT_EQ(readFile(dest / "squall-python/pkg/__init__.py"), "X = 1\n");
  EXPECT_FALSE(fs::exists(dest / "META-INF"));
  EXPECT_FALSE(fs::exists(dest / "topology.yaml"));

  // A jar of registry classes only (a Storm client's submission) has no resources.
  fs::path bare = dir.path / "bare.jar";
  writeZip(bare, {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"}});
  fs::path dest2 = dir.path / "dist2";
  fs::create_directories(dest2);
  supervisor::extractJarResources(bare.string(), dest2.string());
  EXPECT_TRUE(fs::is_empty(dest2));
}

struct Hostile {
  const char* what;
  std::vector<ZipEntry> entries;
  const char* named;  // in the error
};

TEST(Stormdist, RefusesHostileJarsAndWritesNothingOutside) {
  std::vector<Hostile> cases = {
      {"dot-dot", {{"resources/../../escaped.txt", "x"}}, "resources/../../escaped.txt"},
      {"dot-dot outside resources", {{"../escaped.txt", "x"}}, "../escaped.txt"},
      {"absolute", {{"/tmp/escaped.txt", "x"}}, "/tmp/escaped.txt"},
      {"symlink out", {ZipEntry::link("resources/out", "../../..")}, "resources/out"},
      {"absolute symlink", {ZipEntry::link("resources/etc", "/etc")}, "resources/etc"},
      {"write through a symlink",
       {ZipEntry::directory("resources/sub/"),
        ZipEntry::link("resources/l", "sub"),
        {"resources/l/escaped.txt", "x"}},
       "resources/l/escaped.txt"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    fs::path jar = dir.path / "hostile.jar";
    writeZip(jar, c.entries);
    fs::path dest = dir.path / "a" / "b" / "dist";
    fs::create_directories(dest);
    try {
      supervisor::extractJarResources(jar.string(), dest.string());
      ADD_FAILURE() << "extracted a hostile jar";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(c.named), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(jar.string()), std::string::npos) << e.what();
    }
    for (const auto& f : fs::recursive_directory_iterator(dir.path)) {
      EXPECT_NE(f.path().filename(), "escaped.txt") << f.path();
    }
    EXPECT_FALSE(fs::exists("/tmp/escaped.txt"));
  }
}

TEST(Stormdist, BoundsWhatAJarExtracts) {
  TempDir dir;
  fs::path jar = dir.path / "big.jar";
  writeZip(jar, {{"resources/a", std::string(4096, 'a')}, {"resources/b", std::string(4096, 'b')}});
  fs::create_directories(dir.path / "d1");
  supervisor::ExtractLimits bytes;
  bytes.maxBytes = 6000;
  EXPECT_THROW(supervisor::extractJarResources(jar.string(), (dir.path / "d1").string(), bytes),
               std::runtime_error);
  fs::create_directories(dir.path / "d2");
  supervisor::ExtractLimits entries;
  entries.maxEntries = 1;
  EXPECT_THROW(supervisor::extractJarResources(jar.string(), (dir.path / "d2").string(), entries),
               std::runtime_error);
  fs::path notZip = dir.path / "not.jar";
  std::ofstream(notZip) << "not a zip";
  EXPECT_THROW(supervisor::extractJarResources(notZip.string(), dir.path.string()),
               std::runtime_error);
}

TEST(Stormdist, DownloadsAllOrNothing) {
  TempDir dir;
  fs::path jar = dir.path / "a.jar";
  writeZip(jar, {{"resources/run.sh", "#!/bin/sh\n", 0755}});
  std::string jarBytes = readFile(jar);
  fs::path root = dir.path / "stormdist";
  int calls = 0;
  auto fetch = [&](const std::string& key, std::ostream& out) {
    ++calls;
    if (key == "t-1-1-stormjar.jar") {
      out << jarBytes;
    } else if (key == "t-1-1-stormcode.ser") {
      out << "code";
    } else if (key == "t-1-1-stormconf.ser") {
      out << "{}";
    } else {
      return false;
    }
    return true;
  };
  // A failure midway leaves no directory named after the topology, and no temporary one.
  auto failing = [&](const std::string& key, std::ostream& out) {
    if (key.ends_with("stormjar.jar")) throw std::runtime_error("connection lost");
    return fetch(key, out);
  };
  EXPECT_THROW(supervisor::downloadStormDist(failing, "t-1-1", root.string()), std::runtime_error);
  EXPECT_TRUE(fs::is_empty(root));

  std::string d = supervisor::downloadStormDist(fetch, "t-1-1", root.string());
  EXPECT_EQ(fs::path(d), root / "t-1-1");
  EXPECT_EQ(readFile(root / "t-1-1/stormcode.ser"), "code");
  EXPECT_EQ(readFile(root / "t-1-1/stormjar.jar"), jarBytes);
  EXPECT_TRUE(fs::exists(root / "t-1-1/resources/run.sh"));
  int before = calls;
  supervisor::downloadStormDist(fetch, "t-1-1", root.string());  // there already
  EXPECT_EQ(calls, before);

  // No jar (submitted without an upload): the code alone.
  auto noJar = [&](const std::string& key, std::ostream& out) {
    if (key.ends_with("stormjar.jar")) return false;
    out << "x";
    return true;
  };
  d = supervisor::downloadStormDist(noJar, "u-2-2", root.string());
  EXPECT_TRUE(fs::exists(fs::path(d) / "stormcode.ser"));
  EXPECT_FALSE(fs::exists(fs::path(d) / "stormjar.jar"));
  EXPECT_THROW(supervisor::downloadStormDist(fetch, "../x", root.string()), std::runtime_error);
  EXPECT_THROW(supervisor::downloadStormDist(fetch, "none-3-3", root.string()), std::runtime_error);
}

TEST(WorkerProcess, StartTimeTellsAReusedPidApart) {
  TempDir dir;
  supervisor::ProcessId p = supervisor::spawnDetached(
      {"/bin/sh", "-c", "echo out; echo err >&2; exec sleep 30"}, dir.path.string(),
      (dir.path / "o").string(), (dir.path / "e").string());
  EXPECT_TRUE(supervisor::processAlive(p));
  // Its own session: the supervisor's signals (and its terminal's) do not reach it.
  EXPECT_TRUE(eventually([&] { return getsid(p.pid) == p.pid; }));
  supervisor::ProcessId other = p;
  other.startTime += 1;  // the same pid started at another time: not our worker
  EXPECT_FALSE(supervisor::processAlive(other));
  supervisor::writeProcessId((dir.path / "pid").string(), p);
  auto read = supervisor::readProcessId((dir.path / "pid").string());
  ASSERT_TRUE(read);
  EXPECT_EQ(read->pid, p.pid);
  EXPECT_EQ(read->startTime, p.startTime);
  EXPECT_TRUE(eventually([&] { return readFile(dir.path / "e") == "err\n"; }));
  EXPECT_EQ(readFile(dir.path / "o"), "out\n");
  ::kill(p.pid, SIGKILL);
  EXPECT_TRUE(eventually([&] { return !supervisor::processAlive(p); }));
}

// ---------------------------------------------------------------- the processes

storm::JavaObjectArg intArg(int v) {
  storm::JavaObjectArg a;
  a.__set_int_arg(v);
  return a;
}

storm::ComponentCommon common(std::map<storm::GlobalStreamId, storm::Grouping> inputs,
                              std::vector<std::string> fields) {
  storm::ComponentCommon c;
  c.__set_inputs(std::move(inputs));
  storm::StreamInfo s;
  s.__set_output_fields(std::move(fields));
  s.__set_direct(false);
  c.__set_streams({{"default", s}});
  c.__set_parallelism_hint(1);
  return c;
}

// squall.testing.SequenceSpout (ids 0..n-1, acked) shuffled to squall.testing.RecordingBolt,
// as a Storm client would submit them (registry classes by name).
storm::StormTopology sequenceTopology() {
  storm::StormTopology t;
  storm::JavaObject spout;
  spout.__set_full_class_name("squall.testing.SequenceSpout");
  spout.__set_args_list({intArg(1'000'000), intArg(4)});
  storm::SpoutSpec s;
  s.spout_object.__set_java_object(spout);
  s.__set_common(common({}, {"id", "key"}));
  t.spouts["seq"] = s;
  storm::JavaObject bolt;
  bolt.__set_full_class_name("squall.testing.RecordingBolt");
  storm::Bolt b;
  b.bolt_object.__set_java_object(bolt);
  storm::GlobalStreamId from;
  from.__set_componentId("seq");
  from.__set_streamId("default");
  storm::Grouping shuffle;
  shuffle.__set_shuffle(storm::NullStruct());
  b.__set_common(common({{from, shuffle}}, {"id", "key"}));
  t.bolts["record"] = b;
  return t;
}

// `squall supervisor --config FILE`, its output in a file; killed with the test.
struct SupervisorProcess {
  pid_t pid = -1;
  fs::path out;
  SupervisorProcess(const fs::path& config, const fs::path& outFile) : out(outFile) {
    pid_t parent = getpid();
    pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      int fd = ::open(outFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(SQUALL_BIN, SQUALL_BIN, "supervisor", "--config", config.c_str(), nullptr);
      _exit(127);
    }
  }
  std::string output() const { return readFile(out); }
  void kill(int sig) {
    if (pid <= 0) return;
    ::kill(pid, sig);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~SupervisorProcess() { kill(SIGKILL); }
};

// The counters of a worker's heartbeat file (worker.h): "time_ms=... pid=... received=...".
std::map<std::string, int64_t> beat(const fs::path& file) {
  std::map<std::string, int64_t> out;
  std::istringstream in(readFile(file));
  std::string field;
  while (in >> field) {
    auto eq = field.find('=');
    if (eq != std::string::npos) out[field.substr(0, eq)] = std::atoll(field.c_str() + eq + 1);
  }
  return out;
}

TEST(SupervisorProcess, RunsRestartsKeepsAndAdoptsItsWorkers) {
  worker::registerTestingComponents();
  TempDir dir;
  cluster::ZkOptions zo = squall::testing::zkOptions();
  zo.authScheme = "digest";
  zo.authPayload = "squall-cluster:0123456789abcdef";
  auto zk = squall::testing::zkConnect(zo);
  cluster::ClusterState state(*zk);

  // A nimbus serving the topology's blobs; the jar carries resources/.
  nimbus::NimbusCoreOptions no;
  no.localDir = (dir.path / "nimbus").string();
  no.host = "127.0.0.1";
  no.port = freePort();  // getLeader names it
  auto core = std::make_shared<nimbus::NimbusCore>(no);
  thrift::NimbusServerOptions so;
  so.port = no.port;
  thrift::NimbusServer server(core, so);
  server.start();
  fs::path jar = dir.path / "topology.jar";
  writeZip(jar, {{"resources/hello.txt", "hello\n"}});
  thrift::NimbusConnection conn("127.0.0.1", server.port());
  std::string location;
  conn.client().beginFileUpload(location);
  conn.client().uploadChunk(location, readFile(jar));
  conn.client().finishFileUpload(location);
  const std::string conf =
      R"({"topology.workers": 2, "topology.max.spout.pending": 200, "topology.message.timeout.secs": 2})";
  conn.client().submitTopology("seq", location, conf, sequenceTopology());
  std::string id = core->getClusterInfo().topologies.at(0).id;

  // The supervisor's id, given ahead so the assignment can name it.
  const std::string sup = "sup-test-1";
  fs::path local = dir.path / "local", logs = dir.path / "logs";
  fs::create_directories(local / "supervisor");
  std::ofstream(local / "supervisor" / "supervisor-id") << sup << "\n";
  int portA = freePort(), portB = freePort();
  if (portA > portB) std::swap(portA, portB);
  fs::path config = dir.path / "storm.yaml";
  std::ofstream(config) << "storm.zookeeper.servers: [\"127.0.0.1\"]\n"
                        << "storm.zookeeper.port: " << zo.port << "\n"
                        << "storm.zookeeper.root: \"" << zo.root << "\"\n"
                        << "storm.zookeeper.session.timeout: 4000\n"
                        << "storm.zookeeper.auth.scheme: digest\n"
                        << "storm.zookeeper.auth.payload: \"" << zo.authPayload << "\"\n"
                        << "nimbus.seeds: [\"127.0.0.1\"]\n"
                        << "nimbus.thrift.port: " << server.port() << "\n"
                        << "storm.local.dir: \"" << local.string() << "\"\n"
                        << "storm.log.dir: \"" << logs.string() << "\"\n"
                        << "storm.local.hostname: \"127.0.0.1\"\n"
                        << "supervisor.slots.ports: [" << portA << ", " << portB << "]\n"
                        << "supervisor.heartbeat.frequency.secs: 1\n"
                        << "supervisor.monitor.frequency.secs: 1\n"
                        << "supervisor.worker.timeout.secs: 10\n"
                        << "supervisor.worker.shutdown.sleep.secs: 2\n";

  auto supervisor = std::make_unique<SupervisorProcess>(config, dir.path / "supervisor-1.out");
  ASSERT_TRUE(eventually([&] { return state.supervisorInfo(sup).has_value(); }))
      << supervisor->output();
  cluster::SupervisorInfo info = *state.supervisorInfo(sup);
  EXPECT_EQ(info.hostname, "127.0.0.1");
  EXPECT_EQ(info.metaPorts, (std::vector<int>{portA, portB}));

  // The assignment nimbus's scheduler would write: the spout's worker on A, the rest on B.
  StormTopology planned;
  planned.def = nimbus::toTopologyDef(sequenceTopology());
  Config planConf;
  planConf.set(Config::TOPOLOGY_WORKERS, 2);
  auto plan = internal::TopologyPlan::build("seq", id, planConf, planned);
  cluster::Assignment a;
  a.masterCodeDir = id;
  a.nodeHost = {{sup, "127.0.0.1"}};
  for (const auto& [name, cp] : plan->components) {
    for (const auto& ep : cp.executors) {
      a.executorNodePort[{ep.startTask, ep.endTask}] = {sup, name == "seq" ? portA : portB};
    }
  }
  state.setCredentials(
      id, cluster::Credentials{{{supervisor::kWorkerSecretCredential, worker::newSecret()}}});
  auto assigned = Clock::now();
  state.setAssignment(id, a);

  // Index 0 is the spout's worker (port A), 1 the bolt's (port B).
  fs::path beatB = local / "workers" / std::to_string(portB) / "worker-1.heartbeat";
  fs::path beatA = local / "workers" / std::to_string(portA) / "worker-0.heartbeat";
  ASSERT_TRUE(eventually([&] { return beat(beatB)["received"] > 0; }, std::chrono::seconds(60)))
      << supervisor->output();
  std::printf("assignment to tuples received across workers: %.2f s\n", secondsSince(assigned));
  EXPECT_EQ(readFile(local / "supervisor/stormdist" / id / "resources/hello.txt"), "hello\n");
  EXPECT_TRUE(
      fs::exists(logs / "workers-artifacts" / id / std::to_string(portA) / "worker.log.out"));
  EXPECT_TRUE(
      fs::exists(logs / "workers-artifacts" / id / std::to_string(portB) / "worker.log.err"));
  ASSERT_TRUE(eventually([&] { return state.getWorkerHeartbeat(id, sup, portB).has_value(); }));
  EXPECT_FALSE(state.getWorkerHeartbeat(id, sup, portB)->executors.empty());

  auto pidOf = [&](int port) {
    auto p = supervisor::readProcessId((local / "workers" / std::to_string(port) / "pid").string());
    return p.value_or(supervisor::ProcessId{});
  };
  // kill -9 of the bolt's worker: the supervisor starts another, tuples flow to it again.
  supervisor::ProcessId victim = pidOf(portB);
  ASSERT_TRUE(supervisor::processAlive(victim));
  auto killed = Clock::now();
  ::kill(victim.pid, SIGKILL);
  ASSERT_TRUE(eventually([&] {
    int64_t pid = beat(beatB)["pid"];
    return pid > 0 && pid != victim.pid;
  }));
  std::printf("worker killed with -9: its replacement heartbeats after %.2f s\n",
              secondsSince(killed));
  ASSERT_TRUE(eventually(
      [&] {
        auto b = beat(beatB);
        return b["pid"] != victim.pid && b["pid"] > 0 && b["received"] > 0;
      },
      std::chrono::seconds(60)))
      << supervisor->output();
  std::printf(
      "worker killed with -9: tuples received by its replacement after %.2f s (the tuples "
      "in flight to it are replayed at topology.message.timeout.secs, 2 s)\n",
      secondsSince(killed));

  // kill -9 of the supervisor: the workers run on.
  supervisor::ProcessId workerA = pidOf(portA), workerB = pidOf(portB);
  supervisor->kill(SIGKILL);
  auto supervisorKilled = Clock::now();
  int64_t receivedAtKill = beat(beatB)["received"];
  ASSERT_TRUE(eventually([&] { return beat(beatB)["received"] > receivedAtKill; }));
  EXPECT_TRUE(supervisor::processAlive(workerA));
  EXPECT_TRUE(supervisor::processAlive(workerB));

  // A new supervisor (the same id, from its local dir) adopts them.
  supervisor = std::make_unique<SupervisorProcess>(config, dir.path / "supervisor-2.out");
  ASSERT_TRUE(eventually([&] {
    auto i = state.supervisorInfo(sup);
    return i && i->usedPorts.size() == 2 && i->uptimeSecs >= 0 &&
           supervisor->output().find("running on") != std::string::npos;
  })) << supervisor->output();
  std::printf("supervisor killed with -9 and restarted: back in ZooKeeper %.2f s after the kill\n",
              secondsSince(supervisorKilled));
  EXPECT_NE(supervisor->output().find("adopted worker pid " + std::to_string(workerA.pid)),
            std::string::npos)
      << supervisor->output();
  EXPECT_NE(supervisor->output().find("adopted worker pid " + std::to_string(workerB.pid)),
            std::string::npos);
  int64_t receivedAtAdoption = beat(beatB)["received"];
  ASSERT_TRUE(eventually([&] { return beat(beatB)["received"] > receivedAtAdoption; }));
  EXPECT_EQ(pidOf(portA).pid, workerA.pid);
  EXPECT_EQ(pidOf(portB).pid, workerB.pid);
  EXPECT_TRUE(supervisor::processAlive(workerA));
  EXPECT_TRUE(supervisor::processAlive(workerB));
  EXPECT_EQ(supervisor->output().find("started on port"), std::string::npos)
      << supervisor->output();

  // An adopted worker that dies is restarted as well.
  ::kill(workerA.pid, SIGKILL);
  ASSERT_TRUE(eventually([&] {
    auto p = pidOf(portA);
    return p.pid > 0 && p.pid != workerA.pid && beat(beatA)["pid"] == p.pid;
  })) << supervisor->output();

  // The topology unassigned: its workers stop, its code and heartbeats go.
  workerA = pidOf(portA);
  workerB = pidOf(portB);
  auto unassigned = Clock::now();
  state.removeAssignment(id);
  ASSERT_TRUE(eventually([&] {
    return !supervisor::processAlive(workerA) && !supervisor::processAlive(workerB);
  })) << supervisor->output();
  std::printf("topology unassigned: its workers stopped after %.2f s\n", secondsSince(unassigned));
  EXPECT_TRUE(eventually([&] { return !fs::exists(local / "supervisor/stormdist" / id); }));
  EXPECT_TRUE(eventually([&] { return !state.getWorkerHeartbeat(id, sup, portB).has_value(); }));
  supervisor->kill(SIGTERM);
  server.stop();
}

}  // namespace
