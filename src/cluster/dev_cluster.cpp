#include "cluster/dev_cluster.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "cluster/cluster_state.h"
#include "cluster/dev_cluster_nimbus.h"
#include "cluster/dev_cluster_supervisors.h"
#include "cluster/zk_client.h"
#include "cluster/zookeeper_server.h"

namespace fs = std::filesystem;

namespace squall::cluster {

namespace {

std::atomic<bool> stopRequested{false};
// C linkage makes the name global: it must not collide with other commands' handlers.
extern "C" void onDevClusterStopSignal(int) {
  stopRequested.store(true);
}

std::string stormYaml(const ZooKeeperServer& zk) {
  return fmt::format(
      "# Written by squall dev-cluster: what a client of this cluster needs.\n"
      "storm.zookeeper.servers:\n"
      "  - \"127.0.0.1\"\n"
      "storm.zookeeper.port: {}\n"
      "storm.zookeeper.root: \"/storm\"\n",
      zk.port());
}

// What a client needs to find the leading nimbus. With one nimbus, Storm's own keys; with
// several on this one machine each has its own port, so the seeds name host:port (Squall's
// clients take that form; Storm's expect one nimbus.thrift.port for every seed host).
std::string nimbusClientYaml(const std::vector<int>& ports, int leaderPort) {
  std::string seeds;
  for (int p : ports) {
    seeds += ports.size() == 1 ? std::string("  - \"127.0.0.1\"\n")
                               : fmt::format("  - \"127.0.0.1:{}\"\n", p);
  }
  return fmt::format("nimbus.seeds:\n{}nimbus.thrift.port: {}\n", seeds, leaderPort);
}

// Restores the previous handlers when the run ends, however it ends.
class StopSignals {
 public:
  StopSignals() {
    stopRequested.store(false);
    struct sigaction sa {};
    sa.sa_handler = onDevClusterStopSignal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &oldInt_);
    ::sigaction(SIGTERM, &sa, &oldTerm_);
  }
  ~StopSignals() {
    ::sigaction(SIGINT, &oldInt_, nullptr);
    ::sigaction(SIGTERM, &oldTerm_, nullptr);
  }

 private:
  struct sigaction oldInt_ {
  }, oldTerm_{};
};

// Step 3 of src/cluster/README.md: `--supervisors N` processes, each printed as
// supervisor.I=ID pid=P slots=PORTS dir=DIR.
std::vector<DevSupervisor> startSupervisors(const DevClusterOptions& o, const std::string& dir,
                                            const std::string& config, std::ostream& out,
                                            std::ostream& err) {
  if (o.supervisors <= 0) return {};
  std::vector<DevSupervisor> started = startDevSupervisors(o.supervisors, dir, config);
  for (size_t i = 0; i < started.size(); ++i) {
    if (!started[i].metrics.empty()) {
      out << fmt::format("supervisor.{}.metrics={}\n", i, started[i].metrics);
    }
    out << fmt::format("supervisor.{}={} pid={} slots={} dir={}\n", i, started[i].id,
                       started[i].pid, fmt::join(started[i].ports, ","), started[i].dir);
    err << fmt::format(
        "dev-cluster: supervisor {} (pid {}) with slots {}, log in {}/supervisor.log\n",
        started[i].id, started[i].pid, fmt::join(started[i].ports, ","), started[i].dir);
  }
  out << std::flush;
  return started;
}

}  // namespace

