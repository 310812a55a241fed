#pragma once
// A topology's dynamic log levels on their way to its workers: the supervisor copies
// /logconfigs/ID (Storm's LogConfig, JSON) into each of the topology's slot folders, beside the
// worker's assignment file, where the worker reads it with its heartbeat (src/cli's runWorker),
// so workers need no ZooKeeper session of their own.

#include <string>

namespace squall::supervisor {

// The file in a slot's folder (storm.local.dir/workers/PORT/).
inline constexpr const char* kLogConfigFile = "logconfig";
// The topology's debug switches (/debugoptions/ID, logs/debug_sampling.h's JSON), relayed
// the same way.
inline constexpr const char* kDebugOptionsFile = "debugoptions";

// Writes `json` to `path` (through a rename) unless the file holds it already; true when written.
bool relayLogConfig(const std::string& json, const std::string& path);

}  // namespace squall::supervisor
