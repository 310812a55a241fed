#pragma once
// Storm's topology.debug for topologies run by `squall run`: every emit, every tuple a bolt
// receives, and every ack and fail are logged at info level. Done by wrapping each component
// whose configuration (the topology's, or its own) has topology.debug=true in a tracing
// decorator registered in the topology's local registry; the runtime is untouched.

#include "squall/config.h"
#include "squall/topology_builder.h"

namespace squall::flux {

// Rewrites the class names of the components to trace. Call before submit.
void enableDebugTracing(StormTopology& topology, const Config& conf);

}  // namespace squall::flux
