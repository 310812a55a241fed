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
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <variant>

#include "cluster/cluster_state.h"
#include "free_port.h"
#include "nimbus/json_conf.h"
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

using squall::testing::freePort;

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
  // Each worker numbered after the rank of its first executor: [1-1] 0, [2-3] 1, [4-4] 2.
  ASSERT_EQ(w.workers.size(), 3u);
  EXPECT_EQ(w.workers[0].host, "10.0.0.2");
  EXPECT_EQ(w.workers[0].port, 6700);
  EXPECT_EQ(w.workers[1].host, "10.0.0.1");
  EXPECT_EQ(w.workers[1].port, 6701);
  EXPECT_EQ(w.workers[2].port, 6700);
  EXPECT_EQ(w.executorWorker, (std::map<int, int>{{1, 0}, {2, 1}, {4, 2}, {5, 0}}));
  EXPECT_EQ(supervisor::localWorkers(a, "sup-a"), (std::map<int, int>{{6700, 2}, {6701, 1}}));
  EXPECT_EQ(supervisor::localWorkers(a, "sup-b"), (std::map<int, int>{{6700, 0}}));
  EXPECT_TRUE(supervisor::localWorkers(a, "sup-c").empty());
  EXPECT_EQ(supervisor::executorsOf(a, "sup-b", 6700),
            (std::vector<cluster::ExecutorRange>{ex(1, 1), ex(5, 5)}));
  EXPECT_EQ(supervisor::executorsOfWorker(w, 0), (std::set<int>{1, 5}));

  worker::Assignment moved = w;
  moved.workers[2].port = 6702;
  EXPECT_TRUE(supervisor::sameAssignment(w, w));
  EXPECT_FALSE(supervisor::sameAssignment(w, moved));
}

