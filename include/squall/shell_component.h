#pragma once
// What a multilang component runs and declares (Storm's ShellComponent plus the output
// declaration FluxShellBolt takes), shared by ShellBolt and ShellSpout.

#include <map>
#include <string>
#include <vector>

#include "squall/output_fields_declarer.h"

namespace squall {

struct ShellCommand {
  // argv of the child; no shell is involved. A program without '/' is looked up on the PATH
  // the child will see; a relative path is relative to `cwd`.
  std::vector<std::string> command;
  // Working directory of the child; empty means the topology's code directory when there is
  // one, else the worker's own working directory.
  std::string cwd;
  // Added to the worker's environment. PATH is appended to the inherited PATH (as Storm's
  // ShellProcess does); other keys replace. SQUALL_SERIALIZER is always set by the engine.
  std::map<std::string, std::string> env;
  // The wire format this child speaks (json or msgpack); empty means
  // topology.multilang.serializer. A Python DSL component's own `serializer` choice.
  std::string serializer;
  // Declared output streams, by id.
  std::map<std::string, StreamInfo> streams;
};

// Registers ShellBolt and ShellSpout in ComponentRegistry::global() under
//   "org.apache.storm.flux.wrappers.bolts.FluxShellBolt",
//   "org.apache.storm.flux.wrappers.spouts.FluxShellSpout"  args: [List command, List fields]
//   "squall.ShellBolt", "squall.ShellSpout"
//       args: [Map{"command": [..], "fields": [..] | "streams": {id: [..]}, "cwd": s, "env": {..}}]
// Idempotent. Called by a static initializer of the multilang library; a program that names
// shell components only by class (YAML, Python DSL) should call it too, because a static
// library's unreferenced initializers are dropped at link time.
void registerMultilangComponents();

}  // namespace squall
