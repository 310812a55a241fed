#pragma once
// Storm's UI log levels, /api/v1/topology/:id/logconfig: GET (and POST's reply) renders the
// named logger levels in effect as Storm's UIHelpers.getTopologyLogconfig does
// ({"namedLoggerLevels": {LOGGER: {target_level, reset_level, timeout, timeout_epoch}}}); a POST
// body of the same shape is applied as Storm's putTopologyLogLevel: a target_level sets the
// logger (back to its level of before after `timeout` seconds, 0 never), no target_level
// clears it. Loggers: ROOT, or a component id (its multilang children's lines).

#include <map>
#include <string>
#include <string_view>

#include "logs/log_levels.h"

namespace squall::ui {

std::string logConfigJson(const std::map<std::string, logs::NamedLoggerLevel>& levels);
// Checks the whole body first, then applies it; ApiError 400 naming the logger and field on
// bad input (nothing is applied then).
void applyLogConfig(std::string_view body, logs::LogLevels& levels);

}  // namespace squall::ui
