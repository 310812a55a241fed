#pragma once
// The cluster's executor statistics and errors (cluster/executor_stats.h, ClusterState's
// ErrorInfo) as storm.thrift's ExecutorStats and ErrorInfo, for getTopologyInfo.

#include "cluster/cluster_state.h"
#include "storm_thrift/storm_types.h"

namespace squall::nimbus {

storm::ExecutorStats toThrift(const cluster::ExecutorStats& s);
storm::ErrorInfo toThrift(const cluster::ErrorInfo& e);

}  // namespace squall::nimbus
