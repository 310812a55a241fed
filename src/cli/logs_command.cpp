#include "cli/logs_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/run_command.h"
#include "flux/topology_file.h"
#include "logs/log_layout.h"
#include "logs/log_reader.h"
#include "squall/config.h"

namespace squall::cli {

CLI::App* addLogsCommand(CLI::App& app, LogsOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "logs", "Print a topology's logs (storm.log.dir/workers-artifacts/ID/PORT/worker.log)");
  cmd->add_option("TOPOLOGY", o.topology, "Topology name (its latest run) or id")->required();
  cmd->add_option("COMPONENT", o.component, "Only this component's lines");
  cmd->add_flag("-f,--follow", o.follow, "Keep printing what is logged, until Ctrl-C");
  cmd->add_option("-c,--config", o.config, "storm.log.dir=DIR: where the logs are")->take_all();
  return cmd;
}

namespace {

std::string describeRuns(const std::vector<logs::TopologyLogs>& all) {
  std::string out;
  for (const auto& t : all) {
    out += fmt::format("\n  {} ({}; {})", t.name, t.id, fmt::join(t.ports, ", "));
  }
  return out;
}

}  // namespace

int runLogs(const LogsOptions& o, const std::string& exe) {
  Config conf;
  for (const auto& c : o.config) {
    auto [key, value] = flux::parseConfigOverride(c);
    conf.set(key, value);
  }
  conf.validate();
  std::string dir = logs::logDir(conf, exe);
  auto found = logs::findTopologyLogs(dir, o.topology);
  if (!found) {
    auto all = logs::listTopologyLogs(dir);
    std::cerr << fmt::format("squall logs: no logs of a topology named or with id '{}' in {}/{}",
                             o.topology, dir, logs::kWorkersArtifacts);
    if (all.empty()) {
      std::cerr << "; there are no topology logs there (another storm.log.dir? -c "
                   "storm.log.dir=DIR)\n";
    } else {
      std::cerr << "; these are there:" << describeRuns(all) << "\n";
    }
    return kExitInvalid;
  }
  std::string last;
  bool headers = found->ports.size() > 1 || o.follow;
  logs::LogReader reader(
      *found, o.component, [&](const std::string& source, std::string_view line) {
        if (headers && source != last) {
          std::cout << (last.empty() ? "" : "\n") << "==> " << source << " <==\n";
          last = source;
        }
        std::cout << line << '\n';
      });
  reader.readExisting();
  std::cout.flush();
  if (!o.follow) {
    if (!o.component.empty() && reader.linesPrinted() == 0) {
      std::cerr << fmt::format("squall logs: no lines of component '{}' in the logs of {} ({})",
                               o.component, found->id, found->dir);
      const auto& seen = reader.componentsSeen();
      if (seen.empty()) {
        std::cerr << "; no line there names a component\n";
      } else {
        std::cerr << fmt::format("; components with lines: {}\n", fmt::join(seen, ", "));
      }
      return kExitInvalid;
    }
    return kExitOk;
  }
  // Until Ctrl-C (SIGINT ends the process, as it ends tail -f).
  while (true) {
    if (reader.poll() > 0) std::cout.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace squall::cli
