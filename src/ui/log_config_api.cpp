#include "ui/log_config_api.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <charconv>
#include <optional>
#include <vector>

#include "ui/json_out.h"
#include "ui/storm_api.h"

namespace squall::ui {

namespace {

constexpr size_t kMaxLoggers = 1000;
constexpr size_t kMaxLoggerName = 256;
constexpr int64_t kMaxTimeoutSecs = 366LL * 86400;

std::string shown(std::string_view s) {
  return validUtf8(s.size() > 100 ? std::string(s.substr(0, 100)) + "..." : std::string(s));
}

int timeoutOf(const std::string& logger, const rapidjson::Value& v) {
  int64_t secs = 0;
  if (v.IsNull()) return 0;
  if (v.IsInt64()) {
    secs = v.GetInt64();
  } else if (v.IsString()) {  // Storm's UI form sends the field as typed
    std::string_view s(v.GetString(), v.GetStringLength());
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) secs = -1;
  } else {
    secs = -1;
  }
  if (secs < 0 || secs > kMaxTimeoutSecs) {
    throw ApiError(400, fmt::format("logger '{}': timeout must be whole seconds from 0 to {}",
                                    shown(logger), kMaxTimeoutSecs));
  }
  return static_cast<int>(secs);
}

}  // namespace

std::string logConfigJson(const std::map<std::string, logs::NamedLoggerLevel>& levels) {
  JsonOut j;
  j.startObject().key("namedLoggerLevels").startObject();
  for (const auto& [name, l] : levels) {
    j.key(name).startObject();
    j.field("target_level", l.targetLevel);
    j.field("reset_level", l.resetLevel);
    j.field("timeout", l.timeoutSecs);
    j.field("timeout_epoch", l.timeoutEpochMs);
    j.endObject();
  }
  j.endObject().endObject();
  return j.take();
}

std::vector<LogConfigChange> parseLogConfig(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    throw ApiError(
        400, fmt::format("the body is not JSON: {} at offset {}",
                         rapidjson::GetParseError_En(doc.GetParseError()), doc.GetErrorOffset()));
  }
  if (!doc.IsObject() || !doc.HasMember("namedLoggerLevels") ||
      !doc["namedLoggerLevels"].IsObject()) {
    throw ApiError(400,
                   "the body must be {\"namedLoggerLevels\": {LOGGER: {\"target_level\": LEVEL, "
                   "\"timeout\": SECS}}}");
  }
  const auto& named = doc["namedLoggerLevels"];
  if (named.MemberCount() > kMaxLoggers) {
    throw ApiError(400, fmt::format("at most {} loggers at once", kMaxLoggers));
  }
  std::vector<LogConfigChange> changes;
  for (auto it = named.MemberBegin(); it != named.MemberEnd(); ++it) {
    LogConfigChange c;
    c.logger.assign(it->name.GetString(), it->name.GetStringLength());
    if (c.logger.empty() || c.logger.size() > kMaxLoggerName ||
        c.logger.find('\0') != std::string::npos) {
      throw ApiError(400, fmt::format("logger name '{}' must be 1 to {} characters",
                                      shown(c.logger), kMaxLoggerName));
    }
    if (!it->value.IsObject()) {
      throw ApiError(400, fmt::format("logger '{}': expected an object with target_level and "
                                      "timeout",
                                      shown(c.logger)));
    }
    const auto& v = it->value;
    if (v.HasMember("target_level") && !v["target_level"].IsNull()) {
      const auto& t = v["target_level"];
      std::string_view name =
          t.IsString() ? std::string_view(t.GetString(), t.GetStringLength()) : std::string_view();
      if (!name.empty()) {
        c.target = logs::parseLevel(name);
        if (!c.target) {
          throw ApiError(400, fmt::format("logger '{}': unknown target_level '{}' (ALL, TRACE, "
                                          "DEBUG, INFO, WARN, ERROR, FATAL, OFF)",
                                          shown(c.logger), shown(name)));
        }
      } else if (!t.IsString()) {
        throw ApiError(
            400, fmt::format("logger '{}': target_level must be a level name", shown(c.logger)));
      }
    }
    if (v.HasMember("timeout")) c.timeoutSecs = timeoutOf(c.logger, v["timeout"]);
    changes.push_back(std::move(c));
  }
  return changes;
}

void applyLogConfig(std::string_view body, logs::LogLevels& levels) {
  for (const auto& c : parseLogConfig(body)) {
    if (c.target) {
      levels.update(c.logger, *c.target, c.timeoutSecs);
    } else {
      levels.remove(c.logger);
    }
  }
}

}  // namespace squall::ui
