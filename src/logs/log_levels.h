#pragma once
// LogLevels: Storm's dynamic log levels (setLogConfig / the UI's logconfig) for the topology
// of this process. Named loggers are the root ("ROOT": every line, through spdlog's level)
// and component ids (what that component's multilang children log, through `log` commands
// and stderr, filtered here in the engine). A change may carry a timeout after which the
// logger goes back to the level it had (Storm's reset_level); 0 keeps it.
// One per process (Squall runs one topology per process); thread-safe; expiry happens on the
// next level lookup or expire() call after the timeout.

#include <spdlog/common.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace squall::logs {

inline constexpr const char* kRootLogger = "ROOT";

// Storm's (log4j's) level names, any case: ALL, TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF.
std::optional<spdlog::level::level_enum> parseLevel(std::string_view name);
// The Storm name of a level ("DEBUG").
std::string levelName(spdlog::level::level_enum level);
// The multilang `log` command's levels (0 TRACE .. 4 ERROR; anything else INFO).
spdlog::level::level_enum multilangLevel(int64_t level);

struct NamedLoggerLevel {
  std::string targetLevel;
  std::string resetLevel;
  int timeoutSecs = 0;
  int64_t timeoutEpochMs = 0;  // 0: no timeout
};

class LogLevels {
 public:
  static LogLevels& global();

  // Sets `logger` to `target`, back to its level of now after `timeoutSecs` (0: never).
  void update(const std::string& logger, spdlog::level::level_enum target, int timeoutSecs);
  // The same with the moment it goes back given (ms since the epoch, 0: never), as nimbus
  // stamps it for a cluster's workers.
  void updateUntil(const std::string& logger, spdlog::level::level_enum target, int timeoutSecs,
                   int64_t timeoutEpochMs);
  // Storm's REMOVE: the logger goes back to its reset level now.
  void remove(const std::string& logger);
  // Every named level set (Storm's getLogConfig).
  std::map<std::string, NamedLoggerLevel> config();

  // The level a component's multilang lines must reach: its own, else the root's.
  spdlog::level::level_enum componentLevel(std::string_view component);
  bool allows(std::string_view component, spdlog::level::level_enum level) {
    return level >= componentLevel(component);
  }
  // Resets the loggers whose timeout has passed.
  void expire();

  // For tests: forget every named level (the root keeps its level of now).
  void clear();

 private:
  struct Entry {
    spdlog::level::level_enum target;
    spdlog::level::level_enum reset;
    int timeoutSecs = 0;
    int64_t timeoutEpochMs = 0;
  };
  void apply(const std::string& logger, spdlog::level::level_enum level);
  spdlog::level::level_enum componentLevelLocked(std::string_view component) const;
  void expireLocked(int64_t nowMs);
  void updateNextExpiry();

  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> named_;
  std::atomic<int64_t> nextExpiryMs_{INT64_MAX};
  std::atomic<bool> any_{false};
};

}  // namespace squall::logs
