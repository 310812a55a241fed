#pragma once
// TaskRouting: for one producing task, each declared output stream with its subscribers and
// their groupers. Built on the executor's thread when the task starts; used only there.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/grouper.h"
#include "squall/detail/tuple_data.h"
#include "squall/topology_context.h"
#include "stats/task_stats.h"

namespace squall::internal {

struct TopologyRuntime;

struct ConsumerRoute {
  std::string component;
  std::unique_ptr<Grouper> grouper;  // null for direct grouping
};

struct StreamRoute {
  std::string id;
  const StreamMeta* meta = nullptr;
  bool direct = false;  // declared direct: only emitDirect may use it
  std::vector<ConsumerRoute> consumers;
  // By task id: 0 = does not consume this stream, 1 = consumes it by direct grouping,
  // 2 = consumes it by another grouping.
  std::vector<uint8_t> consumerKind;
  OutputStreamStats* stats = nullptr;
  // The one task every regular emit goes to, when the stream has one subscription and its
  // grouping has no choice to make (see fixedChoice in grouper.h); -1 otherwise.
  int fixedTarget = -1;
};

class TaskRouting {
 public:
  TaskRouting(TopologyRuntime& rt, TopologyContext& context, TaskStats& stats);

  // nullptr when the task did not declare `stream`.
  StreamRoute* find(std::string_view stream) {
    if (defaultRoute_ && stream == "default") return defaultRoute_;
    for (auto& r : routes_) {
      if (r->id == stream) return r.get();
    }
    return nullptr;
  }

 private:
  std::vector<std::unique_ptr<StreamRoute>> routes_;
  StreamRoute* defaultRoute_ = nullptr;
};

}  // namespace squall::internal
