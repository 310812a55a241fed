#pragma once
// Storm's commit metadata: every commit carries {"topologyId": <storm id>, "taskId": <int>,
// "threadName": <str>}, so a spout can tell its own commits (resume there whatever the
// FirstPollOffsetStrategy) from those of an earlier submission or another tool.

#include <optional>
#include <string>

namespace squall::kafka {

std::string makeCommitMetadata(const std::string& topologyId, int taskId,
                               const std::string& threadName);
// The topologyId of Storm-format metadata; nullopt when it does not parse.
std::optional<std::string> commitMetadataTopologyId(const std::string& metadata);

}  // namespace squall::kafka
