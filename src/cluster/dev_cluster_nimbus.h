#pragma once
// The nimbus processes of `squall dev-cluster --nimbuses N`: each a `squall nimbus --config
// DIR/daemons.yaml` child with its own storm.local.dir (DIR/nimbus-I/) and a free
// nimbus.thrift.port on 127.0.0.1 (and its /metrics on a free port), its output in
// DIR/nimbus-I/nimbus.log, killed with its parent (PR_SET_PDEATHSIG) and stopped
// SIGTERM-then-SIGKILL. daemons.yaml holds the cluster's ZooKeeper digest (mode 0600); the client's
// storm.yaml never does.

#include <sys/types.h>
#include <chrono>
#include <string>
#include <vector>

#include "cluster/zk_client.h"

namespace squall::cluster {

// Writes DIR/daemons.yaml (mode 0600): ZooKeeper at 127.0.0.1:zkPort under /storm, and a new
// random digest (storm.zookeeper.auth.scheme/payload) the daemons share. Returns its path.
std::string writeDaemonsYaml(const std::string& dir, int zkPort);

class DevNimbuses {
 public:
  // `squall`: the binary to run (the running one, /proc/self/exe, when empty).
  DevNimbuses(std::string squall, std::string dir, std::string daemonsYaml, int count);
  ~DevNimbuses();
  DevNimbuses(const DevNimbuses&) = delete;
  DevNimbuses& operator=(const DevNimbuses&) = delete;

  void start();
  // Waits until one of them leads (ZooKeeper's /leader-lock) and accepts connections on its
  // Thrift port; returns its port. std::runtime_error, with the end of the logs, when a
  // nimbus exits first or the deadline passes.
  int waitForLeader(ZkClient& zk, std::chrono::milliseconds timeout);
  const std::vector<int>& ports() const { return ports_; }
  const std::vector<pid_t>& pids() const { return pids_; }
  // Nimbus i's /metrics URL (each serves one on a free port, nimbus.metrics.port 0), as it
  // printed it; waits for the line until `timeout`, then std::runtime_error.
  std::string metricsUrl(size_t i, std::chrono::milliseconds timeout) const;
  void stop();

 private:
  std::string logTail(size_t i, size_t bytes) const;

  std::string squall_, dir_, daemonsYaml_;
  int count_;
  std::vector<int> ports_;
  std::vector<pid_t> pids_;
};

}  // namespace squall::cluster
