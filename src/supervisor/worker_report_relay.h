#pragma once
// relayWorkerReport: the supervisor's half of cluster/worker_report.h. When it relays a
// worker's heartbeat it reads the worker's report (slot-dir/worker-INDEX.report), adds the
// statistics of the heartbeat's own executors to it, and reports every error it has not
// relayed yet under /errors/ID/COMPONENT (with this host and the worker's port), as Storm's
// workers report their errors. What was relayed is remembered in slot-dir/worker-INDEX.relayed
// ("PID SEQ"), so a restarted supervisor that adopts the worker relays no error twice.
// A missing or bad report is logged (once per worker for a bad one) and the heartbeat goes on
// without statistics.

#include <string>

#include "cluster/cluster_state.h"

namespace squall::supervisor {

void relayWorkerReport(cluster::ClusterState& state, const std::string& slotDir, int index,
                       const std::string& host, int port, cluster::WorkerHeartbeat& hb);

}  // namespace squall::supervisor
