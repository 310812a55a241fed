#pragma once
// StormSubmitter: submits a topology built with TopologyBuilder to a cluster, as Storm's
// StormSubmitter.submitTopology does: nimbus is found from ~/.storm/storm.yaml and the given
// conf (nimbus.seeds, nimbus.thrift.port), the topology's jar is uploaded, and the definition
// goes as Storm's StormTopology (components as JavaObjects naming their class, shell
// components as ShellComponents) with the conf as JSON.
//
// The jar holds no code, only its manifest: a cluster's workers are `squall worker`
// processes, which run the classes Squall has (`squall classes`) and shell components, so
// that is what a submitted topology may name (nimbus refuses other class names). Shipping the
// program itself (as Storm ships the user's jar) would only help once supervisors can run a
// program as its own workers (runTopology's worker mode), and costs its size (10-200 MB) on
// every submit. A component handed to TopologyBuilder as an object is refused here: no other
// process can rebuild it from a name. Link Squall::squall_submit (find_package(Squall)).

#include <string>

#include "squall/config.h"
#include "squall/errors.h"
#include "squall/topology_builder.h"

namespace squall {

// Nimbus already runs a topology of that name (Storm's AlreadyAliveException).
class AlreadyAliveException : public SquallError {
 public:
  using SquallError::SquallError;
};

class StormSubmitter {
 public:
  // Returns the topology's id. Throws AlreadyAliveException, InvalidTopologyException (what
  // nimbus refuses, or a component no other process can rebuild), and SquallError when nimbus
  // cannot be reached or refuses for another reason; each message is Storm's.
  static std::string submitTopology(const std::string& name, const Config& conf,
                                    const StormTopology& topology);
};

}  // namespace squall
