#pragma once
// Launcher: `squall run FILE --workers N`. Spreads the executors over N worker slots as
// Storm's even scheduler does, writes the assignment (with a fresh per-topology secret) into
// a private directory, starts one `squall worker` child per slot and supervises them: a worker
// that dies or stops heartbeating is restarted with backoff (0.1 s doubling to 5 s); one that
// exits with status 1 (cannot start) or 3 (a component failed fatally) ends the run with that
// status. On a signal or at the end of the duration every worker gets SIGTERM (it drains and
// stops), then SIGKILL after a grace period. Workers get PR_SET_PDEATHSIG, so they never
// outlive the launcher.

#include <atomic>
#include <string>
#include <vector>

#include "topology/topology_plan.h"

namespace squall::worker {

struct LaunchOptions {
  int workers = 1;
  std::string executable;               // the squall binary
  std::vector<std::string> workerArgs;  // after `squall worker`: the file and its options
  std::string host = "127.0.0.1";
  double durationSecs = 0;  // 0: until a signal
  int killWaitSecs = 1;
  int heartbeatTimeoutSecs = 30;
};

// Returns the exit status for `squall run`. `signals` counts SIGINT/SIGTERM received.
int launchWorkers(const internal::TopologyPlan& plan, const LaunchOptions& options,
                  const std::atomic<int>& signals);

}  // namespace squall::worker
