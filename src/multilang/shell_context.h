#pragma once
// What the handshake tells a multilang child (storm.md 1.3): the task's configuration, its
// topology context as TopologyContext.toJSONString renders it, and the pid directory.

#include <string>

#include "squall/config.h"
#include "squall/topology_context.h"
#include "squall/value.h"

namespace squall::internal {

// Storm's grouping object: {"type": "FIELDS", "fields": [...]}, {"type": "SHUFFLE"}, ...
Value groupingObject(const GroupingDef& g);

// Every key of storm.md 1.3 (task->component, taskid, componentid, streams,
// stream->outputfields, stream->target->grouping, source->stream->grouping,
// source->stream->fields), system streams and components left out as Storm does.
Map contextMap(const TopologyContext& ctx);

// The declared keys with their values or defaults, plus every explicit key.
Map confMap(const Config& conf);

// TopologyContext::getPIDDir(), or /tmp/squall-pids/<storm id>/worker-<pid> when the
// topology has none; created if missing.
std::string pidDirFor(const TopologyContext& ctx);
// Removes a directory made by pidDirFor (and its topology parent) once they are empty;
// nothing when the topology named its own (`ours` false).
void removePidDirIfEmpty(bool ours, const std::string& dir);

}  // namespace squall::internal
