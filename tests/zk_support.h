#pragma once
// A real ZooKeeper server for GoogleTest (Debian's, Java; never a stand-in): one per test
// binary, started on first use from the main thread, stopped when the binary exits (and killed
// with it if it crashes: PR_SET_PDEATHSIG). Each test works under its own chroot, so tests that
// share the server never see each other's nodes. Its tick is 200 ms, so sessions may be as
// short as 400 ms and as long as 4 s.

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "cluster/zk_client.h"
#include "cluster/zookeeper_server.h"
#include "test_support.h"

namespace squall::testing {

inline cluster::ZooKeeperServer& zooKeeper() {
  static std::unique_ptr<cluster::ZooKeeperServer> server = [] {
    cluster::ZooKeeperServerOptions o;
    o.dir = cluster::makeTempDir("squall-zk-test");
    o.tickTimeMs = 200;
    o.removeDirOnDestroy = true;
    auto s = std::make_unique<cluster::ZooKeeperServer>(o);
    s->start();
    return s;
  }();
  if (!server->running()) server->start();  // a test that stopped it and failed midway
  return *server;
}

// Client options for the shared server, under a chroot named after the running test.
inline cluster::ZkOptions zkOptions(int sessionTimeoutMs = 4000) {
  cluster::ZkOptions o;
  o.servers = {"127.0.0.1"};
  o.port = zooKeeper().port();
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  o.root = "/t-" + std::to_string(::getpid()) + "-" +
           (info ? std::string(info->test_suite_name()) + "." + info->name() : "none");
  o.sessionTimeoutMs = sessionTimeoutMs;
  o.connectionTimeoutMs = 20000;
  o.retryTimes = 5;
  return o;
}

inline std::unique_ptr<cluster::ZkClient> zkConnect(cluster::ZkOptions o) {
  auto c = std::make_unique<cluster::ZkClient>(std::move(o));
  c->start();
  return c;
}

}  // namespace squall::testing
