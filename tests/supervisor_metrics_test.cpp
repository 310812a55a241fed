// A supervisor's own /metrics families (supervisor/supervisor_metrics.h).

#include "supervisor/supervisor_metrics.h"

#include <gtest/gtest.h>

using namespace squall;

TEST(SupervisorMetrics, CountsSlotsWorkersAndRestartsPerSlot) {
  supervisor::SupervisorMetrics m;
  m.slots = 4;
  m.assignedSlots = 2;
  m.runningWorkers = 1;
  m.workerLaunches = 5;
  m.workerRestarts = 3;
  m.workers = {{"wc-1-17", 6700, true, 0, 30}, {"wc-1-17", 6701, false, 3, 0}};
  metrics::PrometheusText out;
  supervisor::addSupervisorFamilies(m, true, 42, out);
  std::string text = out.text();
  for (const char* line :
       {"squall_supervisor_slots 4\n", "squall_supervisor_slots_used 2\n",
        "squall_supervisor_workers_running 1\n", "squall_supervisor_worker_launches_total 5\n",
        "squall_supervisor_worker_restarts_total 3\n", "squall_zookeeper_connected 1\n",
        "squall_supervisor_uptime_seconds 42\n",
        "squall_worker_up{id=\"wc-1-17\",port=\"6700\"} 1\n",
        "squall_worker_up{id=\"wc-1-17\",port=\"6701\"} 0\n",
        "squall_worker_restarts_total{id=\"wc-1-17\",port=\"6701\"} 3\n",
        "squall_worker_uptime_seconds{id=\"wc-1-17\",port=\"6700\"} 30\n",
        "# TYPE squall_worker_restarts_total counter\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}
