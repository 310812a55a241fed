#pragma once
// Supervisor: Storm's supervisor daemon. It publishes itself in ZooKeeper (/supervisors/ID,
// ephemeral, every supervisor.heartbeat.frequency.secs), follows /assignments (a watch, plus a
// full sync every supervisor.monitor.frequency.secs), downloads the code of each topology with
// workers here (stormdist.h), writes one worker assignment file per slot, and runs one
// `squall worker --storm-dist` per assigned slot (worker_process.h). A worker that dies or stops
// heartbeating (supervisor.worker.timeout.secs; supervisor.worker.start.timeout.secs for the
// first heartbeat) is restarted at once, then with backoff while it keeps dying
// (restart_backoff.h); one no longer assigned is
// stopped (SIGTERM, SIGKILL after supervisor.worker.shutdown.sleep.secs), and one whose own
// executors changed is stopped and started again; when other workers of its topology move,
// join or leave, it keeps its index (worker_assignment.h), its assignment file is rewritten
// and it gets SIGHUP. Each worker's heartbeat is relayed to /workerbeats/ID/NODE-PORT.
//
// Local state (storm.local.dir): supervisor/supervisor-id (a restart is the same supervisor),
// supervisor/stormdist/ID/, and workers/PORT/ (the assignment file, the worker's heartbeat, its
// pid and start time). A supervisor that starts adopts the workers it finds there still running
// (pid and start time checked against /proc) and replaces the others. Workers outlive the
// supervisor: stop() leaves them running unless asked to stop them.
//
// Owned by one thread, which calls start(), then poll() in a loop, then stop(); ZooKeeper
// watches only set a flag that poll() reads.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "supervisor/restart_backoff.h"

#include "cluster/cluster_state.h"
#include "supervisor/stormdist.h"
#include "supervisor/worker_process.h"
#include "worker/assignment.h"

namespace squall::supervisor {

struct SupervisorOptions {
  std::string localDir = "storm-local";            // storm.local.dir
  std::string logDir = "logs";                     // storm.log.dir: workers-artifacts/ID/PORT/
  std::string hostname;                            // storm.local.hostname, else the host's name
  std::vector<int> ports{6700, 6701, 6702, 6703};  // supervisor.slots.ports
  double heartbeatSecs = 5;                        // supervisor.heartbeat.frequency.secs
  double monitorSecs = 3;                          // supervisor.monitor.frequency.secs
  double workerTimeoutSecs = 30;                   // supervisor.worker.timeout.secs
  double workerStartTimeoutSecs = 120;             // supervisor.worker.start.timeout.secs
  double shutdownSleepSecs = 3;                    // supervisor.worker.shutdown.sleep.secs
  int killWaitSecs = 1;                            // passed to each worker's --kill-wait
  int workerMetricsPortOffset = 0;                 // worker.metrics.port.offset, passed on
  std::string metricsHost = "127.0.0.1";           // metrics.bind.host, passed on
  std::string workerExecutable;                    // the squall binary
  BlobFetcher fetch;                               // the leader nimbus's blobs
};

// What a supervisor's /metrics shows: a copy taken at the end of each poll(), readable from
// any thread (Supervisor::metrics).
struct SupervisorMetrics {
  int slots = 0;                // supervisor.slots.ports
  int assignedSlots = 0;        // slots an assignment gives a worker of this supervisor
  int runningWorkers = 0;       // of those, the slots whose worker runs now
  uint64_t workerLaunches = 0;  // every start, adoptions not counted
  uint64_t workerRestarts = 0;  // workers found dead or silent and started again
  struct Worker {
    std::string topologyId;
    int port = 0;
    bool running = false;
    uint64_t restarts = 0;  // of this slot's worker since it was assigned here
    double uptimeSecs = 0;  // since its last start (or adoption)
  };
  std::vector<Worker> workers;  // by port
};

class Supervisor {
 public:
  Supervisor(cluster::ZkClient& zk, SupervisorOptions options);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Reads or makes the id, adopts the running workers, heartbeats, syncs once.
  void start();
  // One round: heartbeats when due, a sync when assignments changed or the period passed, and a
  // check of every worker. Never throws for a ZooKeeper or download problem (logged, tried
  // again on the next round).
  void poll();
  // Stops the workers too when `killWorkers`; otherwise they keep running, to be adopted.
  void stop(bool killWorkers);

  const std::string& id() const { return id_; }
  // The pid of the worker on `port`, -1 when none runs.
  pid_t workerPid(int port) const;
  // The workers running now: port -> topology id.
  std::map<int, std::string> runningWorkers() const;
  // As of the end of the last poll(); any thread.
  SupervisorMetrics metrics() const;

 private:
  struct Slot {
    int port = 0;
    std::string topologyId;
    int index = 0;
    worker::Assignment assignment;
    std::vector<cluster::ExecutorRange> executors;
    ProcessId process;
    bool running = false;
    std::chrono::steady_clock::time_point startedAt;
    std::chrono::steady_clock::time_point restartAt;
    RestartBackoff backoff;
    int64_t lastRelayedBeatMs = 0;
    uint64_t restarts = 0;
    std::optional<std::chrono::steady_clock::time_point> killDeadline;  // stopping
  };

  void heartbeat();
  void sync();
  void monitor();
  void launch(Slot& slot);
  void stopWorker(Slot& slot, bool wait);
  void adopt();
  void publishMetrics();
  std::string slotDir(int port) const;
  std::string artifactsDir(const std::string& topologyId, int port) const;

  cluster::ZkClient& zk_;
  cluster::ClusterState state_;
  SupervisorOptions o_;
  std::string id_;
  std::chrono::steady_clock::time_point startedAt_;
  std::chrono::steady_clock::time_point nextHeartbeat_, nextSync_;
  // Shared with the watchers (which may fire after the supervisor is gone): what changed, and
  // which paths have a watch set (one-shot watches are set again only once they fired).
  struct Watches {
    std::atomic<bool> changed{true};
    std::mutex mu;
    std::set<std::string> armed;
  };
  std::shared_ptr<Watches> watches_ = std::make_shared<Watches>();
  cluster::Watcher watcherFor(const std::string& path);
  std::map<int, Slot> slots_;            // by port: what runs (or is to be restarted) there
  std::set<std::string> missingSecret_;  // topologies logged as waiting for their secret
  uint64_t launches_ = 0;
  uint64_t restarts_ = 0;
  mutable std::mutex metricsMu_;
  SupervisorMetrics metrics_;  // guarded by metricsMu_
};

}  // namespace squall::supervisor
