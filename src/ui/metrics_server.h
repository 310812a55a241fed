#pragma once
// MetricsServer: a Prometheus `/metrics` endpoint alone, for the processes that serve no UI:
// each cluster worker (`squall worker`), nimbus and a supervisor. GET /metrics answers what
// `render` returns (the text of a metrics::PrometheusText), every other path 404, every other
// method 405. The HTTP side is the UI's (cpp-httplib through BoundedServer: one request per
// connection, bounded size and time), with two request threads, since a scrape is small.
// Threads: httplib's listener and its pool call `render`, which must be thread-safe; a
// `render` that throws answers 500 with the message. start() binds (throwing, naming the
// address and `what` configured it, when it cannot); stop() ends both; the destructor stops.

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace squall::ui {

class BoundedServer;

struct MetricsServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;       // 0: any free port (see MetricsServer::port)
  std::string setBy;  // the key or option that chose the address, for the bind error
};

class MetricsServer {
 public:
  MetricsServer(MetricsServerOptions options, std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void start();
  void stop();
  int port() const { return port_; }
  const std::string& host() const { return options_.host; }

  struct Reply {
    int status = 200;
    std::string body;
    std::string contentType = "text/plain; version=0.0.4; charset=utf-8";
  };
  // One request; public so tests can call it without a socket.
  Reply handle(const std::string& method, const std::string& path);

 private:
  MetricsServerOptions options_;
  std::function<std::string()> render_;
  int port_ = 0;
  std::unique_ptr<BoundedServer> http_;
  std::thread listener_;
};

}  // namespace squall::ui
