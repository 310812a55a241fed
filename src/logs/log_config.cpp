#include "logs/log_config.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <stdexcept>

namespace squall::logs {
namespace {

[[noreturn]] void bad(const std::string& msg) {
  throw std::invalid_argument(msg);
}

// ROOT in any case is the root logger, as Storm's LogConfigManager reads it.
std::string loggerName(std::string_view name) {
  std::string up;
  for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return up == kRootLogger ? std::string(kRootLogger) : std::string(name);
}

void checkLogger(const std::string& name) {
  if (name.empty()) bad("Named loggers need a valid name. Use ROOT for the root logger");
  if (name.size() > kLongestLoggerName) {
    bad(fmt::format("logger name '{}...' is longer than {} characters", name.substr(0, 40),
                    kLongestLoggerName));
  }
}

std::string checkedLevel(const std::string& logger, const std::string& level) {
  auto parsed = parseLevel(level);
  if (!parsed) {
    bad(
        fmt::format("logger '{}': '{}' is not a level (ALL, TRACE, DEBUG, INFO, WARN, ERROR, "
                    "FATAL, OFF)",
                    logger, level));
  }
  return levelName(*parsed);
}

}  // namespace

std::string logConfigToJson(const LogConfig& config) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("named_logger_level");
  w.StartObject();
  for (const auto& [name, s] : config) {
    w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    w.Key("action");
    w.Int(static_cast<int>(s.action));
    if (!s.targetLevel.empty()) {
      w.Key("target_log_level");
      w.String(s.targetLevel.c_str());
    }
    w.Key("reset_log_level_timeout_secs");
    w.Int(s.timeoutSecs);
    if (s.timeoutEpochMs > 0) {
      w.Key("reset_log_level_timeout_epoch");
      w.Int64(s.timeoutEpochMs);
    }
    if (!s.resetLevel.empty()) {
      w.Key("reset_log_level");
      w.String(s.resetLevel.c_str());
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return out.GetString();
}

LogConfig logConfigFromJson(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) {
    bad(fmt::format("log config: {} at offset {}", rapidjson::GetParseError_En(d.GetParseError()),
                    d.GetErrorOffset()));
  }
  if (!d.IsObject()) bad("log config: not a JSON object");
  // Read through const: clang's C++20 finds rapidjson's mutable iterator comparisons ambiguous.
  const rapidjson::Document& doc = d;
  LogConfig out;
  auto named = doc.FindMember("named_logger_level");
  if (named == doc.MemberEnd()) return out;
  if (!named->value.IsObject()) bad("log config: named_logger_level is not an object");
  for (const auto& m : named->value.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsObject()) bad(fmt::format("log config: logger '{}' is not an object", name));
    LoggerSetting s;
    const auto& v = m.value;
    auto action = v.FindMember("action");
    if (action == v.MemberEnd() || !action->value.IsInt() || action->value.GetInt() < 1 ||
        action->value.GetInt() > 3) {
      bad(fmt::format("log config: logger '{}': action must be 1, 2 or 3", name));
    }
    s.action = static_cast<LogLevelAction>(action->value.GetInt());
    auto str = [&](const char* field, std::string& into) {
      auto it = v.FindMember(field);
      if (it == v.MemberEnd()) return;
      if (!it->value.IsString()) bad(fmt::format("log config: logger '{}': {}", name, field));
      into = it->value.GetString();
    };
    str("target_log_level", s.targetLevel);
    str("reset_log_level", s.resetLevel);
    if (auto it = v.FindMember("reset_log_level_timeout_secs"); it != v.MemberEnd()) {
      if (!it->value.IsInt()) bad(fmt::format("log config: logger '{}': timeout", name));
      s.timeoutSecs = it->value.GetInt();
    }
    if (auto it = v.FindMember("reset_log_level_timeout_epoch"); it != v.MemberEnd()) {
      if (!it->value.IsInt64()) bad(fmt::format("log config: logger '{}': timeout epoch", name));
      s.timeoutEpochMs = it->value.GetInt64();
    }
    out[name] = std::move(s);
  }
  return out;
}

