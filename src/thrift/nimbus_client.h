#pragma once
// A client of Storm's Nimbus Thrift service (framed transport, binary protocol), found the way
// Storm's NimbusClient finds the leader: ask each seed host for getLeader(), then connect to
// the leader it names. Used by the squall CLI verbs; not thread-safe (one per thread).

#include <cstdint>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "storm_thrift/Nimbus.h"

namespace squall::thrift {

// No seed answered, or none knows a leader; the message names the seeds and the keys to set.
class NimbusUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NimbusClientOptions {
  int timeoutMs = 600000;       // storm.thrift.socket.timeout.ms
  int maxBufferSize = 1048576;  // nimbus.thrift.max_buffer_size
};

class NimbusConnection {
 public:
  // Connects at once; throws apache::thrift::transport::TTransportException when it cannot.
  NimbusConnection(const std::string& host, int port, const NimbusClientOptions& options = {});
  ~NimbusConnection();
  NimbusConnection(const NimbusConnection&) = delete;
  NimbusConnection& operator=(const NimbusConnection&) = delete;

  storm::NimbusClient& client() { return *client_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  std::string host_;
  int port_;
  std::shared_ptr<apache::thrift::transport::TTransport> transport_;
  std::unique_ptr<storm::NimbusClient> client_;
};

// Reads the blob `key` (beginBlobDownload, then downloadBlobChunk until an empty chunk) into
// `out`. std::runtime_error naming the key when it grows past `maxBytes` or past the size
// nimbus announced; the service's exceptions (storm::KeyNotFoundException) pass through.
void downloadBlob(storm::NimbusClient& client, const std::string& key, std::ostream& out,
                  uint64_t maxBytes);

// Storm's NimbusClient.getConfiguredClient: the leader among `seeds` (host names or
// addresses, each asked on `port`; Squall's HOST:PORT form names a seed's own port, for
// several nimbuses on one host). Throws NimbusUnavailable.
std::unique_ptr<NimbusConnection> connectToLeader(const std::vector<std::string>& seeds, int port,
                                                  const NimbusClientOptions& options = {});

}  // namespace squall::thrift
