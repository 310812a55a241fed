#pragma once
// The executor layout a worker follows: a cluster's rebalance -e changes how many executors a
// component has without changing the topology's code, so a worker takes the counts from its
// assignment (Storm's workers take their executors from the assignment too): a component gets
// as many executors as the assignment has executor ranges among its tasks. Its task count stays
// the submitted one, so the tasks split into the new executors as nimbus split them.

#include <map>
#include <string>

#include "squall/config.h"
#include "squall/topology_builder.h"
#include "worker/assignment.h"

namespace squall::worker {

// Sets each component's executor count (parallelism, with topology.tasks pinned) to what
// `assignment` gives it; `conf` must already carry topology.workers. Returns the components
// changed and their new counts (empty when the assignment matches the definition).
// InvalidTopologyException when the topology cannot be planned.
std::map<std::string, int> followAssignedExecutors(StormTopology& topology, const std::string& name,
                                                   const Config& conf,
                                                   const Assignment& assignment);

}  // namespace squall::worker
