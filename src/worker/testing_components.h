#pragma once
// Deterministic components for tests of topologies spread over workers (registered by the
// squall command; see testing_components.cpp).

namespace squall::worker {

void registerTestingComponents();

}  // namespace squall::worker
