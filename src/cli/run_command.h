#pragma once
// `squall run`: a topology file in a LocalCluster until Ctrl-C, SIGTERM or --duration, then
// deactivate, wait, kill (like `storm local --local-ttl`).

#include <string>
#include <vector>

#include "flux/topology_file.h"

namespace squall::cli {

struct RunOptions {
  double durationSecs = 0;  // 0: until a signal
  int killWaitSecs = 1;     // between deactivate and kill
  int maxCrashes = 3;       // a task crashing this many times in a row is fatal; 0: never
  bool debug = false;
  int workers = 0;  // --workers N: N worker processes; 0: this process (local mode)
  int uiPort = -1;  // --ui PORT: serve Storm's REST API and /metrics (0: a free port); -1: ui.port
  // The squall binary (the default storm.log.dir depends on where it is; --workers starts it),
  // and for --workers what to pass each `squall worker` after the command (the file and its
  // options).
  std::string executable;
  std::vector<std::string> workerArgs;
};

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // the topology cannot be loaded, checked or started
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailed = 3;  // a component failed fatally while running

int runTopology(flux::TopologyFile file, const RunOptions& options);

// `squall worker FILE ... --assignment PATH --index I`: one worker process of a topology run by
// `squall run --workers N` (and, later, by a cluster's supervisor).
int runWorker(flux::TopologyFile file, const RunOptions& options, const std::string& assignment,
              int index);

}  // namespace squall::cli
