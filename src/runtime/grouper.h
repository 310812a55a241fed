#pragma once
// Groupers: given an emitted tuple, choose the consumer tasks of one subscription, with
// Storm's semantics for each grouping (see docs/ARCHITECTURE.md). One instance per
// (producer task, subscription); used only by the producing executor's thread.

#include <functional>
#include <memory>
#include <vector>

#include "squall/components.h"
#include "squall/fields.h"
#include "squall/topology_context.h"
#include "squall/topology_def.h"
#include "squall/value.h"

namespace squall::internal {

class Grouper {
 public:
  virtual ~Grouper() = default;
  // Appends the chosen task ids to `out`.
  virtual void choose(int sourceTask, const Values& values, std::vector<int>& out) = 0;
};

// Fill ratio (0..1) of a task's receive queue, for load-aware shuffling.
using TaskLoad = std::function<double(int taskId)>;

struct GrouperSpec {
  GroupingDef grouping;
  Fields outputFields;       // the producer's fields on this stream
  std::vector<int> targets;  // the consumer's tasks, ascending
  std::string sourceComponent;
  std::string stream;
  bool loadAware = true;
  TaskLoad load;
  std::unique_ptr<CustomStreamGrouping> custom;  // for Custom
  TopologyContext* context = nullptr;            // for Custom's prepare
};

// Direct subscriptions have no grouper (emitDirect chooses); returns nullptr for them.
std::unique_ptr<Grouper> makeGrouper(GrouperSpec spec);

// The task every tuple of a subscription goes to when its grouping has no choice to make (a
// built-in grouping of a consumer with one task), so emits can skip asking the grouper;
// -1 otherwise (direct and custom groupings decide for themselves).
int fixedChoice(GroupingType type, const std::vector<int>& targets);

}  // namespace squall::internal
