#pragma once
// Storm's topology.debug for topologies run by `squall run`: every emit, every tuple a bolt
// receives, and every ack and fail are logged at info level. Done by wrapping components in a
// tracing decorator registered in the topology's local registry (the runtime is untouched),
// which logs while logs::DebugSampling says so: from the start when the configuration (the
// topology's, or the component's own) has topology.debug=true, and, when the run serves the
// UI, as its debug/enable|disable/:percent turns it on and off (a relaxed atomic load per
// call while off).

#include "squall/config.h"
#include "squall/topology_builder.h"

namespace squall::flux {

// Sets logs::DebugSampling from `conf` and rewrites the class names of the components to
// trace: those with topology.debug on, or all when `switchable` (debug may be turned on while
// the topology runs). Call before submit.
void enableDebugTracing(StormTopology& topology, const Config& conf, bool switchable = false);

}  // namespace squall::flux
