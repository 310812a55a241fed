#include "nimbus/log_config_thrift.h"

#include <algorithm>
#include <cmath>

namespace squall::nimbus {

logs::LogConfig fromThrift(const storm::LogConfig& config) {
  logs::LogConfig out;
  for (const auto& [name, l] : config.named_logger_level) {
    logs::LoggerSetting s;
    int action = static_cast<int>(l.action);
    // An action outside the enum is as good as UNCHANGED: nothing to do for that logger.
    s.action = action >= 1 && action <= 3 ? static_cast<logs::LogLevelAction>(action)
                                          : logs::LogLevelAction::Unchanged;
    if (l.__isset.target_log_level) s.targetLevel = l.target_log_level;
    if (l.__isset.reset_log_level_timeout_secs) s.timeoutSecs = l.reset_log_level_timeout_secs;
    if (l.__isset.reset_log_level_timeout_epoch) s.timeoutEpochMs = l.reset_log_level_timeout_epoch;
    if (l.__isset.reset_log_level) s.resetLevel = l.reset_log_level;
    out[name] = std::move(s);
  }
  return out;
}

storm::LogConfig toThrift(const logs::LogConfig& config) {
  storm::LogConfig out;
  std::map<std::string, storm::LogLevel> named;
  for (const auto& [name, s] : config) {
    storm::LogLevel l;
    l.action = static_cast<storm::LogLevelAction::type>(static_cast<int>(s.action));
    if (!s.targetLevel.empty()) l.__set_target_log_level(s.targetLevel);
    l.__set_reset_log_level_timeout_secs(s.timeoutSecs);
    if (s.timeoutEpochMs > 0) l.__set_reset_log_level_timeout_epoch(s.timeoutEpochMs);
    if (!s.resetLevel.empty()) l.__set_reset_log_level(s.resetLevel);
    named[name] = std::move(l);
  }
  out.__set_named_logger_level(std::move(named));
  return out;
}

logs::DebugOption debugOption(bool enable, double samplingPercentage) {
  double pct = std::isfinite(samplingPercentage) ? std::clamp(samplingPercentage, 0.0, 100.0) : 0;
  return logs::DebugOption{enable, pct};
}

std::map<std::string, storm::DebugOptions> componentDebugThrift(const logs::DebugOptions& options) {
  std::map<std::string, storm::DebugOptions> out;
  for (const auto& [key, o] : options) {
    storm::DebugOptions d;
    d.__set_enable(o.enable);
    if (o.enable) d.__set_samplingpct(o.samplingPct);
    out[key] = d;
  }
  return out;
}

}  // namespace squall::nimbus
