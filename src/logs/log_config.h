#pragma once
// Storm's LogConfig of a topology (storm.thrift LogConfig / LogLevel) outside Thrift: what
// nimbus keeps in ZooKeeper (/logconfigs/ID, JSON with storm.thrift's field names), how
// setLogConfig merges a change into it, the CLI's `-l LOGGER=LEVEL[:TIMEOUT]` / `-r LOGGER`
// syntax (Storm's SetLogLevel), and a worker following it (Storm's LogConfigManager): loggers
// set while their timeout has not passed, reset to their former level when it passes or when
// the setting is removed. Loggers are ROOT and component ids, as LogLevels names them.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "logs/log_levels.h"

namespace squall::logs {

// storm.thrift's LogLevelAction.
enum class LogLevelAction { Unchanged = 1, Update = 2, Remove = 3 };

struct LoggerSetting {  // storm.thrift's LogLevel
  LogLevelAction action = LogLevelAction::Update;
  std::string targetLevel;     // Storm's level name (DEBUG)
  int timeoutSecs = 0;         // reset_log_level_timeout_secs; 0: kept
  int64_t timeoutEpochMs = 0;  // reset_log_level_timeout_epoch; 0: none
  std::string resetLevel;      // reset_log_level
  bool operator==(const LoggerSetting&) const = default;
};
using LogConfig = std::map<std::string, LoggerSetting>;  // named_logger_level

// Bounds on what nimbus keeps for one topology.
inline constexpr size_t kMostLoggers = 1000;
inline constexpr size_t kLongestLoggerName = 512;

std::string logConfigToJson(const LogConfig& config);
// std::invalid_argument naming the logger and field on malformed input.
LogConfig logConfigFromJson(std::string_view json);

// Storm's setLogConfig: what was set becomes UNCHANGED; an UPDATE replaces its logger (its
// timeout stamped as now + timeout, none for 0), a REMOVE drops it. std::invalid_argument on a
// logger without a name ("use ROOT for the root logger"), an unknown level, a negative timeout,
// or more than kMostLoggers loggers; nothing is merged then.
LogConfig mergeLogConfig(LogConfig current, const LogConfig& change, int64_t nowMs);

// Storm's SetLogLevel syntax: "LOGGER=LEVEL[:TIMEOUT_SECS]" (an UPDATE) or, for `-r`, "LOGGER"
// (a REMOVE). std::invalid_argument saying what is wrong.
std::pair<std::string, LoggerSetting> parseLogSetting(std::string_view text, bool remove);

// A worker's side: apply() with each LogConfig read (nimbus's, through the supervisor) sets
// the loggers whose setting is new and whose timeout has not passed, and resets the loggers
// it set before that the config no longer names. Timeouts themselves expire in LogLevels.
class LogConfigFollower {
 public:
  explicit LogConfigFollower(LogLevels& levels) : levels_(levels) {}
  // Returns how many loggers changed.
  int apply(const LogConfig& config, int64_t nowMs);

 private:
  LogLevels& levels_;
  LogConfig applied_;
};

}  // namespace squall::logs
