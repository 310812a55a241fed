#pragma once
// The client side of a submission, as Storm's StormSubmitter does it: find the leader
// (thrift/nimbus_client.h), upload the jar with beginFileUpload/uploadChunk/finishFileUpload,
// call submitTopologyWithOpts, and look the new topology's id up. `squall submit` and
// squall::StormSubmitter both use it.

#include <memory>
#include <ostream>
#include <string>

#include "squall/value.h"
#include "storm_thrift/storm_types.h"
#include "thrift/nimbus_client.h"

namespace squall::submit {

// The leader among nimbus.seeds on nimbus.thrift.port, with storm.thrift.socket.timeout.ms and
// nimbus.thrift.max_buffer_size from `conf`. Throws thrift::NimbusUnavailable.
std::unique_ptr<thrift::NimbusConnection> connectToNimbus(const Map& conf);

struct Submission {
  std::string name;
  std::string jar;  // a local file; empty: nothing is uploaded
  std::string jsonConf;
  storm::StormTopology topology;
  bool inactive = false;  // TopologyInitialStatus.INACTIVE
};

// Uploads and submits, writing StormSubmitter's lines to `log`; returns the topology's id.
// Throws what the service throws (storm::AlreadyAliveException,
// storm::InvalidTopologyException, ...), thrift::NimbusUnavailable, or a Thrift transport error.
std::string submitToNimbus(const Map& conf, const Submission& submission, std::ostream& log);

}  // namespace squall::submit