LogConfig mergeLogConfig(LogConfig current, const LogConfig& change, int64_t nowMs) {
  LogConfig checked;
  for (const auto& [rawName, s] : change) {
    std::string name = loggerName(rawName);
    checkLogger(name);
    LoggerSetting c = s;
    if (s.action == LogLevelAction::Update) {
      c.targetLevel = checkedLevel(name, s.targetLevel);
      if (s.timeoutSecs < 0) {
        bad(fmt::format("logger '{}': the timeout must be 0 (none) or more seconds, got {}", name,
                        s.timeoutSecs));
      }
      c.timeoutEpochMs = s.timeoutSecs > 0 ? nowMs + int64_t{s.timeoutSecs} * 1000 : 0;
    }
    checked[name] = std::move(c);
  }
  for (auto& [name, s] : current) s.action = LogLevelAction::Unchanged;
  for (const auto& [name, s] : checked) {
    if (s.action == LogLevelAction::Update) {
      current[name] = s;
    } else if (s.action == LogLevelAction::Remove) {
      current.erase(name);
    }
  }
  if (current.size() > kMostLoggers) {
    bad(fmt::format("a topology may set at most {} loggers; remove some first (-r)", kMostLoggers));
  }
  return current;
}

std::pair<std::string, LoggerSetting> parseLogSetting(std::string_view text, bool remove) {
  LoggerSetting s;
  if (remove) {
    s.action = LogLevelAction::Remove;
    std::string name = loggerName(text);
    checkLogger(name);
    return {name, s};
  }
  auto eq = text.find('=');
  if (eq == std::string_view::npos || text.find('=', eq + 1) != std::string_view::npos) {
    bad(fmt::format("Invalid log string '{}' (expected LOGGER=LEVEL[:TIMEOUT_SECS])", text));
  }
  std::string name = loggerName(text.substr(0, eq));
  checkLogger(name);
  std::string_view rest = text.substr(eq + 1);
  std::string_view level = rest, timeout;
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    level = rest.substr(0, colon);
    timeout = rest.substr(colon + 1);
  }
  s.targetLevel = checkedLevel(name, std::string(level));
  if (!timeout.empty()) {
    auto [end, ec] =
        std::from_chars(timeout.data(), timeout.data() + timeout.size(), s.timeoutSecs);
    if (ec != std::errc() || end != timeout.data() + timeout.size() || s.timeoutSecs < 0) {
      bad(fmt::format("Invalid log string '{}': the timeout '{}' is not a whole number of seconds",
                      text, timeout));
    }
  }
  return {name, s};
}

int LogConfigFollower::apply(const LogConfig& config, int64_t nowMs) {
  int changed = 0;
  LogConfig next;
  for (const auto& [rawName, s] : config) {
    if (s.action == LogLevelAction::Remove) continue;
    std::string name = loggerName(rawName);
    auto level = parseLevel(s.targetLevel);
    if (!level) continue;  // nimbus checks levels; one it let through is left alone
    if (s.timeoutEpochMs > 0 && s.timeoutEpochMs <= nowMs) continue;  // already over
    next[name] = s;
    auto was = applied_.find(name);
    if (was != applied_.end() && was->second.targetLevel == s.targetLevel &&
        was->second.timeoutEpochMs == s.timeoutEpochMs) {
      continue;  // set already; setting it again would make its own level the reset level
    }
    spdlog::info("log level of {} set to {}{}", name, levelName(*level),
                 s.timeoutEpochMs > 0 ? fmt::format(" for {} s", s.timeoutSecs) : "");
    levels_.updateUntil(name, *level, s.timeoutSecs, s.timeoutEpochMs);
    ++changed;
  }
  for (const auto& [name, s] : applied_) {
    if (next.count(name)) continue;
    // No longer set (removed, or its timeout passed): back to the level it had.
    levels_.remove(name);
    ++changed;
  }
  applied_ = std::move(next);
  levels_.expire();
  return changed;
}

}  // namespace squall::logs
