#pragma once
// The topology a `squall worker --storm-dist DIR` runs: stormcode.ser (the submitted
// StormTopology) translated with nimbus::toTopologyDef, as nimbus planned it, and stormconf.ser
// (the topology's configuration, JSON). Shell components run in DIR/resources, Storm's working
// directory for them (DIR when the jar had none).

#include <string>

#include "flux/topology_file.h"

namespace squall::supervisor {

// std::runtime_error naming the file when one is missing or malformed;
// InvalidTopologyException naming the component the translation refuses.
flux::TopologyFile loadStormDist(const std::string& dir);

}  // namespace squall::supervisor
