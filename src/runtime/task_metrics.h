#pragma once
// A task's metrics tick (Storm's __metrics_tick): the tick timer puts a `__system/__metrics_tick`
// tuple with a bucket size into the executor's queue; on its own thread the executor then reads
// and resets each of its tasks' Storm 1 IMetrics of that bucket size, records their values in
// the registry and, when the topology has metrics consumers, emits [task-info, data-points] on
// the task's `__metrics` stream (unanchored). The builtin bucket's tick also carries the values
// the task reported (multilang `metrics`) since the last one.

#include <functional>

#include "runtime/topology_runtime.h"
#include "squall/topology_context.h"

namespace squall::internal {

inline constexpr const char* kMetricsTickStream = "__metrics_tick";

const StreamMeta& metricsTickMeta();

// `emit` sends one tuple on the task's __metrics stream.
void publishTaskMetrics(const TopologyRuntime& rt, const TopologyContext& context, int bucketSecs,
                        const std::function<void(Values)>& emit);

}  // namespace squall::internal