TEST(WorkerAssignment, AWorkerKeepsItsIndexWhileItsExecutorsStay) {
  cluster::Assignment a;
  a.nodeHost = {{"sup-a", "10.0.0.1"}, {"sup-b", "10.0.0.2"}, {"sup-c", "10.0.0.3"}};
  a.executorNodePort = {{ex(1, 1), {"sup-a", 6700}},
                        {ex(2, 2), {"sup-b", 6700}},
                        {ex(3, 3), {"sup-c", 6700}},
                        {ex(4, 4), {"sup-a", 6700}}};
  worker::Assignment before = supervisor::toWorkerAssignment(a, "t-1-1", "beef");
  EXPECT_EQ(supervisor::localWorkers(a, "sup-c"), (std::map<int, int>{{6700, 2}}));

  // sup-a's worker leaves (its supervisor lost); its executors go to a new slot that sorts
  // after the others. Numbered by (node, port), sup-b's and sup-c's workers would shift.
  cluster::Assignment lost = a;
  lost.nodeHost["sup-z"] = "10.0.0.9";
  lost.executorNodePort[ex(1, 1)] = {"sup-z", 6700};
  lost.executorNodePort[ex(4, 4)] = {"sup-z", 6700};
  worker::Assignment after = supervisor::toWorkerAssignment(lost, "t-1-1", "beef");
  EXPECT_EQ(supervisor::localWorkers(lost, "sup-b"), (std::map<int, int>{{6700, 1}}));
  EXPECT_EQ(supervisor::localWorkers(lost, "sup-c"), (std::map<int, int>{{6700, 2}}));
  EXPECT_EQ(supervisor::localWorkers(lost, "sup-z"), (std::map<int, int>{{6700, 0}}));
  EXPECT_EQ(after.executorWorker, before.executorWorker);
  EXPECT_EQ(after.workers[0].host, "10.0.0.9");

  // sup-b's worker leaves and its executor joins sup-a's: index 1 is a gap, sup-c's stays 2.
  cluster::Assignment merged = a;
  merged.executorNodePort[ex(2, 2)] = {"sup-a", 6700};
  worker::Assignment gap = supervisor::toWorkerAssignment(merged, "t-1-1", "beef");
  ASSERT_EQ(gap.workers.size(), 3u);
  EXPECT_FALSE(gap.hasWorker(1));
  EXPECT_EQ(gap.numWorkers(), 2);
  EXPECT_EQ(supervisor::executorsOfWorker(gap, 2), supervisor::executorsOfWorker(before, 2));
  EXPECT_EQ(supervisor::localWorkers(merged, "sup-c"), (std::map<int, int>{{6700, 2}}));

  // The file keeps the gap.
  TempDir dir;
  gap.secret = worker::newSecret();
  worker::writeAssignment((dir.path / "assignment").string(), gap);
  worker::Assignment read = worker::readAssignment((dir.path / "assignment").string());
  EXPECT_TRUE(supervisor::sameAssignment(read, gap));
  EXPECT_FALSE(read.hasWorker(1));
  EXPECT_EQ(read.workers[2].host, "10.0.0.3");
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

// The abstract unix sockets of this network namespace whose name starts with `prefix`
// (listeners and the connections they accepted carry the listener's name), from /proc/net/unix.
int unixSocketsNamed(const std::string& prefix) {
  std::istringstream in(readFile("/proc/net/unix"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto at = line.rfind(' ');
    if (at != std::string::npos && line.compare(at + 1, prefix.size() + 1, "@" + prefix) == 0) {
      ++n;
    }
  }
  return n;
}

// A real ZooKeeper (each test under its own root) and a nimbus serving the blobs of
// sequenceTopology() submitted with `conf` (its jar carries resources/); the tests write the
// assignments themselves, as nimbus's scheduler would.
struct ClusterRig {
  TempDir dir;
  cluster::ZkOptions zo;
  std::unique_ptr<cluster::ZkClient> zk;
  std::unique_ptr<cluster::ClusterState> state;
  std::shared_ptr<nimbus::NimbusCore> core;
  std::unique_ptr<thrift::NimbusServer> server;
  std::string id;

  explicit ClusterRig(const std::string& conf) {
    worker::registerTestingComponents();
    zo = squall::testing::zkOptions();
    zo.authScheme = "digest";
    zo.authPayload = "squall-cluster:0123456789abcdef";
    zk = squall::testing::zkConnect(zo);
    state = std::make_unique<cluster::ClusterState>(*zk);
    nimbus::NimbusCoreOptions no;
    no.localDir = (dir.path / "nimbus").string();
    no.host = "127.0.0.1";
    no.port = freePort();  // getLeader names it
    core = std::make_shared<nimbus::NimbusCore>(no);
    thrift::NimbusServerOptions so;
    so.port = no.port;
    server = std::make_unique<thrift::NimbusServer>(core, so);
    server->start();
    fs::path jar = dir.path / "topology.jar";
    writeZip(jar, {{"resources/hello.txt", "hello\n"}});
    thrift::NimbusConnection conn("127.0.0.1", server->port());
    std::string location;
    conn.client().beginFileUpload(location);
    conn.client().uploadChunk(location, readFile(jar));
    conn.client().finishFileUpload(location);
    conn.client().submitTopology("seq", location, conf, sequenceTopology());
    id = core->getClusterInfo().topologies.at(0).id;
    state->setCredentials(
        id, cluster::Credentials{{{supervisor::kWorkerSecretCredential, worker::newSecret()}}});
  }
  ~ClusterRig() { server->stop(); }

  // The storm.yaml of supervisor `sup` (its id given ahead, so that assignments can name it)
  // with local and log dirs under dir/NAME.
  fs::path supervisorConfig(const std::string& name, const std::string& sup,
                            const std::vector<int>& ports) const {
    fs::path local = dir.path / name / "local", logs = dir.path / name / "logs";
    fs::create_directories(local / "supervisor");
    std::ofstream(local / "supervisor" / "supervisor-id") << sup << "\n";
    std::string slots;
    for (int p : ports) slots += (slots.empty() ? "" : ", ") + std::to_string(p);
    fs::path config = dir.path / name / "storm.yaml";
    std::ofstream(config) << "storm.zookeeper.servers: [\"127.0.0.1\"]\n"
                          << "storm.zookeeper.port: " << zo.port << "\n"
                          << "storm.zookeeper.root: \"" << zo.root << "\"\n"
                          << "storm.zookeeper.session.timeout: 4000\n"
                          << "storm.zookeeper.auth.scheme: digest\n"
                          << "storm.zookeeper.auth.payload: \"" << zo.authPayload << "\"\n"
                          << "nimbus.seeds: [\"127.0.0.1\"]\n"
                          << "nimbus.thrift.port: " << server->port() << "\n"
                          << "storm.local.dir: \"" << local.string() << "\"\n"
                          << "storm.log.dir: \"" << logs.string() << "\"\n"
                          << "storm.local.hostname: \"127.0.0.1\"\n"
                          << "supervisor.slots.ports: [" << slots << "]\n"
                          << "supervisor.heartbeat.frequency.secs: 1\n"
                          << "supervisor.monitor.frequency.secs: 1\n"
                          << "supervisor.worker.timeout.secs: 10\n"
                          << "supervisor.worker.shutdown.sleep.secs: 2\n";
    return config;
  }

  // The executors every worker plans from the topology's conf as nimbus keeps it.
  std::shared_ptr<internal::TopologyPlan> plan() const {
    StormTopology planned;
    planned.def = nimbus::toTopologyDef(sequenceTopology());
    Map conf = nimbus::parseJson(core->getTopologyConf(id)).asMap();
    return internal::TopologyPlan::build("seq", id, Config(conf), planned);
  }
};

TEST(SupervisorProcess, RunsRestartsKeepsAndAdoptsItsWorkers) {
  ClusterRig rig(
      R"({"topology.workers": 2, "topology.max.spout.pending": 200, "topology.message.timeout.secs": 2})");
  cluster::ClusterState& state = *rig.state;
  const std::string& id = rig.id;
  const fs::path& dirPath = rig.dir.path;
  const std::string sup = "sup-test-1";
  int portA = freePort(), portB = freePort();
  if (portA > portB) std::swap(portA, portB);
  fs::path config = rig.supervisorConfig("sup-1", sup, {portA, portB});
  fs::path local = dirPath / "sup-1" / "local", logs = dirPath / "sup-1" / "logs";

  auto supervisor = std::make_unique<SupervisorProcess>(config, dirPath / "supervisor-1.out");
  ASSERT_TRUE(eventually([&] { return state.supervisorInfo(sup).has_value(); }))
      << supervisor->output();
  cluster::SupervisorInfo info = *state.supervisorInfo(sup);
  EXPECT_EQ(info.hostname, "127.0.0.1");
  EXPECT_EQ(info.metaPorts, (std::vector<int>{portA, portB}));

  // The assignment nimbus's scheduler would write: the spout's worker on A, the rest on B.
  auto plan = rig.plan();
  cluster::Assignment a;
  a.masterCodeDir = id;
  a.nodeHost = {{sup, "127.0.0.1"}};
  for (const auto& [name, cp] : plan->components) {
    for (const auto& ep : cp.executors) {
      a.executorNodePort[{ep.startTask, ep.endTask}] = {sup, name == "seq" ? portA : portB};
    }
  }
  auto assigned = Clock::now();
  state.setAssignment(id, a);

  // Each worker is numbered after its first executor (supervisor/worker_assignment.h).
  std::map<int, int> index = supervisor::localWorkers(a, sup);
  fs::path beatB =
      local / "workers" / std::to_string(portB) / fmt::format("worker-{}.heartbeat", index[portB]);
  fs::path beatA =
      local / "workers" / std::to_string(portA) / fmt::format("worker-{}.heartbeat", index[portA]);
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
  // Two workers of one host: the supervisor turns on their unix sockets (the topology leaves
  // squall.worker.local.sockets at its default), and the spout's worker connects over one: the
  // connection accepted carries the listener's name beside the two listeners.
  EXPECT_NE(
      readFile(local / "workers" / std::to_string(portB) / "assignment").find("local-sockets 1"),
      std::string::npos);
  EXPECT_TRUE(eventually([&] { return unixSocketsNamed("squall/" + id + "/") >= 3; }))
      << readFile("/proc/net/unix");

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
  supervisor = std::make_unique<SupervisorProcess>(config, dirPath / "supervisor-2.out");
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
}

// The acks the spout's executor has had (all time), from its worker's relayed heartbeat.
int64_t spoutAcked(cluster::ClusterState& state, const std::string& id, const std::string& node,
                   int port) {
  auto hb = state.getWorkerHeartbeat(id, node, port);
  if (!hb) return 0;
  int64_t n = 0;
  for (const auto& [executor, stats] : hb->executorStats) {
    if (const auto* spout = std::get_if<cluster::SpoutStats>(&stats.specific)) {
      auto w = spout->acked.find(":all-time");
      if (w != spout->acked.end()) {
        for (const auto& [stream, count] : w->second) n += count;
      }
    }
  }
  return n;
}

// Storm keeps a worker whose own executors stay: when another slot of its topology leaves the
// assignment (here the ackers' worker moves from supervisor sup-a to a slot of sup-b that sorts
// after the others), the workers left in place keep running (same pids), follow the move on
// SIGHUP and ack through the ackers at their new place.
TEST(SupervisorProcess, KeepsWorkersWhoseExecutorsStayWhenAPeerLeaves) {
  ClusterRig rig(
      R"({"topology.workers": 3, "topology.max.spout.pending": 200, "topology.message.timeout.secs": 2,
          "squall.worker.local.sockets": false})");
  cluster::ClusterState& state = *rig.state;
  const std::string& id = rig.id;
  std::vector<int> ports = {freePort(), freePort(), freePort(), freePort()};
  std::sort(ports.begin(), ports.end());
  // sup-b's ports in order: numbered by (node, port), its record and seq workers would be 1
  // and 2 (after sup-a's), then 0 and 1 (before the moved one).
  int portRecord = ports[0], portSeq = ports[1], portMoved = ports[2], portAckers = ports[3];
  SupervisorProcess supA(rig.supervisorConfig("sup-a", "sup-a", {portAckers}),
                         rig.dir.path / "sup-a.out");
  SupervisorProcess supB(rig.supervisorConfig("sup-b", "sup-b", {portRecord, portSeq, portMoved}),
                         rig.dir.path / "sup-b.out");
  ASSERT_TRUE(eventually([&] {
    return state.supervisorInfo("sup-a").has_value() && state.supervisorInfo("sup-b").has_value();
  })) << supA.output()
      << supB.output();

  auto plan = rig.plan();
  ASSERT_EQ(plan->ackerTasks, 3);
  cluster::Assignment a;
  a.masterCodeDir = id;
  a.nodeHost = {{"sup-a", "127.0.0.1"}, {"sup-b", "127.0.0.1"}};
  for (const auto& [name, cp] : plan->components) {
    for (const auto& ep : cp.executors) {
      a.executorNodePort[{ep.startTask, ep.endTask}] =
          name == "seq"      ? cluster::NodePort{"sup-b", portSeq}
          : name == "record" ? cluster::NodePort{"sup-b", portRecord}
                             : cluster::NodePort{"sup-a", portAckers};
    }
  }
  state.setAssignment(id, a);
  fs::path workersB = rig.dir.path / "sup-b" / "local" / "workers";
  auto pidOf = [&](const fs::path& workers, int port) {
    auto p = supervisor::readProcessId((workers / std::to_string(port) / "pid").string());
    return p.value_or(supervisor::ProcessId{});
  };
  ASSERT_TRUE(eventually([&] { return spoutAcked(state, id, "sup-b", portSeq) > 0; },
                         std::chrono::seconds(60)))
      << supA.output() << supB.output();
  supervisor::ProcessId record = pidOf(workersB, portRecord), seq = pidOf(workersB, portSeq);
  // The topology turned unix sockets off: its workers of one host keep to TCP.
  EXPECT_EQ(readFile(workersB / std::to_string(portSeq) / "assignment").find("local-sockets"),
            std::string::npos);
  EXPECT_EQ(unixSocketsNamed("squall/" + id + "/"), 0);
  supervisor::ProcessId ackers = pidOf(rig.dir.path / "sup-a" / "local" / "workers", portAckers);
  ASSERT_TRUE(supervisor::processAlive(record));
  ASSERT_TRUE(supervisor::processAlive(seq));

  // The ackers' slot leaves: their executors go to sup-b's third port, as nimbus does when
  // sup-a is lost and sup-b has a free slot.
  cluster::Assignment moved = a;
  for (auto& [executor, slot] : moved.executorNodePort) {
    if (slot.node == "sup-a") slot = {"sup-b", portMoved};
  }
  moved.nodeHost.erase("sup-a");
  int64_t ackedBefore = spoutAcked(state, id, "sup-b", portSeq);
  auto t0 = Clock::now();
  state.setAssignment(id, moved);
  ASSERT_TRUE(eventually([&] { return !supervisor::processAlive(ackers); })) << supA.output();
  ASSERT_TRUE(eventually([&] { return spoutAcked(state, id, "sup-b", portSeq) > ackedBefore; },
                         std::chrono::seconds(30)))
      << supB.output();
  std::printf("a peer moved: acks flow through it again %.2f s later\n", secondsSince(t0));
  EXPECT_EQ(pidOf(workersB, portRecord).pid, record.pid);
  EXPECT_EQ(pidOf(workersB, portSeq).pid, seq.pid);
  EXPECT_TRUE(supervisor::processAlive(record));
  EXPECT_TRUE(supervisor::processAlive(seq));
  EXPECT_EQ(supB.output().find("stopping it"), std::string::npos) << supB.output();
  EXPECT_NE(supB.output().find("reads it again"), std::string::npos) << supB.output();
  supA.kill(SIGTERM);
  supB.kill(SIGTERM);
  // Their workers outlive them (they would be adopted); this test stops them.
  for (int port : {portRecord, portSeq, portMoved}) {
    if (pid_t pid = pidOf(workersB, port).pid; pid > 0) ::kill(pid, SIGKILL);
  }
}

}  // namespace
