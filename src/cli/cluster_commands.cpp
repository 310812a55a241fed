#include "cli/cluster_commands.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/daemon_metrics.h"
#include "cli/run_command.h"
#include "cli/ui_command.h"
#include "cluster/zk_client.h"
#include "logs/log_config.h"
#include "nimbus/cluster_nimbus.h"
#include "nimbus/log_config_thrift.h"
#include "nimbus/nimbus_core.h"
#include "nimbus/storm_config.h"
#include "nimbus/storm_topology_translation.h"
#include "squall/topology_builder.h"
#include "thrift/nimbus_client.h"
#include "thrift/nimbus_server.h"
#include "topology/topology_plan.h"

namespace squall::cli {
namespace {

void addConfigOptions(CLI::App* cmd, ClusterCommands& c) {
  cmd->add_option("--config", c.configFile, "A storm.yaml to read instead of ~/.storm/storm.yaml");
  // One value per -c, so `squall kill -c k=v NAME` leaves NAME a name.
  cmd->add_option("-c", c.overrides, "Configuration override key=value (value read as YAML)")
      ->allow_extra_args(false)
      ->take_all();
}

Map loadConf(const ClusterCommands& c) {
  return nimbus::loadStormConfig({c.configFile, c.overrides, {}});
}

std::unique_ptr<thrift::NimbusConnection> connect(const Map& conf) {
  thrift::NimbusClientOptions options;
  options.timeoutMs = nimbus::confInt(conf, "storm.thrift.socket.timeout.ms", 600000);
  options.maxBufferSize = nimbus::confInt(conf, "nimbus.thrift.max_buffer_size", 1048576);
  return thrift::connectToLeader(nimbus::nimbusSeeds(conf),
                                 nimbus::confInt(conf, "nimbus.thrift.port", 6627), options);
}

// One line naming the service's exception as Storm's clients do (its type and msg).
std::string describe(const std::exception& e) {
  if (auto* x = dynamic_cast<const storm::NotAliveException*>(&e)) {
    return "NotAliveException: " + x->msg;
  }
  if (auto* x = dynamic_cast<const storm::AlreadyAliveException*>(&e)) {
    return "AlreadyAliveException: " + x->msg;
  }
  if (auto* x = dynamic_cast<const storm::InvalidTopologyException*>(&e)) {
    return "InvalidTopologyException: " + x->msg;
  }
  if (auto* x = dynamic_cast<const storm::AuthorizationException*>(&e)) {
    return "AuthorizationException: " + x->msg;
  }
  return e.what();
}

int list(const Map& conf) {
  auto conn = connect(conf);
  std::vector<storm::TopologySummary> topologies;
  conn->client().getTopologySummaries(topologies);
  if (topologies.empty()) {
    std::cout << "No topologies running.\n";
    return kExitOk;
  }
  // Storm's ListTopologies, column for column.
  constexpr const char* kRow = "{:<20} {:<10} {:<10} {:<12} {:<12} {:<20} {:<20}\n";
  std::cout << fmt::format(kRow, "Topology_name", "Status", "Num_tasks", "Num_workers",
                           "Uptime_secs", "Topology_Id", "Owner");
  std::cout << std::string(88, '-') << "\n";
  for (const auto& t : topologies) {
    std::cout << fmt::format(kRow, t.name, t.status, t.num_tasks, t.num_workers, t.uptime_secs,
                             t.id, t.__isset.owner ? t.owner : "null");
  }
  return kExitOk;
}

int kill(const ClusterCommands& c, const Map& conf) {
  int errors = 0;
  std::vector<std::string> names;
  for (const auto& name : c.names) {
    if (nimbus::isValidTopologyName(name)) {
      names.push_back(name);
      continue;
    }
    std::cerr << "squall kill: Format of topology name " << name << " is not valid\n";
    if (!c.ignoreErrors) return kExitInvalid;
    ++errors;
  }
  if (!names.empty()) {
    storm::KillOptions options;
    if (c.waitSecs) options.__set_wait_secs(*c.waitSecs);
    auto conn = connect(conf);
    for (const auto& name : names) {
      try {
        conn->client().killTopologyWithOpts(name, options);
        std::cout << "Killed topology: " << name << "\n";
      } catch (const apache::thrift::TException& e) {
        ++errors;
        std::cerr << "squall kill: " << name << ": " << describe(e) << "\n";
        if (!c.ignoreErrors) return kExitInvalid;
      }
    }
  }
  if (errors > 0) {
    std::cerr << "squall kill: Failed to successfully kill " << errors << " topologies.\n";
    return kExitInvalid;
  }
  return kExitOk;
}

int rebalance(const ClusterCommands& c, const Map& conf) {
  storm::RebalanceOptions options;
  if (c.waitSecs) options.__set_wait_secs(*c.waitSecs);
  if (c.numWorkers) options.__set_num_workers(*c.numWorkers);
  std::map<std::string, int32_t> executors;
  for (const auto& e : c.executors) {
    // Storm's ExecutorParser: the last '=' splits, so a component id may contain '='.
    auto eq = e.rfind('=');
    int n = 0;
    try {
      size_t used = 0;
      if (eq == std::string::npos || eq == 0) throw std::invalid_argument(e);
      n = std::stoi(e.substr(eq + 1), &used);
      if (used != e.size() - eq - 1) throw std::invalid_argument(e);
    } catch (const std::exception&) {
      std::cerr << "squall rebalance: Failed to parse '" << e
                << "' correctly. Expected in <component>=<parallelism> format\n";
      return kExitUsage;
    }
    executors[e.substr(0, eq)] = n;
  }
  if (!executors.empty()) options.__set_num_executors(executors);
  auto conn = connect(conf);
  conn->client().rebalance(c.names.at(0), options);
  std::cout << "Topology " << c.names[0] << " is rebalancing\n";
  return kExitOk;
}

int setLogLevel(const ClusterCommands& c, const Map& conf) {
  // Storm's SetLogLevel: -l LOGGER=LEVEL[:TIMEOUT] updates, -r LOGGER removes; a logger named
  // twice keeps its last setting.
  std::map<std::string, logs::LoggerSetting> settings;
  try {
    for (const auto& l : c.logSettings) {
      auto [logger, setting] = logs::parseLogSetting(l, false);
      settings.insert_or_assign(logger, setting);
    }
    for (const auto& r : c.logRemovals) {
      auto [logger, setting] = logs::parseLogSetting(r, true);
      settings.insert_or_assign(logger, setting);
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "squall set_log_level: " << e.what() << "\n";
    return kExitUsage;
  }
  if (settings.empty()) {
    std::cerr << "squall set_log_level: give -l LOGGER=LEVEL[:TIMEOUT_SECS] or -r LOGGER\n";
    return kExitUsage;
  }
  const std::string& name = c.names.at(0);
  auto conn = connect(conf);
  storm::TopologySummary summary;
  conn->client().getTopologySummaryByName(summary, name);
  conn->client().setLogConfig(summary.id, nimbus::toThrift(settings));
  std::cout << "Log config " << logs::logConfigToJson(settings) << " is sent for topology " << name
            << "\n";
  return kExitOk;
}

// The executors of a topology as every worker plans it, so nimbus's assignment and the
// workers' task ids agree.
std::vector<cluster::ExecutorRange> planExecutors(const std::string& name, const std::string& id,
                                                  const TopologyDef& def, const Map& conf) {
  StormTopology topology;
  topology.def = def;
  auto plan = internal::TopologyPlan::build(name, id, Config(conf), topology);
  std::vector<cluster::ExecutorRange> out;
  for (const auto& [component, cp] : plan->components) {
    for (const auto& ep : cp.executors) out.push_back({ep.startTask, ep.endTask});
  }
  return out;
}

int runNimbus(const ClusterCommands& c, const Map& conf) {
  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  nimbus::NimbusCoreOptions core;
  core.conf = conf;
  std::string bind = nimbus::confString(conf, "nimbus.thrift.bind.host", "127.0.0.1");
  core.host = nimbus::confString(conf, "storm.local.hostname", bind);
  if (core.host == "0.0.0.0") {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    core.host = name;
  }
  core.port = nimbus::confInt(conf, "nimbus.thrift.port", 6627);
  core.localDir = nimbus::confString(conf, "storm.local.dir", "storm-local");
  core.version = SQUALL_VERSION;
  // A submission is checked as the engine will run it: classes, streams, fields, config.
  core.validate = [](const std::string& name, const TopologyDef& def, const Map& topoConf) {
    StormTopology topology;
    topology.def = def;
    internal::TopologyPlan::build(name, name + "-check", Config(topoConf), topology);
  };

  // A cluster's nimbus when storm.zookeeper.servers is given (storm.yaml or -c); else the
  // in-process nimbus core alone, which needs no ZooKeeper.
  Map given = nimbus::loadStormConfig({c.configFile, c.overrides, {}, false});
  std::shared_ptr<thrift::NimbusBackend> backend;
  std::shared_ptr<nimbus::ClusterNimbus> clusterNimbus;
  if (given.count("storm.zookeeper.servers")) {
    nimbus::ClusterNimbusOptions o;
    o.core = core;
    o.zk = cluster::ZkOptions::fromConfig(Config(conf));
    o.planExecutors = planExecutors;
    o.supervisorTimeoutSecs = nimbus::confInt(conf, "nimbus.supervisor.timeout.secs", 60);
    o.monitorFreqSecs = nimbus::confInt(conf, "nimbus.monitor.freq.secs", 10);
    o.taskTimeoutSecs = nimbus::confInt(conf, "nimbus.task.timeout.secs", 30);
    o.taskLaunchSecs = nimbus::confInt(conf, "nimbus.task.launch.secs", 120);
    o.maxBufferSize = nimbus::confInt(conf, "nimbus.thrift.max_buffer_size", 1048576);
    clusterNimbus = std::make_shared<nimbus::ClusterNimbus>(o);
    clusterNimbus->start();
    backend = clusterNimbus;
  } else {
    backend = std::make_shared<nimbus::NimbusCore>(core);
  }

  auto started = std::chrono::steady_clock::now();
  std::unique_ptr<ui::MetricsServer> metricsServer;
  try {
    metricsServer = startDaemonMetrics(conf, "nimbus.metrics.port", "nimbus", [=] {
      return nimbusMetricsText(
          *backend, clusterNimbus.get(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    });
  } catch (const std::exception& e) {
    std::cerr << "squall nimbus: " << e.what() << "\n";
    if (clusterNimbus) clusterNimbus->stop();
    return kExitInvalid;
  }

  thrift::NimbusServerOptions server;
  server.host = bind;
  server.port = core.port;
  server.maxBufferSize = nimbus::confInt(conf, "nimbus.thrift.max_buffer_size", 1048576);
  server.maxConnections = nimbus::confInt(conf, "nimbus.thrift.threads", 64);
  thrift::NimbusServer thriftServer(backend, server);
  thriftServer.start();
  // Tests and scripts wait for this line before they connect.
  std::cout << fmt::format("nimbus: serving Storm's Nimbus Thrift service on {}:{}", bind,
                           thriftServer.port())
            << (clusterNimbus
                    ? fmt::format(" (cluster nimbus {}, ZooKeeper {})", clusterNimbus->hostPort(),
                                  cluster::ZkOptions::fromConfig(Config(conf)).connectString())
                    : std::string())
            << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("nimbus: stopping on signal {}", sig);
  if (metricsServer) metricsServer->stop();
  thriftServer.stop();
  if (clusterNimbus) clusterNimbus->stop();
  return kExitOk;
}

}  // namespace

std::string describeNimbusError(const std::exception& e) {
  return describe(e);
}

void addClusterCommands(CLI::App& app, ClusterCommands& c) {
  c.nimbus = app.add_subcommand(
      "nimbus", "Run a nimbus: Storm's Nimbus Thrift service (nimbus.thrift.port, 6627)");
  addConfigOptions(c.nimbus, c);

  c.list = app.add_subcommand("list", "List the topologies nimbus runs (storm list)");
  addConfigOptions(c.list, c);

  c.kill = app.add_subcommand("kill", "Kill topologies: deactivate, wait, remove (storm kill)");
  addConfigOptions(c.kill, c);
  c.kill->add_option("NAME", c.names, "Topology names")->required();
  c.kill
      ->add_option("-w,--wait-time-secs,--wait", c.waitSecs,
                   "Seconds between deactivating and removing (default: the topology's "
                   "topology.message.timeout.secs)")
      ->check(CLI::NonNegativeNumber);
  c.kill->add_flag("-i,--ignore-errors", c.ignoreErrors,
                   "Go on to the next name when one fails (still exits 1)");

  c.activate = app.add_subcommand("activate", "Activate a topology's spouts (storm activate)");
  c.deactivate =
      app.add_subcommand("deactivate", "Deactivate a topology's spouts (storm deactivate)");
  for (CLI::App* cmd : {c.activate, c.deactivate}) {
    addConfigOptions(cmd, c);
    cmd->add_option("NAME", c.names, "Topology name")->required()->expected(1);
  }

  c.rebalance = app.add_subcommand(
      "rebalance", "Spread a topology again, with new worker or executor counts (storm rebalance)");
  addConfigOptions(c.rebalance, c);
  c.rebalance->add_option("NAME", c.names, "Topology name")->required()->expected(1);
  c.rebalance->add_option("-w,--wait", c.waitSecs, "Seconds to wait before rebalancing")
      ->check(CLI::NonNegativeNumber);
  c.rebalance->add_option("-n,--num-workers", c.numWorkers, "New number of workers")
      ->check(CLI::PositiveNumber);
  c.rebalance->add_option("-e,--executor", c.executors, "COMPONENT=PARALLELISM, repeatable");

  c.ui = app.add_subcommand("ui",
                            "Serve Storm's UI REST API and web UI for the cluster nimbus runs "
                            "(storm ui; ui.host, ui.port 8080, ui.actions.enabled)");
  addConfigOptions(c.ui, c);
  c.setLogLevel = app.add_subcommand(
      "set_log_level", "Change a running topology's log levels for a while (storm set_log_level)");
  addConfigOptions(c.setLogLevel, c);
  c.setLogLevel->add_option("NAME", c.names, "Topology name")->required()->expected(1);
  c.setLogLevel->add_option("-l,--log-setting", c.logSettings,
                            "LOGGER=LEVEL[:TIMEOUT_SECS] (ROOT, or a component id), repeatable");
  c.setLogLevel->add_option("-r,--remove-log-setting", c.logRemovals,
                            "LOGGER to set back to its former level, repeatable");
}

std::optional<int> runClusterCommand(const ClusterCommands& c) {
  CLI::App* given = nullptr;
  for (CLI::App* cmd :
       {c.nimbus, c.list, c.kill, c.activate, c.deactivate, c.rebalance, c.ui, c.setLogLevel}) {
    if (cmd && cmd->parsed()) given = cmd;
  }
  if (!given) return std::nullopt;
  std::string verb = given->get_name();
  Map conf;
  try {
    conf = loadConf(c);
  } catch (const std::exception& e) {
    std::cerr << "squall " << verb << ": " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    if (given == c.nimbus) return runNimbus(c, conf);
    if (given == c.ui) return runClusterUi(conf);
    if (given == c.list) return list(conf);
    if (given == c.kill) return kill(c, conf);
    if (given == c.rebalance) return rebalance(c, conf);
    if (given == c.setLogLevel) return setLogLevel(c, conf);
    auto conn = connect(conf);
    if (given == c.activate) {
      conn->client().activate(c.names.at(0));
      std::cout << "Activated topology: " << c.names[0] << "\n";
    } else {
      conn->client().deactivate(c.names.at(0));
      std::cout << "Deactivated topology: " << c.names[0] << "\n";
    }
    return kExitOk;
  } catch (const std::exception& e) {
    std::cerr << "squall " << verb << ": " << describe(e) << "\n";
    return kExitInvalid;
  }
}

}  // namespace squall::cli
