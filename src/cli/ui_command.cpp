#include "cli/ui_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "cli/cluster_kafka_lag.h"
#include "cli/run_command.h"
#include "nimbus/storm_config.h"
#include "squall/config.h"
#include "ui/nimbus_source.h"
#include "ui/ui_server.h"

namespace squall::cli {

namespace {

// Storm's `storm ui` listens on 8080 unless ui.port says otherwise.
constexpr int kStormUiPort = 8080;
// A page waits on nimbus at most this long (storm.thrift.socket.timeout.ms, when shorter):
// Storm's 10-minute client default would hold a browser's request that long.
constexpr int kMaxNimbusWaitMs = 5000;

}  // namespace

int runClusterUi(const Map& conf) {
  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Config config(conf);
  ui::NimbusSourceOptions source;
  source.seeds = nimbus::nimbusSeeds(conf);
  source.port = nimbus::confInt(conf, "nimbus.thrift.port", 6627);
  source.client.timeoutMs = std::min(
      nimbus::confInt(conf, "storm.thrift.socket.timeout.ms", kMaxNimbusWaitMs), kMaxNimbusWaitMs);
  source.client.maxBufferSize = nimbus::confInt(conf, "nimbus.thrift.max_buffer_size", 1048576);
  source.actionsEnabled = config.getBool(Config::UI_ACTIONS_ENABLED);
  // The brokers get as long as nimbus does for each request.
  source.kafkaLag = [timeoutMs = source.client.timeoutMs](const storm::StormTopology& t) {
    return clusterKafkaLag(t, timeoutMs);
  };

  ui::UiOptions options;
  options.host = config.getString(Config::UI_HOST);
  options.port = static_cast<int>(config.getOptionalInt(Config::UI_PORT).value_or(kStormUiPort));
  options.actionsEnabled = source.actionsEnabled;
  options.version = SQUALL_VERSION;
  ui::UiServer server(std::make_unique<ui::NimbusSource>(source), std::move(options));
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "squall ui: " << e.what() << "\n";
    return kExitInvalid;
  }
  // Tests and scripts wait for this line before they connect.
  std::cout << fmt::format(
                   "ui: serving Storm's UI REST API and web UI at http://{}:{}/ for "
                   "nimbus {} port {}{}",
                   config.getString(Config::UI_HOST), server.port(), fmt::join(source.seeds, ","),
                   source.port, source.actionsEnabled ? "" : " (read-only)")
            << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("ui: stopping on signal {}", sig);
  server.stop();
  return kExitOk;
}

}  // namespace squall::cli
