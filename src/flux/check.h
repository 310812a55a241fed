#pragma once
// checkTopology: what can be checked about a TopologyFile without running it (classes and
// their constructor arguments, declared streams, subscriptions, grouping fields, config),
// each problem reported as a FluxError at the file and line at fault.

#include <map>
#include <string>
#include <vector>

#include "flux/topology_file.h"

namespace squall::flux {

struct CheckedTopology {
  // What each component declares: stream -> fields.
  std::map<std::string, std::map<std::string, StreamInfo>> outputs;
  std::map<std::string, int> tasks;
  // Components whose class this binary lacks (shell components when it was built without
  // the multilang engine): checked from their arguments, but they cannot run.
  std::vector<std::string> unavailable;

  bool runnable() const { return unavailable.empty(); }
};

CheckedTopology checkTopology(const TopologyFile& file);

// The engine's own submit-time validation (TopologyPlan), for a runnable topology; throws
// InvalidTopologyException or ConfigError (their messages name the component's origin).
void planTopology(const TopologyFile& file);

}  // namespace squall::flux
