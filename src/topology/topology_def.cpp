#include "squall/topology_def.h"

namespace squall {

const char* groupingTypeName(GroupingType t) {
  switch (t) {
    case GroupingType::Shuffle:
      return "shuffle";
    case GroupingType::LocalOrShuffle:
      return "local_or_shuffle";
    case GroupingType::Fields:
      return "fields";
    case GroupingType::PartialKey:
      return "partial_key";
    case GroupingType::All:
      return "all";
    case GroupingType::Global:
      return "global";
    case GroupingType::None:
      return "none";
    case GroupingType::Direct:
      return "direct";
    case GroupingType::Custom:
      return "custom";
  }
  return "?";
}

const ComponentDef* TopologyDef::find(const std::string& id) const {
  for (const auto& c : components) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace squall
