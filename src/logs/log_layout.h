#pragma once
// Where a process's log goes, in Storm's layout:
//   <storm.log.dir>/workers-artifacts/<topology-id>/<port>/worker.log   (rotated: worker.log.1..N)
//                                                          /worker.log.out, worker.log.err
//                                                          /worker.yaml
// worker.log is the process's own log; .out and .err are its stdout and stderr as a supervisor
// captures them. `squall run` in one process (Storm's local mode, which has no port) uses the
// port folder `local`.
// storm.log.dir defaults the way Storm's ${storm.home}/logs does: `logs/` in the build folder
// for a squall run from its build tree, else the user's state folder
// ($XDG_STATE_HOME/squall/logs, ~/.local/state/squall/logs), as an installed squall's prefix
// is not writable by its users.

#include <optional>
#include <string>
#include <vector>

#include "squall/config.h"

namespace squall::logs {

inline constexpr const char* kWorkersArtifacts = "workers-artifacts";
inline constexpr const char* kLocalPort = "local";
inline constexpr const char* kWorkerLog = "worker.log";

// storm.log.dir from `conf` when set, else the default for the binary at `exe`.
std::string logDir(const Config& conf, const std::string& exe);
std::string defaultLogDir(const std::string& exe);
// <logDir>/workers-artifacts/<topologyId>/<port>
std::string workerArtifactsDir(const std::string& logDir, const std::string& topologyId,
                               const std::string& port);

// Storm's worker.yaml beside the log (topology-id, worker-id, port; plus topology-name, which
// `squall logs NAME` reads). Best effort: false when it cannot be written.
bool writeWorkerYaml(const std::string& dir, const std::string& topologyId,
                     const std::string& topologyName, const std::string& workerId,
                     const std::string& port);

// One run of a topology whose logs are under a log dir.
struct TopologyLogs {
  std::string id;
  std::string name;
  std::string dir;                 // workers-artifacts/<id>
  std::vector<std::string> ports;  // its port folders, sorted
  int64_t startedSecs = 0;         // from the id (<name>-<n>-<secs>), else the folder's time
};
// Every topology with logs under `logDir`, oldest first.
std::vector<TopologyLogs> listTopologyLogs(const std::string& logDir);
// The topology `nameOrId` names: the run with that id, else the latest run with that name.
std::optional<TopologyLogs> findTopologyLogs(const std::string& logDir,
                                             const std::string& nameOrId);

}  // namespace squall::logs
