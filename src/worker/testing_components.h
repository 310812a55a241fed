#pragma once
// Deterministic components for tests of topologies spread over workers (registered by the
// squall command; see testing_components.cpp).

namespace squall::worker {

void registerTestingComponents();

// ProbeSpout and CountingBolt, for benchmarks that watch a cluster (probe_components.cpp).
void registerProbeComponents();

}  // namespace squall::worker
