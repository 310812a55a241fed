#pragma once
// Storm's LogConfig between its Thrift form (setLogConfig / getLogConfig) and the one nimbus
// keeps and workers follow (logs/log_config.h); the same for its debug switches
// (logs/debug_sampling.h).

#include <map>
#include <string>

#include "logs/debug_sampling.h"
#include "logs/log_config.h"
#include "storm_thrift/storm_types.h"

namespace squall::nimbus {

logs::LogConfig fromThrift(const storm::LogConfig& config);
storm::LogConfig toThrift(const logs::LogConfig& config);

// Storm's debug call as nimbus keeps it: the percentage clamped to 0..100, as Storm's.
logs::DebugOption debugOption(bool enable, double samplingPercentage);
// TopologyInfo.component_debug: samplingpct set only while enabled, as Storm's nimbus does.
std::map<std::string, storm::DebugOptions> componentDebugThrift(const logs::DebugOptions& options);

}  // namespace squall::nimbus
