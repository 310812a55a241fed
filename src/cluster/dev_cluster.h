#pragma once
// `squall dev-cluster`: a cluster on one machine for trying things out. It runs a
// real ZooKeeper server (Debian's, private configuration and data under DIR/zookeeper, on
// 127.0.0.1 and a free port), creates Storm's layout under /storm, writes DIR/storm.yaml (what a
// client needs) and prints it, then waits for Ctrl-C/SIGTERM (or --duration) and stops the
// server. README.md in this folder says how nimbus and the supervisors attach.

#include <iosfwd>
#include <string>
#include <vector>

namespace squall::cluster {

struct DevClusterOptions {
  std::string dir;           // kept after exit; empty: a temporary directory, removed at exit
  int zookeeperPort = 0;     // 0: a free port
  double durationSecs = 0;   // 0: until a signal
  int nimbuses = 1;          // `squall nimbus` processes (dev_cluster_nimbus.h); 0: none
  int supervisors = 1;       // `squall supervisor` processes (dev_cluster_supervisors.h)
  std::string squallBinary;  // what runs the daemons; empty: this process's binary
};

int runDevCluster(const DevClusterOptions& options, std::ostream& out, std::ostream& err);
// The command line after `dev-cluster`; returns the exit status (2 on a usage error).
int devClusterMain(const std::vector<std::string>& args);
std::string devClusterUsage();

}  // namespace squall::cluster
