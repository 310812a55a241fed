#include "submit/nimbus_submit.h"

#include <algorithm>
#include <fstream>

#include "nimbus/storm_config.h"

namespace squall::submit {

std::unique_ptr<thrift::NimbusConnection> connectToNimbus(const Map& conf) {
  thrift::NimbusClientOptions options;
  options.timeoutMs = nimbus::confInt(conf, "storm.thrift.socket.timeout.ms", 600000);
  options.maxBufferSize = nimbus::confInt(conf, "nimbus.thrift.max_buffer_size", 1048576);
  return thrift::connectToLeader(nimbus::nimbusSeeds(conf),
                                 nimbus::confInt(conf, "nimbus.thrift.port", 6627), options);
}

namespace {

std::string upload(storm::NimbusClient& client, const std::string& jar, int maxBufferSize,
                   std::ostream& log) {
  std::ifstream in(jar, std::ios::binary);
  if (!in) throw std::runtime_error(jar + ": cannot read");
  std::string location;
  client.beginFileUpload(location);
  log << "Uploading topology jar " << jar << " to assigned location: " << location << std::endl;
  // Each chunk and the call around it must fit one frame (nimbus.thrift.max_buffer_size).
  size_t chunk = static_cast<size_t>(std::clamp(maxBufferSize / 2, 1024, 307200));
  std::string buf(chunk, '\0');
  while (in.read(buf.data(), static_cast<std::streamsize>(chunk)) || in.gcount() > 0) {
    client.uploadChunk(location, buf.substr(0, static_cast<size_t>(in.gcount())));
  }
  client.finishFileUpload(location);
  log << "Successfully uploaded topology jar to assigned location: " << location << std::endl;
  return location;
}

}  // namespace

std::string submitToNimbus(const Map& conf, const Submission& s, std::ostream& log) {
  auto conn = connectToNimbus(conf);
  auto& client = conn->client();
  std::string location;
  if (!s.jar.empty()) {
    location =
        upload(client, s.jar, nimbus::confInt(conf, "nimbus.thrift.max_buffer_size", 1048576), log);
  }
  log << "Submitting topology " << s.name << " in distributed mode with conf " << s.jsonConf
      << std::endl;
  storm::SubmitOptions options;
  options.__set_initial_status(s.inactive ? storm::TopologyInitialStatus::INACTIVE
                                          : storm::TopologyInitialStatus::ACTIVE);
  client.submitTopologyWithOpts(s.name, location, s.jsonConf, s.topology, options);
  log << "Finished submitting topology: " << s.name << std::endl;
  storm::ClusterSummary summary;
  client.getClusterInfo(summary);
  for (const auto& t : summary.topologies) {
    if (t.name == s.name) return t.id;
  }
  return {};
}

}  // namespace squall::submit
