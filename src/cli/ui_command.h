#pragma once
// `squall ui` (Storm's `storm ui`): Storm's UI REST API, the web UI and /metrics for a
// cluster, read through nimbus's Thrift API (ui/nimbus_source.h), on ui.host (default
// loopback) and ui.port (Storm's default 8080 when unset; 0 picks a free port), read-only when
// ui.actions.enabled is false. Prints the address it serves, then serves until SIGINT or
// SIGTERM.

#include "squall/value.h"

namespace squall::cli {

// `conf`: the storm.yaml and -c overrides, found as every cluster verb finds them. The exit
// status: 0 after a signal, 1 when the port cannot be bound.
int runClusterUi(const Map& conf);

}  // namespace squall::cli
