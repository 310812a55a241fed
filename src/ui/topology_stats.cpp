#include "ui/topology_stats.h"

#include <chrono>

namespace squall::ui {

using internal::TaskTotals;

TopologyStats::TopologyStats(const internal::RunningTopology& topology)
    : topology_(topology), registered_(topology.executors().size(), false) {}

int64_t TopologyStats::nowSecs() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void TopologyStats::addStartedTasks() {
  const auto& executors = topology_.executors();
  // The topology's start, in nowSecs()' clock: a task's windows begin at zero then, so a
  // topology younger than a window shows everything it did.
  int64_t startSecs = nowSecs() - static_cast<int64_t>(topology_.summary().uptimeSecs);
  for (size_t i = 0; i < executors.size(); ++i) {
    // An executor's tasks (and their stats' shapes) are fixed once it is ready.
    if (registered_[i] || !executors[i]->ready()) continue;
    registered_[i] = true;
    const auto& ep = executors[i]->plan();
    for (auto [id, stats] : executors[i]->taskStats()) {
      Task t;
      t.id = id;
      t.component = ep.componentId;
      t.executorStart = ep.startTask;
      t.executorEnd = ep.endTask;
      t.stats = stats;
      for (const auto& [stream, s] : stats->outputs) t.outputStreams.push_back(stream);
      for (const auto& [key, s] : stats->inputs) t.inputs.push_back(key);
      for (auto& w : t.windows) w.observe(startSecs, TaskTotals{});
      tasks_.push_back(std::move(t));
    }
  }
}

void TopologyStats::sample() {
  std::lock_guard lock(mu_);
  addStartedTasks();
  int64_t now = nowSecs();
  for (auto& t : tasks_) {
    TaskTotals current = internal::readTotals(*t.stats);
    for (auto& w : t.windows) w.observe(now, current);
  }
}

std::vector<TaskSample> TopologyStats::window(size_t w) {
  std::lock_guard lock(mu_);
  addStartedTasks();
  int64_t now = nowSecs();
  std::vector<TaskSample> out;
  out.reserve(tasks_.size());
  for (auto& t : tasks_) {
    TaskTotals current = internal::readTotals(*t.stats);
    TaskSample s;
    s.task = t.id;
    s.component = t.component;
    s.executorStart = t.executorStart;
    s.executorEnd = t.executorEnd;
    s.outputStreams = &t.outputStreams;
    s.inputs = &t.inputs;
    s.busyNsTenMinutes = t.windows[kTenMinutes].since(now, current).busyNs;
    s.totals = w == kAllTime ? std::move(current) : t.windows[w].since(now, std::move(current));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace squall::ui
