#include "squall/topology_builder.h"

#include "squall/errors.h"

namespace squall {

ComponentDeclarer& ComponentDeclarer::addConfiguration(const std::string& key, Value value) {
  def_->conf.insert_or_assign(key, std::move(value));
  return *this;
}

ComponentDeclarer& ComponentDeclarer::addConfigurations(const Map& conf) {
  for (const auto& [k, v] : conf) addConfiguration(k, v);
  return *this;
}

BoltDeclarer& BoltDeclarer::grouping(const std::string& component, const std::string& stream,
                                     GroupingDef g) {
  def_->inputs.push_back(InputDef{component, stream, std::move(g)});
  return *this;
}

BoltDeclarer& BoltDeclarer::shuffleGrouping(const std::string& c, const std::string& s) {
  return grouping(c, s, GroupingDef{GroupingType::Shuffle, {}, {}, {}});
}
BoltDeclarer& BoltDeclarer::localOrShuffleGrouping(const std::string& c, const std::string& s) {
  return grouping(c, s, GroupingDef{GroupingType::LocalOrShuffle, {}, {}, {}});
}
BoltDeclarer& BoltDeclarer::fieldsGrouping(const std::string& c, const Fields& f) {
  return fieldsGrouping(c, kDefaultStream, f);
}
BoltDeclarer& BoltDeclarer::fieldsGrouping(const std::string& c, const std::string& s,
                                           const Fields& f) {
  return grouping(c, s, GroupingDef{GroupingType::Fields, f.toList(), {}, {}});
}
BoltDeclarer& BoltDeclarer::partialKeyGrouping(const std::string& c, const Fields& f) {
  return partialKeyGrouping(c, kDefaultStream, f);
}
BoltDeclarer& BoltDeclarer::partialKeyGrouping(const std::string& c, const std::string& s,
                                               const Fields& f) {
  return grouping(c, s, GroupingDef{GroupingType::PartialKey, f.toList(), {}, {}});
}
BoltDeclarer& BoltDeclarer::allGrouping(const std::string& c, const std::string& s) {
  return grouping(c, s, GroupingDef{GroupingType::All, {}, {}, {}});
}
BoltDeclarer& BoltDeclarer::globalGrouping(const std::string& c, const std::string& s) {
  return grouping(c, s, GroupingDef{GroupingType::Global, {}, {}, {}});
}
BoltDeclarer& BoltDeclarer::noneGrouping(const std::string& c, const std::string& s) {
  return grouping(c, s, GroupingDef{GroupingType::None, {}, {}, {}});
}
BoltDeclarer& BoltDeclarer::directGrouping(const std::string& c, const std::string& s) {
  return grouping(c, s, GroupingDef{GroupingType::Direct, {}, {}, {}});
}
BoltDeclarer& BoltDeclarer::customGrouping(const std::string& c, const std::string& s,
                                           const std::string& cls, Values args) {
  return grouping(c, s, GroupingDef{GroupingType::Custom, {}, cls, std::move(args)});
}

ComponentDef& TopologyBuilder::add(const std::string& id, ComponentKind kind, ComponentSpec spec,
                                   int parallelism) {
  for (const auto& d : defs_) {
    if (d.id == id) throw IllegalArgumentException("component id '" + id + "' is already used");
  }
  ComponentDef& def = defs_.emplace_back();
  def.id = id;
  def.kind = kind;
  def.className = std::move(spec.className);
  def.args = std::move(spec.args);
  def.parallelism = parallelism;
  return def;
}

SpoutDeclarer& TopologyBuilder::setSpout(const std::string& id, ComponentSpec spec,
                                         int parallelism) {
  return declarers_.emplace_back(add(id, ComponentKind::Spout, std::move(spec), parallelism));
}

BoltDeclarer& TopologyBuilder::setBolt(const std::string& id, ComponentSpec spec, int parallelism) {
  return declarers_.emplace_back(add(id, ComponentKind::Bolt, std::move(spec), parallelism));
}

StormTopology TopologyBuilder::createTopology() const {
  StormTopology t;
  t.def.components.assign(defs_.begin(), defs_.end());
  t.local = local_;
  return t;
}

}  // namespace squall
