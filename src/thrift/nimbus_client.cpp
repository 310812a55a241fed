#include "thrift/nimbus_client.h"

#include <fmt/format.h>
#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

namespace squall::thrift {

using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::TSocket;

NimbusConnection::NimbusConnection(const std::string& host, int port,
                                   const NimbusClientOptions& options)
    : host_(host), port_(port) {
  auto config = std::make_shared<apache::thrift::TConfiguration>(options.maxBufferSize,
                                                                 options.maxBufferSize);
  auto socket = std::make_shared<TSocket>(host, port, config);
  socket->setConnTimeout(std::min(options.timeoutMs, 10000));
  socket->setRecvTimeout(options.timeoutMs);
  socket->setSendTimeout(options.timeoutMs);
  transport_ = std::make_shared<TFramedTransport>(socket, config);
  transport_->open();
  client_ = std::make_unique<storm::NimbusClient>(
      std::make_shared<apache::thrift::protocol::TBinaryProtocol>(transport_));
}

NimbusConnection::~NimbusConnection() {
  try {
    transport_->close();
  } catch (...) {  // closing a broken connection has nothing left to report
  }
}

void downloadBlob(storm::NimbusClient& client, const std::string& key, std::ostream& out,
                  uint64_t maxBytes) {
  storm::BeginDownloadResult begin;
  client.beginBlobDownload(begin, key);
  uint64_t limit = maxBytes;
  if (begin.__isset.data_size && begin.data_size >= 0)
    limit = std::min<uint64_t>(limit, static_cast<uint64_t>(begin.data_size));
  uint64_t got = 0;
  for (std::string chunk;;) {
    client.downloadBlobChunk(chunk, begin.session);
    if (chunk.empty()) break;
    got += chunk.size();
    if (got > limit)
      throw std::runtime_error(fmt::format(
          "blob {}: nimbus sent more than {} bytes ({})", key, limit,
          limit == maxBytes ? "the most this client accepts" : "the size it announced"));
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  }
  if (begin.__isset.data_size && got != static_cast<uint64_t>(begin.data_size))
    throw std::runtime_error(
        fmt::format("blob {}: nimbus announced {} bytes and sent {}", key, begin.data_size, got));
}

std::unique_ptr<NimbusConnection> connectToLeader(const std::vector<std::string>& seeds,
                                                  int defaultPort,
                                                  const NimbusClientOptions& options) {
  std::string errors;
  for (const auto& seedEntry : seeds) {
    // Squall's: a seed may name its own port (HOST:PORT), for nimbuses sharing one host.
    std::string seed = seedEntry;
    int port = defaultPort;
    if (auto colon = seedEntry.rfind(':');
        colon != std::string::npos && seedEntry.find(':') == colon &&
        colon + 1 < seedEntry.size() &&
        seedEntry.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
      seed = seedEntry.substr(0, colon);
      port = std::atoi(seedEntry.c_str() + colon + 1);
    }
    try {
      auto conn = std::make_unique<NimbusConnection>(seed, port, options);
      storm::NimbusSummary leader;
      conn->client().getLeader(leader);
      if (leader.host == seed && leader.port == port) return conn;
      // The leader may be named as it advertises itself; a seed that is the leader under
      // another name still answers, so keep this connection if the leader cannot be reached.
      try {
        return std::make_unique<NimbusConnection>(leader.host, leader.port, options);
      } catch (const std::exception& e) {
        errors +=
            fmt::format("; leader {}:{} named by {}: {}", leader.host, leader.port, seed, e.what());
        if (leader.port == port) return conn;  // the seed itself, under another name
      }
    } catch (const std::exception& e) {
      errors += fmt::format("; {}:{}: {}", seed, port, e.what());
    }
  }
  std::string list;
  for (const auto& s : seeds) list += (list.empty() ? "" : ", ") + s;
  throw NimbusUnavailable(fmt::format(
      "could not find leader nimbus from seed hosts [{}] on port {}{} (set nimbus.seeds and "
      "nimbus.thrift.port in storm.yaml, --config FILE or -c key=value)",
      list, defaultPort, errors));
}

}  // namespace squall::thrift
