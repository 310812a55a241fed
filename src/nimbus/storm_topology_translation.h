#pragma once
// A StormTopology as a Storm client submits it (StormSubmitter, streamparse, Storm's Python
// clients) into Squall's TopologyDef:
//   - ComponentObject.shell {execution_command, script} runs as Storm's ShellBolt/ShellSpout
//     would run it: the command [execution_command, script], declaring the streams of
//     ComponentCommon.streams (squall.ShellBolt / squall.ShellSpout, see flux/shell_components.h);
//   - ComponentObject.java_object names a class in Squall's component registry, with its
//     JavaObjectArg list as constructor arguments;
//   - ComponentObject.serialized_java (what Java's TopologyBuilder sends) and state spouts
//     cannot run without a JVM and are refused, naming the component.
// Groupings, subscriptions (GlobalStreamId), parallelism hints and each component's json_conf
// carry over. Every problem is an InvalidTopologyException naming the component.

#include <string>

#include "squall/topology_def.h"
#include "storm_thrift/storm_types.h"

namespace squall::nimbus {

struct TranslateOptions {
  // The working directory of shell components (the topology's resources folder); empty: the
  // worker's.
  std::string shellCwd;
  // Whether a java_object's class (or a custom grouping's) must be in the global registry.
  bool requireRegisteredClasses = true;
};

TopologyDef toTopologyDef(const storm::StormTopology& topology,
                          const TranslateOptions& options = {});

// Storm's Utils.validateTopologyName: non-empty, none of / . : \.
bool isValidTopologyName(const std::string& name);

// The Thrift binary encoding of a StormTopology (Storm's stormcode.ser, without Java's
// serialization wrapper) and back; decoding throws on malformed bytes.
std::string serializeTopology(const storm::StormTopology& topology);
storm::StormTopology deserializeTopology(const std::string& bytes);

}  // namespace squall::nimbus