int runDevCluster(const DevClusterOptions& o, std::ostream& out, std::ostream& err) {
  // Signals first: a Ctrl-C while Java starts still stops everything in order.
  StopSignals signals;
  bool temporary = o.dir.empty();
  std::string dir;
  try {
    dir = temporary ? makeTempDir("squall-dev-cluster") : o.dir;
    fs::create_directories(dir);
    dir = fs::absolute(dir).string();
  } catch (const std::exception& e) {
    err << "dev-cluster: " << e.what() << "\n";
    return 1;
  }
  int rc = 0;
  {
    ZooKeeperServerOptions zo;
    zo.dir = (fs::path(dir) / "zookeeper").string();
    zo.port = o.zookeeperPort;
    ZooKeeperServer server(zo);
    std::vector<DevSupervisor> supervisors;
    // Started before the supervisors (which read nimbus.seeds), stopped after them.
    std::unique_ptr<DevNimbuses> nimbuses;
    try {
      server.start();
      // Storm's layout under the root, made by the cluster's own client: the daemons that
      // attach later find it in place, and a broken server shows here rather than later.
      ZkOptions zk;
      zk.servers = {"127.0.0.1"};
      zk.port = server.port();
      zk.root = "/storm";
      ZkClient client(zk);
      client.start();
      ClusterState state(client);

      std::string yamlPath = (fs::path(dir) / "storm.yaml").string();
      std::string yaml = stormYaml(server);
      // The nimbuses, before the supervisors; destroyed (stopped) after them, before ZooKeeper.
      // The daemons' configuration (the cluster's digest) for nimbuses and supervisors alike.
      std::string daemonsYaml = writeDaemonsYaml(dir, server.port());
      if (o.nimbuses > 0) {
        nimbuses = std::make_unique<DevNimbuses>(o.squallBinary, dir, daemonsYaml, o.nimbuses);
        nimbuses->start();
        int leaderPort = nimbuses->waitForLeader(client, std::chrono::seconds(60));
        std::string seeds = nimbusClientYaml(nimbuses->ports(), leaderPort);
        yaml += seeds;
        // Supervisors read daemons.yaml too, and need to find the leader to download code.
        std::ofstream(daemonsYaml, std::ios::app) << seeds;
        for (size_t i = 0; i < nimbuses->ports().size(); ++i) {
          out << fmt::format("nimbus.{}.metrics={}\n", i + 1,
                             nimbuses->metricsUrl(i, std::chrono::seconds(30)));
          out << fmt::format("nimbus.{}=127.0.0.1:{} pid {}{}\n", i + 1, nimbuses->ports()[i],
                             nimbuses->pids()[i],
                             nimbuses->ports()[i] == leaderPort ? " (leader)" : "");
        }
      }
      client.close();
      {
        std::ofstream f(yamlPath + ".tmp");
        f << yaml;
        if (!f) throw ZooKeeperServerError("cannot write " + yamlPath);
      }
      fs::rename(yamlPath + ".tmp", yamlPath);
      out << "zookeeper=" << server.address() << "\n"
          << "zookeeper.pid=" << server.pid() << "\n"
          << "storm.yaml=" << yamlPath << "\n"
          << yaml << std::flush;
      err << "dev-cluster: ZooKeeper on " << server.address() << ", data in " << zo.dir << "\n"
          << std::flush;
      supervisors = startSupervisors(o, dir, daemonsYaml, out, err);
      err << (o.durationSecs > 0 ? fmt::format("dev-cluster: stopping after {} s\n", o.durationSecs)
                                 : std::string("dev-cluster: running until Ctrl-C\n"))
          << std::flush;

      auto deadline = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(o.durationSecs * 1000));
      while (!stopRequested.load()) {
        if (o.durationSecs > 0 && std::chrono::steady_clock::now() >= deadline) break;
        if (!server.alive()) {
          err << "dev-cluster: the ZooKeeper server exited; the end of its log:\n"
              << server.logTail(2000) << "\n";
          rc = 1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    } catch (const std::exception& e) {
      err << "dev-cluster: " << e.what() << "\n";
      rc = 1;
    }
    // Supervisors (and their workers) before ZooKeeper, as src/cluster/README.md orders it.
    stopDevSupervisors(supervisors, 30);
    nimbuses.reset();
    server.stop();
  }
  if (temporary) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  err << "dev-cluster: stopped\n";
  return rc;
}

std::string devClusterUsage() {
  return "usage: squall dev-cluster [--dir DIR] [--zookeeper-port PORT] [--nimbuses N]\n"
         "                          [--supervisors N] [--duration SECONDS]\n"
         "Runs a cluster on this machine for development: a ZooKeeper server (Debian's\n"
         "`zookeeper` package, Java) on 127.0.0.1 with its own configuration and data, and\n"
         "nimbus processes, and prints the addresses and the storm.yaml a client needs.\n"
         "Every daemon serves Prometheus /metrics (its address printed as NAME.metrics=URL),\n"
         "and every worker on its slot port + 1000 (worker.metrics.port.offset).\n"
         "Runs until Ctrl-C.\n"
         "  --dir DIR              keep the configuration, data and logs in DIR (default: a\n"
         "                         temporary directory, removed at exit)\n"
         "  --zookeeper-port PORT  ZooKeeper's port (default: a free one)\n"
         "  --nimbuses N           nimbus processes, one leading (default 1; 0: none)\n"
         "  --supervisors N        run N supervisors (default 1), each with its own local\n"
         "                         dir under DIR/supervisor-I/ and four slot ports\n"
         "  --duration SECONDS     stop after this long\n";
}

int devClusterMain(const std::vector<std::string>& args) {
  DevClusterOptions o;
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
        return args[++i];
      };
      auto number = [&](const std::string& s, double lo, double hi) {
        size_t used = 0;
        double n = std::stod(s, &used);
        if (used != s.size() || n < lo || n > hi) {
          throw std::invalid_argument(
              fmt::format("{}: '{}' is not a number in [{}, {}]", a, s, lo, hi));
        }
        return n;
      };
      if (a == "--help" || a == "-h") {
        std::cout << devClusterUsage();
        return 0;
      } else if (a == "--dir") {
        o.dir = value();
      } else if (a == "--zookeeper-port") {
        o.zookeeperPort = static_cast<int>(number(value(), 1, 65535));
      } else if (a == "--nimbuses") {
        o.nimbuses = static_cast<int>(number(value(), 0, 9));
      } else if (a == "--supervisors") {
        o.supervisors = static_cast<int>(number(value(), 0, 64));
      } else if (a == "--duration") {
        o.durationSecs = number(value(), 0, 1e9);
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "dev-cluster: " << e.what() << "\n" << devClusterUsage();
    return 2;
  }
  return runDevCluster(o, std::cout, std::cerr);
}

}  // namespace squall::cluster
