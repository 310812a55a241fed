#pragma once
// NimbusBackend: what Storm's Nimbus Thrift service asks of a nimbus. NimbusServer decodes each
// request and calls one of these; the nimbus daemon implements it (src/nimbus/NimbusCore in
// process, ZooKeeper-backed in the cluster). Types are the ones generated from storm.thrift,
// so nothing is translated twice.
//
// Methods may be called from several connection threads at once. Expected failures are the
// service's declared exceptions (storm::NotAliveException, AlreadyAliveException,
// InvalidTopologyException, AuthorizationException), which reach the client as Storm's; any
// other exception reaches it as a TApplicationException carrying what().

#include <string>

#include "storm_thrift/storm_types.h"

namespace squall::thrift {

class NimbusBackend {
 public:
  virtual ~NimbusBackend() = default;

  // submitTopology is submitTopologyWithOpts with initial_status ACTIVE.
  virtual void submitTopology(const std::string& name, const std::string& uploadedJarLocation,
                              const std::string& jsonConf, const storm::StormTopology& topology,
                              const storm::SubmitOptions& options) = 0;
  // killTopology is killTopologyWithOpts with no wait_secs (the topology's message timeout).
  virtual void killTopology(const std::string& name, const storm::KillOptions& options) = 0;
  virtual void activate(const std::string& name) = 0;
  virtual void deactivate(const std::string& name) = 0;
  virtual void rebalance(const std::string& name, const storm::RebalanceOptions& options) = 0;
  // Storm's debug: the topology named `name` (component empty) or one of its components logs
  // `samplingPercentage` % of its tuples while `enable`; getTopologyInfo's component_debug
  // shows it (the topology's own entry under its id). NotAliveException when no such topology.
  virtual void debug(const std::string& name, const std::string& component, bool enable,
                     double samplingPercentage) = 0;
  // Dynamic log levels of a topology, by id (Storm's): setLogConfig merges UPDATE and REMOVE
  // entries into what is set (timeouts stamped with their epoch), getLogConfig returns it.
  virtual void setLogConfig(const std::string& id, const storm::LogConfig& config) = 0;
  virtual storm::LogConfig getLogConfig(const std::string& id) = 0;

  // An upload: a location handed out by beginFileUpload, chunks appended, then finished; the
  // finished location is what submitTopology's uploadedJarLocation names.
  virtual std::string beginFileUpload() = 0;
  virtual void uploadChunk(const std::string& location, const std::string& chunk) = 0;
  virtual void finishFileUpload(const std::string& location) = 0;

  // A topology's blobs (Storm's keys: ID-stormjar.jar, ID-stormcode.ser, ID-stormconf.ser):
  // beginBlobDownload opens a session (storm::KeyNotFoundException for an unknown key), each
  // downloadBlobChunk returns the next chunk, an empty one at the end.
  virtual storm::BeginDownloadResult beginBlobDownload(const std::string& key) = 0;
  virtual std::string downloadBlobChunk(const std::string& session) = 0;

  virtual std::string getNimbusConf() = 0;  // JSON
  virtual storm::ClusterSummary getClusterInfo() = 0;
  virtual storm::NimbusSummary getLeader() = 0;
  virtual bool isTopologyNameAllowed(const std::string& name) = 0;
  // By topology id (name-N-secs); NotAliveException when there is none.
  virtual storm::TopologyInfo getTopologyInfo(const std::string& id) = 0;
  virtual std::string getTopologyConf(const std::string& id) = 0;       // JSON
  virtual storm::StormTopology getTopology(const std::string& id) = 0;  // with system components
  virtual storm::StormTopology getUserTopology(const std::string& id) = 0;  // as submitted
};

}  // namespace squall::thrift
