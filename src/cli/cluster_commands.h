#pragma once
// Storm's cluster verbs in the squall command, over Storm's Nimbus Thrift service:
//   squall nimbus                          the Thrift server over a ClusterNimbus when
//                                          storm.zookeeper.servers is given, else over the
//                                          in-process nimbus core
//   squall list                            Storm's table (or "No topologies running.")
//   squall kill NAME... [-w SECS] [-i]     killTopologyWithOpts
//   squall activate NAME / deactivate NAME
//   squall rebalance NAME [-w SECS] [-n WORKERS] [-e COMPONENT=PARALLELISM]...
//   squall ui                              Storm's UI REST API and web UI over nimbus
//                                          (ui_command.h)
//   squall set_log_level NAME [-l LOGGER=LEVEL[:TIMEOUT_SECS]]... [-r LOGGER]...  setLogConfig
// each with --config FILE and -c key=value, the configuration found as Storm finds it
// (nimbus/storm_config.h). Exit status: 0 done, 1 nimbus refused or could not be reached
// (Storm's clients exit 1 on an exception), 2 usage.

#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace squall::cli {

struct ClusterCommands {
  std::string configFile;
  std::vector<std::string> overrides;
  std::vector<std::string> names;
  std::optional<int> waitSecs;
  std::optional<int> numWorkers;
  std::vector<std::string> executors;  // COMPONENT=PARALLELISM
  bool ignoreErrors = false;
  std::vector<std::string> logSettings;  // set_log_level -l LOGGER=LEVEL[:TIMEOUT]
  std::vector<std::string> logRemovals;  // set_log_level -r LOGGER

  CLI::App* nimbus = nullptr;
  CLI::App* list = nullptr;
  CLI::App* kill = nullptr;
  CLI::App* activate = nullptr;
  CLI::App* deactivate = nullptr;
  CLI::App* rebalance = nullptr;
  CLI::App* ui = nullptr;
  CLI::App* setLogLevel = nullptr;
};

void addClusterCommands(CLI::App& app, ClusterCommands& c);

// One line naming a Thrift service exception as Storm's clients do ("AlreadyAliveException:
// wordcount is already alive"); what() for any other exception.
std::string describeNimbusError(const std::exception& e);

// The exit status when one of the cluster commands was given, else nullopt.
std::optional<int> runClusterCommand(const ClusterCommands& c);

}  // namespace squall::cli
