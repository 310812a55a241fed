#pragma once
// The process log of `squall run` and `squall worker`: the console as before, plus
// worker.log in Storm's layout (log_layout.h), rotated by size (rotating_file_sink.h), every
// line tagged with its component and task (log_tag.h).
// ProcessLog::attach() adds the file to spdlog's default logger before any thread logs, holding
// lines until open() names the folder (a local run's topology id exists only once it is
// submitted). One per process; the CLI's composition root owns it.
// Lines of multilang children (logComponentLine) go to the same sinks but are filtered by
// their component's level (log_levels.h), not by the root logger's.

#include <spdlog/common.h>

#include <memory>
#include <string>
#include <string_view>

#include "squall/config.h"

namespace squall::logs {

class RotatingFileSink;

class ProcessLog {
 public:
  // Adds the (not yet opened) file to the default logger, rotating as `conf` says.
  static ProcessLog& attach(const Config& conf);
  // The process's ProcessLog, or null before attach().
  static ProcessLog* current();

  // Opens <dir>/worker.log and writes worker.yaml there. Throws std::runtime_error naming the
  // file when it cannot be written.
  void open(const std::string& dir, const std::string& topologyId, const std::string& topologyName,
            const std::string& workerId, const std::string& port);
  // No file after all (it cannot be written): stop holding lines.
  void abandon();
  std::string path() const;
  RotatingFileSink& sink() { return *sink_; }

 private:
  explicit ProcessLog(std::shared_ptr<RotatingFileSink> sink) : sink_(std::move(sink)) {}
  std::shared_ptr<RotatingFileSink> sink_;
};

// Logs a multilang child's line (a `log` command or a stderr line) of `component` at `level`,
// when its component's level lets it through, on every sink of the default logger. False
// when filtered out.
bool logComponentLine(std::string_view component, spdlog::level::level_enum level,
                      std::string_view line);
// Writes a line to the log file only (not the console): a flood the console is spared. False
// when there is no file.
bool logToFileOnly(spdlog::level::level_enum level, std::string_view line);

}  // namespace squall::logs
