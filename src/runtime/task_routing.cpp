#include "runtime/task_routing.h"

#include "runtime/executor.h"
#include "runtime/topology_runtime.h"
#include "squall/errors.h"

namespace squall::internal {

TaskRouting::TaskRouting(TopologyRuntime& rt, TopologyContext& context, TaskStats& stats) {
  const TopologyPlan& plan = *rt.plan;
  const ComponentPlan& self = plan.component(context.getThisComponentId());
  bool loadAware = !plan.conf.getBool(Config::TOPOLOGY_DISABLE_LOADAWARE_MESSAGING);
  for (const auto& [streamId, info] : self.streams) {
    auto route = std::make_unique<StreamRoute>();
    route->id = streamId;
    route->meta = self.streamMeta.at(streamId).get();
    route->direct = info.direct;
    route->consumerKind.assign(plan.numTasks() + 1, 0);
    route->stats = &stats.outputs[streamId];
    if (auto it = self.consumers.find(streamId); it != self.consumers.end()) {
      for (const auto& sub : it->second) {
        const auto& targets = plan.component(sub.consumer).tasks;
        bool direct = sub.grouping.type == GroupingType::Direct;
        for (int t : targets) route->consumerKind[t] = direct ? 1 : 2;
        GrouperSpec spec;
        spec.grouping = sub.grouping;
        spec.outputFields = info.fields;
        spec.targets = targets;
        if (sub.grouping.type == GroupingType::LocalOrShuffle && !rt.remoteTask.empty()) {
          // Storm: the tasks in this worker when there are any, else all of them.
          std::vector<int> local;
          for (int t : targets) {
            if (!rt.remoteTask[t]) local.push_back(t);
          }
          if (!local.empty()) spec.targets = std::move(local);
        }
        spec.sourceComponent = self.id;
        spec.stream = streamId;
        spec.loadAware = loadAware;
        spec.load = [&rt](int task) { return rt.executorOfTask[task]->queue().load(); };
        spec.context = &context;
        if (sub.grouping.type == GroupingType::Custom) {
          const GroupingFactory* f =
              rt.localRegistry ? rt.localRegistry->findGrouping(sub.grouping.customClass) : nullptr;
          if (!f) f = ComponentRegistry::global().findGrouping(sub.grouping.customClass);
          if (!f)
            throw InvalidTopologyException("custom grouping class '" + sub.grouping.customClass +
                                           "' is not registered");
          spec.custom = (*f)(sub.grouping.customArgs);
        }
        route->consumers.push_back(ConsumerRoute{sub.consumer, makeGrouper(std::move(spec))});
      }
      if (it->second.size() == 1) {
        const auto& only = it->second.front();
        route->fixedTarget = fixedChoice(only.grouping.type, plan.component(only.consumer).tasks);
      }
    }
    if (streamId == "default") defaultRoute_ = route.get();
    routes_.push_back(std::move(route));
  }
}

}  // namespace squall::internal
