#include "cli/supervisor_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>

#include "cli/daemon_metrics.h"
#include "cli/run_command.h"
#include "cluster/zk_client.h"
#include "nimbus/storm_config.h"
#include "supervisor/supervisor.h"
#include "thrift/nimbus_client.h"

namespace squall::cli {

namespace {

std::vector<int> slotPorts(const Map& conf) {
  auto it = conf.find("supervisor.slots.ports");
  if (it == conf.end()) return {6700, 6701, 6702, 6703};
  if (!it->second.isList()) {
    throw std::invalid_argument("supervisor.slots.ports must be a list of ports");
  }
  std::vector<int> ports;
  for (const Value& v : it->second.asList()) {
    if (!v.isInt() || v.asInt() < 1 || v.asInt() > 65535) {
      throw std::invalid_argument("supervisor.slots.ports must be a list of ports (1-65535)");
    }
    ports.push_back(static_cast<int>(v.asInt()));
  }
  return ports;
}

// worker.metrics.port.offset, refused when a slot's endpoint would not be a port or would be
// another slot (two workers of this host must never want one port).
int workerMetricsOffset(const Map& conf, const std::vector<int>& ports) {
  int64_t offset = Config(conf).getInt(Config::WORKER_METRICS_PORT_OFFSET);
  if (offset == 0) return 0;
  for (int p : ports) {
    int64_t m = p + offset;
    if (m < 1 || m > 65535) {
      throw std::invalid_argument(fmt::format(
          "worker.metrics.port.offset {} puts the /metrics of slot {} on {}, not a port", offset, p,
          m));
    }
    if (std::find(ports.begin(), ports.end(), m) != ports.end()) {
      throw std::invalid_argument(fmt::format(
          "worker.metrics.port.offset {} puts the /metrics of slot {} on slot {}", offset, p, m));
    }
  }
  return static_cast<int>(offset);
}

double confSecs(const Map& conf, const std::string& key, int fallback) {
  return nimbus::confInt(conf, key, fallback);
}

}  // namespace

void addSupervisorCommand(CLI::App& app, SupervisorCommand& s) {
  s.cmd = app.add_subcommand(
      "supervisor",
      "Run a supervisor: the workers of this machine's slots (supervisor.slots.ports)");
  s.cmd->add_option("--config", s.configFile,
                    "A storm.yaml to read instead of ~/.storm/storm.yaml");
  s.cmd->add_option("-c", s.overrides, "Configuration override key=value (value read as YAML)")
      ->allow_extra_args(false)
      ->take_all();
  s.cmd->add_flag("--kill-workers-on-stop", s.killWorkersOnStop,
                  "Stop the workers too on SIGINT/SIGTERM (by default they keep running and a "
                  "restarted supervisor adopts them)");
}

int runSupervisorCommand(const SupervisorCommand& s, const std::string& executable) {
  Map conf;
  supervisor::SupervisorOptions o;
  cluster::ZkOptions zo;
  std::vector<std::string> seeds;
  int nimbusPort = 6627;
  thrift::NimbusClientOptions client;
  try {
    conf = nimbus::loadStormConfig({s.configFile, s.overrides, {}});
    o.localDir = nimbus::confString(conf, "storm.local.dir", "storm-local");
    o.logDir = nimbus::confString(conf, "storm.log.dir", "logs");
    o.hostname = nimbus::confString(conf, "storm.local.hostname", "");
    o.ports = slotPorts(conf);
    o.heartbeatSecs = confSecs(conf, "supervisor.heartbeat.frequency.secs", 5);
    o.monitorSecs = confSecs(conf, "supervisor.monitor.frequency.secs", 3);
    o.workerTimeoutSecs = confSecs(conf, "supervisor.worker.timeout.secs", 30);
    o.workerStartTimeoutSecs = confSecs(conf, "supervisor.worker.start.timeout.secs", 120);
    o.shutdownSleepSecs = confSecs(conf, "supervisor.worker.shutdown.sleep.secs", 3);
    o.workerExecutable = executable;
    o.workerMetricsPortOffset = workerMetricsOffset(conf, o.ports);
    o.metricsHost = Config(conf).getString(Config::METRICS_BIND_HOST);
    zo = cluster::ZkOptions::fromConfig(Config(conf));
    seeds = nimbus::nimbusSeeds(conf);
    nimbusPort = nimbus::confInt(conf, "nimbus.thrift.port", 6627);
    client.timeoutMs = nimbus::confInt(conf, "storm.thrift.socket.timeout.ms", 600000);
    client.maxBufferSize = nimbus::confInt(conf, "nimbus.thrift.max_buffer_size", 1048576);
  } catch (const std::exception& e) {
    std::cerr << "squall supervisor: " << e.what() << "\n";
    return kExitUsage;
  }
  // Each blob from the leader of the moment (it may change between downloads).
  o.fetch = [seeds, nimbusPort, client](const std::string& key, std::ostream& out) {
    auto conn = thrift::connectToLeader(seeds, nimbusPort, client);
    try {
      thrift::downloadBlob(conn->client(), key, out, uint64_t{1} << 32);
    } catch (const storm::KeyNotFoundException&) {
      return false;
    }
    return true;
  };

  // Signals are taken by sigtimedwait in the loop; blocked before any thread starts (workers get
  // an empty mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    auto started = std::chrono::steady_clock::now();
    cluster::ZkClient zk(zo);
    zk.start();
    supervisor::Supervisor sup(zk, o);
    sup.start();
    auto metricsServer = startDaemonMetrics(conf, "supervisor.metrics.port", "supervisor", [&] {
      return supervisorMetricsText(
          sup, zk,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    });
    // Tests and scripts wait for this line.
    std::cout << fmt::format("supervisor: {} running on {} with slots {}", sup.id(), o.hostname,
                             fmt::join(o.ports, ","))
              << std::endl;
    timespec tick{0, 100'000'000};
    int sig = -1;
    while ((sig = sigtimedwait(&signals, nullptr, &tick)) < 0) sup.poll();
    spdlog::info("supervisor: stopping on signal {}{}", sig,
                 s.killWorkersOnStop ? " with its workers" : "; its workers keep running");
    if (metricsServer) metricsServer->stop();
    sup.stop(s.killWorkersOnStop);
  } catch (const std::exception& e) {
    std::cerr << "squall supervisor: " << e.what() << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace squall::cli
