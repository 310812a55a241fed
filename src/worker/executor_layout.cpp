#include "worker/executor_layout.h"

#include "topology/topology_plan.h"

namespace squall::worker {

std::map<std::string, int> followAssignedExecutors(StormTopology& topology, const std::string& name,
                                                   const Config& conf,
                                                   const Assignment& assignment) {
  auto plan = internal::TopologyPlan::build(name, assignment.topologyId, conf, topology);
  std::map<std::string, int> changed;
  std::map<std::string, int> tasks;
  for (const auto& [id, cp] : plan->components) {
    if (cp.system || cp.tasks.empty()) continue;
    int first = cp.tasks.front(), last = cp.tasks.back(), n = 0;
    for (auto it = assignment.executorWorker.lower_bound(first);
         it != assignment.executorWorker.end() && it->first <= last; ++it) {
      ++n;
    }
    if (n > 0 && n != static_cast<int>(cp.executors.size())) {
      changed[id] = n;
      tasks[id] = static_cast<int>(cp.tasks.size());
    }
  }
  for (auto& c : topology.def.components) {
    auto it = changed.find(c.id);
    if (it == changed.end()) continue;
    c.conf.try_emplace(Config::TOPOLOGY_TASKS, Value(tasks[c.id]));
    c.parallelism = it->second;
  }
  return changed;
}

}  // namespace squall::worker
