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

#include <map>
#include <string>

#include "squall/output_fields_declarer.h"
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

// A component's constructor arguments that JavaObjectArg cannot hold (lists, maps, null: a
// Flux component passed as data, a shell component's env) travel as JSON under this key of
// the component's json_conf; toTopologyDef takes them back out. Storm ignores the key.
inline constexpr const char* kComponentArgsKey = "squall.component.args";

struct ToStormOptions {
  // Shell components whose cwd is this folder (the topology's resources folder where the
  // definition was loaded) are sent as Storm's ShellComponent, without it: the receiving
  // side's TranslateOptions::shellCwd (its own resources folder) takes its place.
  std::string shellCwd;
};

// What each component declares, by component id (flux::CheckedTopology::outputs).
using DeclaredOutputs = std::map<std::string, std::map<std::string, StreamInfo>>;

// The reverse of toTopologyDef, for `squall submit` and StormSubmitter: a shell component
// whose command is [execution_command, script] (no env or serializer of its own, the cwd
// `options.shellCwd`) becomes a ShellComponent, any other component a JavaObject naming its
// class (a shell component's class is squall.ShellBolt/ShellSpout), with the arguments
// JavaObjectArg can hold, else under kComponentArgsKey. Streams come from `outputs` (a shell
// component's from its arguments). toTopologyDef(toStormTopology(def)) gives `def` back (ids,
// kinds, classes, arguments, parallelism, conf, inputs; not the origins, and the components
// spouts first, each kind in id order). Throws InvalidTopologyException naming the component
// for what Storm's structs cannot carry (a custom grouping's list argument).
storm::StormTopology toStormTopology(const TopologyDef& def, const DeclaredOutputs& outputs,
                                     const ToStormOptions& options = {});

// Storm's Utils.validateTopologyName: non-empty, none of / . : \.
bool isValidTopologyName(const std::string& name);

// The Thrift binary encoding of a StormTopology (Storm's stormcode.ser, without Java's
// serialization wrapper) and back; decoding throws on malformed bytes.
std::string serializeTopology(const storm::StormTopology& topology);
storm::StormTopology deserializeTopology(const std::string& bytes);

}  // namespace squall::nimbus
