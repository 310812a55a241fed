#pragma once
// Storm's LogConfig between its Thrift form (setLogConfig / getLogConfig) and the one nimbus
// keeps and workers follow (logs/log_config.h).

#include "logs/log_config.h"
#include "storm_thrift/storm_types.h"

namespace squall::nimbus {

logs::LogConfig fromThrift(const storm::LogConfig& config);
storm::LogConfig toThrift(const logs::LogConfig& config);

}  // namespace squall::nimbus
