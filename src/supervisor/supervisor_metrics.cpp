#include "supervisor/supervisor_metrics.h"

#include <fmt/format.h>

namespace squall::supervisor {

void addSupervisorFamilies(const SupervisorMetrics& m, bool zooKeeperConnected, double uptimeSecs,
                           metrics::PrometheusText& out) {
  out.add("squall_supervisor_uptime_seconds", "gauge", "Seconds since the supervisor started.", "",
          uptimeSecs);
  out.add("squall_zookeeper_connected", "gauge", "1 while the ZooKeeper session is connected.", "",
          zooKeeperConnected ? 1 : 0);
  out.add("squall_supervisor_slots", "gauge", "Worker slots (supervisor.slots.ports).", "",
          m.slots);
  out.add("squall_supervisor_slots_used", "gauge", "Slots an assignment gives a worker.", "",
          m.assignedSlots);
  out.add("squall_supervisor_workers_running", "gauge", "Slots whose worker runs now.", "",
          m.runningWorkers);
  out.add("squall_supervisor_worker_launches_total", "counter",
          "Workers started (first starts and restarts; adopted workers not counted).", "",
          static_cast<double>(m.workerLaunches));
  out.add("squall_supervisor_worker_restarts_total", "counter",
          "Workers found dead or silent past supervisor.worker.timeout.secs, to be started again.",
          "", static_cast<double>(m.workerRestarts));
  for (const auto& w : m.workers) {
    std::string l =
        fmt::format("id=\"{}\",port=\"{}\"", metrics::prometheusEscape(w.topologyId), w.port);
    out.add("squall_worker_up", "gauge", "1 while the slot's worker runs.", l, w.running ? 1 : 0);
    out.add("squall_worker_restarts_total", "counter",
            "Restarts of the slot's worker since its topology was assigned the slot.", l,
            static_cast<double>(w.restarts));
    out.add("squall_worker_uptime_seconds", "gauge", "Seconds since the slot's worker started.", l,
            w.uptimeSecs);
  }
}

}  // namespace squall::supervisor
