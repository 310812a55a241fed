#pragma once
// Launcher: `squall run FILE --workers N`. Spreads the executors over N worker slots as
// Storm's even scheduler does, writes the assignment (with a fresh per-topology secret) into
// a private directory, starts one `squall worker` child per slot and supervises them: a worker
// that dies or stops heartbeating is restarted with backoff (0.1 s doubling to 5 s); one that
// exits with status 1 (cannot start) or 3 (a component failed fatally) ends the run with that
// status. On a signal or at the end of the duration every worker gets SIGTERM (it drains and
// stops), then SIGKILL after a grace period. Workers get PR_SET_PDEATHSIG, so they never
// outlive the launcher.
//
// A worker is restarted on its old port when it is free; when something else holds it, the
// worker moves to a fresh port: the assignment file is rewritten and every other running worker
// gets SIGHUP, on which it reads the file again and reconnects (Worker::reloadAssignment; the
// cluster's supervisor drives the same signal). Workers start with SIGHUP ignored until they
// handle it, so one that is still starting is not killed by it (it reads the file after).

#include <atomic>
#include <string>
#include <vector>

#include "topology/topology_plan.h"

namespace squall::worker {

// Set in a worker started with LaunchOptions::environment.
inline constexpr const char* kAssignmentEnv = "SQUALL_WORKER_ASSIGNMENT";
inline constexpr const char* kIndexEnv = "SQUALL_WORKER_INDEX";
inline constexpr const char* kKillWaitEnv = "SQUALL_WORKER_KILL_WAIT";

struct LaunchOptions {
  int workers = 1;
  // How a worker starts: `executable worker ARGS --assignment PATH --index I --kill-wait K`
  // (the squall binary), or with `environment`, `executable ARGS` with the assignment, index
  // and kill wait in kAssignmentEnv, kIndexEnv and kKillWaitEnv (a user's own executable,
  // squall::runTopology), so the user's arguments reach it unchanged.
  std::string executable;
  std::vector<std::string> workerArgs;
  bool environment = false;
  std::string host = "127.0.0.1";
  double durationSecs = 0;  // 0: until a signal
  int killWaitSecs = 1;
  int heartbeatTimeoutSecs = 30;
};

// Returns the exit status for `squall run`. `signals` counts SIGINT/SIGTERM received.
int launchWorkers(const internal::TopologyPlan& plan, const LaunchOptions& options,
                  const std::atomic<int>& signals);

}  // namespace squall::worker
