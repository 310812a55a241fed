#pragma once
// The generated service interface (storm::NimbusIf) over a NimbusBackend: fills the Thrift
// out-parameters, gives the calls Storm defines in terms of others (submitTopology,
// killTopology, the summaries and lookups by name) their Storm meaning, and logs failures.
// NimbusServer serves it; the fuzz target feeds it requests decoded from raw bytes.

#include <thrift/protocol/TProtocol.h>

#include <memory>

#include "storm_thrift/Nimbus.h"
#include "thrift/nimbus_backend.h"

namespace squall::thrift {

std::shared_ptr<storm::NimbusIf> makeNimbusHandler(std::shared_ptr<NimbusBackend> backend);

// The binary protocol as nimbus reads requests: no string and no container may claim more
// than `maxBufferSize` (a frame's bound), so a small frame cannot make the decoder allocate
// gigabytes before it finds the bytes missing (Thrift resizes a string to its claimed length
// first).
std::shared_ptr<apache::thrift::protocol::TProtocolFactory> nimbusProtocolFactory(
    int maxBufferSize);

}  // namespace squall::thrift
