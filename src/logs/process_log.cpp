#include "logs/process_log.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>

#include "logs/log_layout.h"
#include "logs/log_levels.h"
#include "logs/log_tag.h"
#include "logs/rotating_file_sink.h"

namespace squall::logs {

namespace {

std::atomic<ProcessLog*> g_current{nullptr};

void logOn(spdlog::sinks::sink& sink, const spdlog::details::log_msg& m) {
  try {
    if (sink.should_log(m.level)) sink.log(m);
  } catch (const std::exception&) {
    // a sink that fails (a full disk) must not stop a component
  }
}

}  // namespace

ProcessLog& ProcessLog::attach(const Config& conf) {
  if (ProcessLog* p = g_current.load()) return *p;
  auto bytes =
      static_cast<uint64_t>(conf.getDouble(Config::WORKER_LOG_ROTATION_SIZE_MB) * 1024.0 * 1024.0);
  auto sink = std::make_shared<RotatingFileSink>(
      bytes, static_cast<int>(conf.getInt(Config::WORKER_LOG_ROTATION_FILES)));
  sink->set_formatter(taggedFormatter(kFilePattern));
  spdlog::default_logger_raw()->sinks().push_back(sink);
  // Lives as long as the process: spdlog's logger holds the sink until exit.
  static ProcessLog* log = new ProcessLog(sink);
  g_current.store(log);
  return *log;
}

ProcessLog* ProcessLog::current() {
  return g_current.load();
}

void ProcessLog::open(const std::string& dir, const std::string& topologyId,
                      const std::string& topologyName, const std::string& workerId,
                      const std::string& port) {
  sink_->open((std::filesystem::path(dir) / kWorkerLog).string());
  writeWorkerYaml(dir, topologyId, topologyName, workerId, port);
}

void ProcessLog::abandon() {
  sink_->discardPending();
}

std::string ProcessLog::path() const {
  return sink_->path();
}

bool logComponentLine(std::string_view component, spdlog::level::level_enum level,
                      std::string_view line) {
  if (!LogLevels::global().allows(component, level)) return false;
  auto* logger = spdlog::default_logger_raw();
  spdlog::details::log_msg m(logger->name(), level, line);
  for (auto& sink : logger->sinks()) logOn(*sink, m);
  return true;
}

bool logToFileOnly(spdlog::level::level_enum level, std::string_view line) {
  ProcessLog* p = g_current.load();
  if (!p || p->path().empty()) return false;
  spdlog::details::log_msg m(spdlog::default_logger_raw()->name(), level, line);
  logOn(p->sink(), m);
  return true;
}

}  // namespace squall::logs
