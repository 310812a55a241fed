#pragma once
// NimbusServer: Storm's Nimbus Thrift service on a TCP port (framed transport, binary
// protocol, as Storm's clients speak it), dispatching every request to a NimbusBackend.
//
// One thread accepts; each connection gets its own thread (Thrift's TThreadedServer), at most
// `maxConnections` at once (more wait in the accept backlog). A frame longer than
// `maxBufferSize` (nimbus.thrift.max_buffer_size), a frame that is not a request, or a
// connection silent for `idleTimeoutMs` closes that connection only; the server keeps serving.
// start() binds (and throws if it cannot); stop() closes the listener and every connection and
// returns when their threads have ended.

#include <memory>
#include <string>
#include <thread>

#include "thrift/nimbus_backend.h"

namespace apache::thrift::server {
class TServer;
}

namespace squall::thrift {

struct NimbusServerOptions {
  std::string host = "127.0.0.1";  // the address to bind; "0.0.0.0" for every interface
  int port = 6627;                 // 0: any free port (see port())
  int maxBufferSize = 1048576;     // largest frame accepted, in bytes
  int maxConnections = 64;
  int idleTimeoutMs = 600000;  // Storm's client default socket timeout
};

class NimbusServer {
 public:
  NimbusServer(std::shared_ptr<NimbusBackend> backend, NimbusServerOptions options);
  ~NimbusServer();
  NimbusServer(const NimbusServer&) = delete;
  NimbusServer& operator=(const NimbusServer&) = delete;

  void start();
  void stop();
  int port() const { return boundPort_; }  // the bound port, after start()

 private:
  std::shared_ptr<NimbusBackend> backend_;
  NimbusServerOptions options_;
  std::shared_ptr<apache::thrift::server::TServer> server_;
  std::thread thread_;
  int boundPort_ = 0;
};

}  // namespace squall::thrift
