#pragma once
// UiServer: Storm's UI REST API (/api/v1/...), the web UI and a Prometheus /metrics endpoint
// on one HTTP port (cpp-httplib), over a UiSource (ui_source.h): the topology a `squall run`
// process runs in its LocalCluster (LocalSource), or a cluster read through nimbus (`squall
// ui`, NimbusSource). The server owns HTTP, paths, methods, parameters, JSONP, the read-only
// mode and the web UI's files, so both sources answer the same paths the same way.
// Threads: httplib's listener and its pool answer requests; a ticker thread calls the source's
// tick() once a second (the local statistics windows). start() binds (throwing when it cannot)
// and starts both; stop() ends both. In local mode the run loop owns the topology's life: an
// HTTP kill is handed to it (takeKillRequest), and it calls detach() before it kills.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "squall/local_cluster.h"
#include "ui/storm_api.h"
#include "ui/ui_source.h"

namespace squall::ui {

class BoundedServer;
class LocalSource;

struct UiOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see UiServer::port)
  bool actionsEnabled = true;
  std::string version;
  // The Kafka spouts' partitions in this process; empty when Kafka is not built in.
  std::function<std::vector<KafkaPartitionSample>(const std::string& stormId)> kafkaPartitions;
};

class UiServer {
 public:
  // Serves `topology` (its name) of `cluster`, which must already run it (a LocalSource).
  UiServer(LocalCluster& cluster, std::string topology, UiOptions options);
  // Serves `source` (options.kafkaPartitions is the source's business, unused here).
  UiServer(std::unique_ptr<UiSource> source, UiOptions options);
  ~UiServer();
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

  // Binds and starts serving; std::runtime_error naming the address when it cannot bind.
  void start();
  void stop();
  int port() const { return port_; }
  // Local mode: the seconds to wait of a kill asked for over HTTP, once.
  std::optional<int> takeKillRequest();
  // Local mode: the topology is about to be killed: stop reading it (requests then see it as
  // gone).
  void detach();

  // One request, as the HTTP layer hands it over; public so tests can call it directly.
  struct Reply {
    int status = 200;
    std::string body;
    std::string contentType = "application/json";
  };
  Reply handle(const std::string& method, const std::string& target,
               const std::function<std::string(const std::string&)>& param,
               const std::string& body = "");

 private:
  Reply route(const std::string& method, const std::vector<std::string>& path,
              const std::function<std::string(const std::string&)>& param, const std::string& body);
  Reply topologyRoute(const std::string& method, const std::vector<std::string>& path,
                      const std::function<std::string(const std::string&)>& param,
                      const std::string& body);
  ServerInfo serverInfo() const;
  void sampleLoop();

  std::unique_ptr<UiSource> source_;
  LocalSource* local_ = nullptr;  // source_, in local mode
  UiOptions options_;
  int port_ = 0;
  std::string host_;  // this machine's name
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  std::unique_ptr<BoundedServer> http_;
  std::thread listener_;
  std::thread sampler_;
  std::mutex samplerMu_;
  std::condition_variable samplerCv_;
  bool stopping_ = false;
};

// Splits a request target's path into its percent-decoded segments ("/a/b%20c" -> a, "b c");
// nullopt for a malformed escape or a decoded NUL. Bounded by the target's length.
std::optional<std::vector<std::string>> splitPath(std::string_view target);

}  // namespace squall::ui
