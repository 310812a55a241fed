#include "thrift/nimbus_server.h"

#include <spdlog/spdlog.h>
#include <thrift/TConfiguration.h>
#include <thrift/TOutput.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>

#include "thrift/nimbus_handler.h"

namespace squall::thrift {

using apache::thrift::TConfiguration;
using apache::thrift::transport::TServerSocket;
using apache::thrift::transport::TTransport;

namespace {

// TServerFramework::serve() listens; start() has already, to report a bind failure to its
// caller and learn the port, so the second call is a no-op.
class PreboundServerSocket : public TServerSocket {
 public:
  using TServerSocket::TServerSocket;
  void listen() override {
    if (listening_) return;
    TServerSocket::listen();
    listening_ = true;
  }

 private:
  bool listening_ = false;
};

// Thrift's TFramedTransportFactory takes no configuration; this one bounds the frame size.
class BoundedFramedTransportFactory : public apache::thrift::transport::TTransportFactory {
 public:
  explicit BoundedFramedTransportFactory(int maxFrame)
      : config_(std::make_shared<TConfiguration>(maxFrame, maxFrame)) {}
  std::shared_ptr<TTransport> getTransport(std::shared_ptr<TTransport> trans) override {
    return std::make_shared<apache::thrift::transport::TFramedTransport>(trans, config_);
  }

 private:
  std::shared_ptr<TConfiguration> config_;
};

// Thrift reports a connection it drops (a malformed or oversized frame) through GlobalOutput,
// on stderr by default; it goes to the daemon's log instead.
void logThriftMessage(const char* message) {
  spdlog::warn("nimbus thrift: {}", message);
}

}  // namespace

NimbusServer::NimbusServer(std::shared_ptr<NimbusBackend> backend, NimbusServerOptions options)
    : backend_(std::move(backend)), options_(std::move(options)) {}

NimbusServer::~NimbusServer() {
  stop();
}

void NimbusServer::start() {
  apache::thrift::GlobalOutput.setOutputFunction(logThriftMessage);
  auto socket = std::make_shared<PreboundServerSocket>(options_.host, options_.port);
  socket->setRecvTimeout(options_.idleTimeoutMs);
  socket->setSendTimeout(options_.idleTimeoutMs);
  socket->listen();  // throws TTransportException when the address is taken or invalid
  boundPort_ = socket->getPort();
  auto processor = std::make_shared<storm::NimbusProcessor>(makeNimbusHandler(backend_));
  auto server = std::make_shared<apache::thrift::server::TThreadedServer>(
      processor, socket, std::make_shared<BoundedFramedTransportFactory>(options_.maxBufferSize),
      nimbusProtocolFactory(options_.maxBufferSize));
  server->setConcurrentClientLimit(options_.maxConnections);
  server_ = server;
  thread_ = std::thread([server] {
    try {
      server->serve();
    } catch (const std::exception& e) {
      spdlog::error("nimbus thrift server stopped: {}", e.what());
    }
  });
}

void NimbusServer::stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace squall::thrift
