#pragma once
// `squall describe`: a checked topology as a readable table, or as Graphviz dot.

#include <string>

#include "flux/check.h"
#include "flux/topology_file.h"

namespace squall::flux {

// Components (kind, parallelism, tasks, class, outputs), streams (from, stream, to,
// grouping) and configuration, as aligned text.
std::string describeTopology(const TopologyFile& file, const CheckedTopology& checked);

// A `digraph`: spouts as boxes, bolts as ellipses, one edge per subscription labelled with
// the stream (when not "default") and the grouping.
std::string topologyDot(const TopologyFile& file, const CheckedTopology& checked);

}  // namespace squall::flux
