#pragma once
// Building a ShellSetup from what prepare()/open() receive, shared by ShellBolt and ShellSpout.

#include <string>

#include "multilang/shell_child.h"
#include "squall/config.h"
#include "squall/shell_component.h"
#include "squall/topology_context.h"

namespace squall::internal {

// Serializer from topology.multilang.serializer, timeout from topology.subprocess.timeout.secs
// (else supervisor.worker.timeout.secs), handshake conf and context, pid directory, the
// child's working directory and environment.
ShellSetup makeShellSetup(const char* kind, const ShellCommand& spec, const Config& conf,
                          const TopologyContext& context);

// A `metrics` command: the value goes to the topology's MetricsRegistry (read by reporters
// and LocalCluster::getMetrics), keyed by the task and the metric name.
void recordMetric(const ShellSetup& setup, const std::string& name, const Value& params);

// Declares the streams of `spec` (what declareOutputFields of a shell component does).
void declareShellStreams(const ShellCommand& spec, OutputFieldsDeclarer& declarer);

}  // namespace squall::internal
