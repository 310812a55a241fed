#pragma once
// The generated service interface (storm::NimbusIf) over a NimbusBackend: fills the Thrift
// out-parameters, gives the calls Storm defines in terms of others (submitTopology,
// killTopology, the summaries and lookups by name) their Storm meaning, and logs failures.
// NimbusServer serves it; the fuzz target feeds it requests decoded from raw bytes.

#include <memory>

#include "storm_thrift/Nimbus.h"
#include "thrift/nimbus_backend.h"

namespace squall::thrift {

std::shared_ptr<storm::NimbusIf> makeNimbusHandler(std::shared_ptr<NimbusBackend> backend);

}  // namespace squall::thrift
