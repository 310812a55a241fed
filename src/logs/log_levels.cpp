#include "logs/log_levels.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace squall::logs {

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<spdlog::level::level_enum> parseLevel(std::string_view name) {
  std::string up;
  for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  using L = spdlog::level::level_enum;
  if (up == "ALL" || up == "TRACE") return L::trace;
  if (up == "DEBUG") return L::debug;
  if (up == "INFO") return L::info;
  if (up == "WARN" || up == "WARNING") return L::warn;
  if (up == "ERROR") return L::err;
  if (up == "FATAL") return L::critical;
  if (up == "OFF") return L::off;
  return std::nullopt;
}

std::string levelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "TRACE";
    case spdlog::level::debug:
      return "DEBUG";
    case spdlog::level::info:
      return "INFO";
    case spdlog::level::warn:
      return "WARN";
    case spdlog::level::err:
      return "ERROR";
    case spdlog::level::critical:
      return "FATAL";
    default:
      return "OFF";
  }
}

spdlog::level::level_enum multilangLevel(int64_t level) {
  switch (level) {
    case 0:
      return spdlog::level::trace;
    case 1:
      return spdlog::level::debug;
    case 3:
      return spdlog::level::warn;
    case 4:
      return spdlog::level::err;
    default:
      return spdlog::level::info;
  }
}

LogLevels& LogLevels::global() {
  static LogLevels levels;
  return levels;
}

void LogLevels::apply(const std::string& logger, spdlog::level::level_enum level) {
  if (logger == kRootLogger) spdlog::default_logger_raw()->set_level(level);
}

void LogLevels::update(const std::string& logger, spdlog::level::level_enum target,
                       int timeoutSecs) {
  updateUntil(logger, target, timeoutSecs,
              timeoutSecs > 0 ? nowMs() + int64_t{timeoutSecs} * 1000 : 0);
}

void LogLevels::updateUntil(const std::string& logger, spdlog::level::level_enum target,
                            int timeoutSecs, int64_t timeoutEpochMs) {
  std::lock_guard lock(mu_);
  auto it = named_.find(logger);
  // The level to go back to is the one before the first change, as a repeated change keeps it.
  spdlog::level::level_enum reset = it != named_.end()      ? it->second.reset
                                    : logger == kRootLogger ? spdlog::default_logger_raw()->level()
                                                            : componentLevelLocked(logger);
  Entry e{target, reset, std::max(0, timeoutSecs), std::max<int64_t>(0, timeoutEpochMs)};
  named_.insert_or_assign(logger, e);
  apply(logger, target);
  updateNextExpiry();
}

void LogLevels::remove(const std::string& logger) {
  std::lock_guard lock(mu_);
  auto it = named_.find(logger);
  if (it == named_.end()) return;
  apply(logger, it->second.reset);
  named_.erase(it);
  updateNextExpiry();
}

std::map<std::string, NamedLoggerLevel> LogLevels::config() {
  std::lock_guard lock(mu_);
  expireLocked(nowMs());
  std::map<std::string, NamedLoggerLevel> out;
  for (const auto& [name, e] : named_) {
    out[name] =
        NamedLoggerLevel{levelName(e.target), levelName(e.reset), e.timeoutSecs, e.timeoutEpochMs};
  }
  return out;
}

spdlog::level::level_enum LogLevels::componentLevelLocked(std::string_view component) const {
  auto it = named_.find(component);
  if (it != named_.end()) return it->second.target;
  return spdlog::default_logger_raw()->level();
}

spdlog::level::level_enum LogLevels::componentLevel(std::string_view component) {
  if (!any_.load(std::memory_order_acquire)) return spdlog::default_logger_raw()->level();
  std::lock_guard lock(mu_);
  if (nowMs() >= nextExpiryMs_.load()) expireLocked(nowMs());
  return componentLevelLocked(component);
}

void LogLevels::expire() {
  if (nowMs() < nextExpiryMs_.load()) return;
  std::lock_guard lock(mu_);
  expireLocked(nowMs());
}

void LogLevels::expireLocked(int64_t now) {
  for (auto it = named_.begin(); it != named_.end();) {
    if (it->second.timeoutEpochMs > 0 && it->second.timeoutEpochMs <= now) {
      spdlog::info("log level of {} back to {} (its {} s timeout passed)", it->first,
                   levelName(it->second.reset), it->second.timeoutSecs);
      apply(it->first, it->second.reset);
      it = named_.erase(it);
    } else {
      ++it;
    }
  }
  updateNextExpiry();
}

void LogLevels::updateNextExpiry() {
  int64_t next = INT64_MAX;
  for (const auto& [name, e] : named_) {
    if (e.timeoutEpochMs > 0) next = std::min(next, e.timeoutEpochMs);
  }
  nextExpiryMs_.store(next);
  any_.store(!named_.empty(), std::memory_order_release);
}

void LogLevels::clear() {
  std::lock_guard lock(mu_);
  named_.clear();
  updateNextExpiry();
}

}  // namespace squall::logs
