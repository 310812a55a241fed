#pragma once
// Storm's UI log levels, /api/v1/topology/:id/logconfig: GET (and POST's reply) renders the
// named logger levels in effect as Storm's UIHelpers.getTopologyLogconfig does
// ({"namedLoggerLevels": {LOGGER: {target_level, reset_level, timeout, timeout_epoch}}}); a POST
// body of the same shape is applied as Storm's putTopologyLogLevel: a target_level sets the
// logger (back to its level of before after `timeout` seconds, 0 never), no target_level
// clears it. Loggers: ROOT, or a component id (its multilang children's lines).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logs/log_levels.h"

namespace squall::ui {

std::string logConfigJson(const std::map<std::string, logs::NamedLoggerLevel>& levels);

// One logger of a POST body: set to `target` for `timeoutSecs` (0: kept), or cleared.
struct LogConfigChange {
  std::string logger;
  std::optional<spdlog::level::level_enum> target;  // none: clear
  int timeoutSecs = 0;
};
// Checks the whole body; ApiError 400 naming the logger and field on bad input.
std::vector<LogConfigChange> parseLogConfig(std::string_view body);
// parseLogConfig, then applies it to this process's levels (nothing applied on bad input).
void applyLogConfig(std::string_view body, logs::LogLevels& levels);

}  // namespace squall::ui
