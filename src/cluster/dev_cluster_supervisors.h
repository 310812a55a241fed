#pragma once
// The supervisors of `squall dev-cluster --supervisors N`: `squall supervisor` processes (this
// same binary, /proc/self/exe), each with its own storm.local.dir and storm.log.dir under
// DIR/supervisor-I/ and its own four slot ports (6700+4I.. when free, else free ports), reading
// the cluster's configuration file. Each is killed with dev-cluster (PR_SET_PDEATHSIG) and
// stops its workers when it stops (--kill-workers-on-stop): a development cluster leaves nothing
// running.

#include <sys/types.h>

#include <iosfwd>
#include <string>
#include <vector>

namespace squall::cluster {

struct DevSupervisor {
  pid_t pid = -1;
  std::string dir;
  std::string id;  // as it prints it once running
  std::vector<int> ports;
  std::string metrics;  // its /metrics URL, as it prints it
};

// The offset dev-cluster gives worker.metrics.port.offset: slots 6700-6707 serve their
// workers' /metrics on 7700-7707.
inline constexpr int kDevWorkerMetricsPortOffset = 1000;

// Starts `count` supervisors reading `configFile` and waits (bounded) until each runs;
// std::runtime_error (with the end of its log) when one does not.
std::vector<DevSupervisor> startDevSupervisors(int count, const std::string& clusterDir,
                                               const std::string& configFile);
// SIGTERM to each, then SIGKILL to any still running after `graceSecs`.
void stopDevSupervisors(std::vector<DevSupervisor>& supervisors, double graceSecs);

}  // namespace squall::cluster
