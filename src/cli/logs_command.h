#pragma once
// `squall logs TOPOLOGY [COMPONENT] [-f]`: prints a topology's logs from storm.log.dir
// (logs/log_layout.h, logs/log_reader.h), by topology name (its latest run) or id, every port
// folder; only COMPONENT's entries when given; -f follows what is appended, across rotations,
// until Ctrl-C.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace squall::cli {

struct LogsOptions {
  std::string topology;
  std::string component;
  bool follow = false;
  std::vector<std::string> config;  // -c storm.log.dir=DIR
};

CLI::App* addLogsCommand(CLI::App& app, LogsOptions& options);
int runLogs(const LogsOptions& options, const std::string& exe);

}  // namespace squall::cli
