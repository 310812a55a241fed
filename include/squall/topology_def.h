#pragma once
// A topology as data: what a YAML file, a Python module or the C++ builder produce, and what
// another process (a cluster worker) needs to rebuild the same topology. Components are named
// by class name and built by the factories of a ComponentRegistry.

#include <string>
#include <vector>

#include "squall/value.h"

namespace squall {

enum class GroupingType {
  Shuffle,
  LocalOrShuffle,
  Fields,
  PartialKey,
  All,
  Global,
  None,
  Direct,
  Custom
};

const char* groupingTypeName(GroupingType t);

struct GroupingDef {
  GroupingType type = GroupingType::Shuffle;
  std::vector<std::string> fields;  // Fields and PartialKey
  std::string customClass;          // Custom: a registered CustomStreamGrouping
  Values customArgs;
};

// One subscription: this component consumes `stream` of `component` with `grouping`.
struct InputDef {
  std::string component;
  std::string stream = "default";
  GroupingDef grouping;
};

enum class ComponentKind { Spout, Bolt };

struct ComponentDef {
  std::string id;
  ComponentKind kind = ComponentKind::Bolt;
  std::string className;
  Values args;  // constructor arguments, passed to the factory
  int parallelism = 1;
  Map conf;  // this component's configuration (setNumTasks, addConfiguration, ...)
  std::vector<InputDef> inputs;
  // Where this component was defined (a YAML file and line), for error messages; may be empty.
  std::string origin;
};

struct TopologyDef {
  std::vector<ComponentDef> components;  // spouts and bolts, in definition order

  const ComponentDef* find(const std::string& id) const;
};

}  // namespace squall
