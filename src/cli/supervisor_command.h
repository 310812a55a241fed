#pragma once
// `squall supervisor [--config FILE] [-c key=value]... [--kill-workers-on-stop]`: Storm's
// supervisor daemon (src/supervisor) with the configuration found as Storm finds it. Runs until
// SIGINT/SIGTERM; its workers keep running after it stops (a restarted supervisor adopts them)
// unless --kill-workers-on-stop (what `squall dev-cluster` asks).

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace squall::cli {

struct SupervisorCommand {
  std::string configFile;
  std::vector<std::string> overrides;
  bool killWorkersOnStop = false;
  CLI::App* cmd = nullptr;
};

void addSupervisorCommand(CLI::App& app, SupervisorCommand& s);
// `executable`: the squall binary, which each worker runs.
int runSupervisorCommand(const SupervisorCommand& s, const std::string& executable);

}  // namespace squall::cli
