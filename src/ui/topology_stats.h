#pragma once
// TopologyStats: the statistics of one running topology over Storm's windows (10 min, 3 h,
// 1 day, all time), read from its tasks' counters. The executors write nothing extra: a
// sampler (the UI server's thread, about once a second, and each request) copies every task's
// totals into rolling windows (stats/rolling_window.h). Memory per task: at most 22 copies per
// window. Thread-safe; the caller keeps the RunningTopology alive while calling in (see
// TopologyView).

#include <array>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/running_topology.h"
#include "stats/rolling_window.h"
#include "stats/task_totals.h"

namespace squall::ui {

struct WindowSpec {
  const char* param;   // Storm's ?window= value
  const char* pretty;  // Storm's windowPretty
  int64_t secs;        // 0: all time
};
// In Storm's order: 600, 10800, 86400, :all-time.
inline constexpr std::array<WindowSpec, 4> kWindows{{{"600", "10m 0s", 600},
                                                     {"10800", "3h 0m 0s", 10800},
                                                     {"86400", "1d 0h 0m 0s", 86400},
                                                     {":all-time", "All time", 0}}};
inline constexpr size_t kAllTime = 3;
inline constexpr size_t kTenMinutes = 0;

// One task's figures in one window, with the names of its streams and inputs.
struct TaskSample {
  int task = 0;
  std::string component;
  int executorStart = 0;  // the task's executor, as Storm names it: [start-end]
  int executorEnd = 0;
  const std::vector<std::string>* outputStreams = nullptr;                   // outputs order
  const std::vector<std::pair<std::string, std::string>>* inputs = nullptr;  // (component, stream)
  internal::TaskTotals totals;
  uint64_t busyNsTenMinutes = 0;  // for capacity, which Storm always takes over 10 min
};

class TopologyStats {
 public:
  explicit TopologyStats(const internal::RunningTopology& topology);

  // Copies every started task's totals into the windows.
  void sample();
  // Every started task's figures in window kWindows[w].
  std::vector<TaskSample> window(size_t w);

 private:
  struct Task {
    int id = 0;
    std::string component;
    int executorStart = 0;
    int executorEnd = 0;
    const internal::TaskStats* stats = nullptr;
    std::vector<std::string> outputStreams;
    std::vector<std::pair<std::string, std::string>> inputs;
    std::array<internal::RollingWindow<internal::TaskTotals>, 3> windows{
        internal::RollingWindow<internal::TaskTotals>(600),
        internal::RollingWindow<internal::TaskTotals>(10800),
        internal::RollingWindow<internal::TaskTotals>(86400)};
  };
  void addStartedTasks();
  int64_t nowSecs() const;

  const internal::RunningTopology& topology_;
  std::mutex mu_;
  std::vector<bool> registered_;  // index = executor
  std::deque<Task> tasks_;        // a deque: TaskSample points into it while it grows
};

}  // namespace squall::ui
