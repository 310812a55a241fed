// Fuzzes what a client writes to nimbus: one Thrift request (binary protocol, the bytes inside
// a frame) decoded by the generated Nimbus processor and dispatched to a backend that
// translates every submitted StormTopology into a TopologyDef and merges every LogConfig (and
// encodes every debug switch), as the nimbus core does. Only Thrift's own exceptions may come out
// of the processor (it answers them or drops the connection); a crash, a leak or a sanitizer report
// is a bug.

#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <cstdint>

#include "logs/debug_sampling.h"
#include "logs/log_config.h"
#include "nimbus/log_config_thrift.h"
#include "nimbus/storm_topology_translation.h"
#include "thrift/nimbus_handler.h"

using namespace squall;

namespace {

class TranslatingBackend : public thrift::NimbusBackend {
 public:
  void submitTopology(const std::string&, const std::string&, const std::string&,
                      const storm::StormTopology& topology, const storm::SubmitOptions&) override {
    nimbus::TranslateOptions options;
    options.requireRegisteredClasses = false;
    nimbus::toTopologyDef(topology, options);
    nimbus::deserializeTopology(nimbus::serializeTopology(topology));
  }
  void killTopology(const std::string&, const storm::KillOptions&) override {}
  void activate(const std::string&) override {}
  void deactivate(const std::string&) override {}
  void rebalance(const std::string&, const storm::RebalanceOptions&) override {}
  // Merged into an empty config as nimbus merges one (levels and names checked, timeouts
  // stamped), then through the form /logconfigs/ID keeps.
  void setLogConfig(const std::string&, const storm::LogConfig& config) override {
    logs::LogConfig merged = logs::mergeLogConfig({}, nimbus::fromThrift(config), 0);
    logs::logConfigFromJson(logs::logConfigToJson(merged));
  }
  storm::LogConfig getLogConfig(const std::string&) override { return {}; }
  // As nimbus keeps it: through the JSON of /debugoptions/ID.
  void debug(const std::string&, const std::string& component, bool enable, double pct) override {
    logs::DebugOptions o{{component.empty() ? "t-1-1" : component, {enable, pct}}};
    logs::debugOptionsFromJson(logs::debugOptionsToJson(o));
  }
  std::string beginFileUpload() override { return "inbox/x.jar"; }
  void uploadChunk(const std::string&, const std::string&) override {}
  void finishFileUpload(const std::string&) override {}
  // Every key unknown: the declared exception's path through the handler is what is fuzzed.
  storm::BeginDownloadResult beginBlobDownload(const std::string& key) override {
    storm::KeyNotFoundException e;
    e.msg = key;
    throw e;
  }
  std::string downloadBlobChunk(const std::string&) override { return {}; }
  std::string getNimbusConf() override { return "{}"; }
  storm::ClusterSummary getClusterInfo() override { return {}; }
  storm::NimbusSummary getLeader() override { return {}; }
  bool isTopologyNameAllowed(const std::string& name) override {
    return nimbus::isValidTopologyName(name);
  }
  storm::TopologyInfo getTopologyInfo(const std::string&) override { return {}; }
  std::string getTopologyConf(const std::string&) override { return "{}"; }
  storm::StormTopology getTopology(const std::string&) override { return {}; }
  storm::StormTopology getUserTopology(const std::string&) override { return {}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto processor = std::make_shared<storm::NimbusProcessor>(
      thrift::makeNimbusHandler(std::make_shared<TranslatingBackend>()));
  // The server's bound: nimbus.thrift.max_buffer_size (1 MiB) per message.
  auto config = std::make_shared<apache::thrift::TConfiguration>(1 << 20, 1 << 20);
  auto in = std::make_shared<apache::thrift::transport::TMemoryBuffer>(
      const_cast<uint8_t*>(data), static_cast<uint32_t>(size),
      apache::thrift::transport::TMemoryBuffer::OBSERVE, config);
  auto out = std::make_shared<apache::thrift::transport::TMemoryBuffer>(config);
  static auto protocols = thrift::nimbusProtocolFactory(1 << 20);  // as the server reads
  auto iprot = protocols->getProtocol(in);
  auto oprot = protocols->getProtocol(out);
  try {
    processor->process(iprot, oprot, nullptr);
  } catch (const apache::thrift::TException&) {
    // A request that does not decode: the server drops the connection.
  }
  return 0;
}
