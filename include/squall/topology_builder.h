#pragma once
// TopologyBuilder: Storm's builder API. It produces a StormTopology: the definition as data
// plus the factories of components given as objects (each task gets its own copy, as Storm
// deserialises one copy per task).

#include <concepts>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>

#include "squall/component_registry.h"
#include "squall/components.h"
#include "squall/fields.h"
#include "squall/topology_def.h"

namespace squall {

struct StormTopology {
  TopologyDef def;
  // Factories for components handed to the builder as objects; consulted before the global
  // registry. A cluster worker rebuilding the topology needs the classes registered globally.
  std::shared_ptr<ComponentRegistry> local = std::make_shared<ComponentRegistry>();
};

// A component named by registered class, with constructor arguments.
struct ComponentSpec {
  ComponentSpec(std::string cls, Values arguments = {})
      : className(std::move(cls)), args(std::move(arguments)) {}
  std::string className;
  Values args;
};

class ComponentDeclarer {
 public:
  explicit ComponentDeclarer(ComponentDef& def) : def_(&def) {}
  ComponentDeclarer& addConfiguration(const std::string& key, Value value);
  ComponentDeclarer& addConfigurations(const Map& conf);
  ComponentDeclarer& setNumTasks(int tasks) { return addConfiguration("topology.tasks", tasks); }
  ComponentDeclarer& setDebug(bool on) { return addConfiguration("topology.debug", on); }
  ComponentDeclarer& setMaxSpoutPending(int64_t n) {
    return addConfiguration("topology.max.spout.pending", n);
  }
  ComponentDeclarer& setMaxTaskParallelism(int n) {
    return addConfiguration("topology.max.task.parallelism", n);
  }

 protected:
  ComponentDef* def_;
};

using SpoutDeclarer = ComponentDeclarer;

class BoltDeclarer : public ComponentDeclarer {
 public:
  using ComponentDeclarer::ComponentDeclarer;

  BoltDeclarer& shuffleGrouping(const std::string& component,
                                const std::string& stream = "default");
  BoltDeclarer& localOrShuffleGrouping(const std::string& component,
                                       const std::string& stream = "default");
  BoltDeclarer& fieldsGrouping(const std::string& component, const Fields& fields);
  BoltDeclarer& fieldsGrouping(const std::string& component, const std::string& stream,
                               const Fields& fields);
  BoltDeclarer& partialKeyGrouping(const std::string& component, const Fields& fields);
  BoltDeclarer& partialKeyGrouping(const std::string& component, const std::string& stream,
                                   const Fields& fields);
  BoltDeclarer& allGrouping(const std::string& component, const std::string& stream = "default");
  BoltDeclarer& globalGrouping(const std::string& component, const std::string& stream = "default");
  BoltDeclarer& noneGrouping(const std::string& component, const std::string& stream = "default");
  BoltDeclarer& directGrouping(const std::string& component, const std::string& stream = "default");
  // By a CustomStreamGrouping class registered with SQUALL_REGISTER_COMPONENT.
  BoltDeclarer& customGrouping(const std::string& component, const std::string& stream,
                               const std::string& groupingClass, Values args = {});
  BoltDeclarer& grouping(const std::string& component, const std::string& stream, GroupingDef g);

  // Setters return the derived type so a chain can mix both kinds.
  BoltDeclarer& setNumTasks(int tasks) {
    ComponentDeclarer::setNumTasks(tasks);
    return *this;
  }
  BoltDeclarer& addConfiguration(const std::string& key, Value value) {
    ComponentDeclarer::addConfiguration(key, std::move(value));
    return *this;
  }
};

class TopologyBuilder {
 public:
  SpoutDeclarer& setSpout(const std::string& id, ComponentSpec spec, int parallelism = 1);
  BoltDeclarer& setBolt(const std::string& id, ComponentSpec spec, int parallelism = 1);

  // A component object; every task gets its own copy of `prototype`.
  template <class T>
  requires std::derived_from<T, IRichSpout> && std::copy_constructible<T> SpoutDeclarer& setSpout(
      const std::string& id, T prototype, int parallelism = 1) {
    return setSpout(id, localClass<T>(std::move(prototype)), parallelism);
  }
  template <class T>
  requires(std::derived_from<T, IRichBolt> || std::derived_from<T, IBasicBolt>) &&
      std::copy_constructible<T> BoltDeclarer& setBolt(const std::string& id, T prototype,
                                                       int parallelism = 1) {
    return setBolt(id, localClass<T>(std::move(prototype)), parallelism);
  }

  StormTopology createTopology() const;

 private:
  template <class T>
  ComponentSpec localClass(T prototype) {
    std::string name = "local:" + std::to_string(defs_.size()) + ":" + typeid(T).name();
    auto proto = std::make_shared<const T>(std::move(prototype));
    local_->addComponent(name, [proto](const Values&) -> ComponentInstance {
      auto copy = std::make_unique<T>(*proto);
      if constexpr (std::is_base_of_v<IRichSpout, T>) {
        return std::unique_ptr<IRichSpout>(std::move(copy));
      } else if constexpr (std::is_base_of_v<IRichBolt, T>) {
        return std::unique_ptr<IRichBolt>(std::move(copy));
      } else {
        return std::unique_ptr<IBasicBolt>(std::move(copy));
      }
    });
    return ComponentSpec{name, {}};
  }
  ComponentDef& add(const std::string& id, ComponentKind kind, ComponentSpec spec, int parallelism);

  std::deque<ComponentDef> defs_;  // a deque: declarers keep pointers into it
  std::deque<BoltDeclarer> declarers_;
  std::shared_ptr<ComponentRegistry> local_ = std::make_shared<ComponentRegistry>();
};

}  // namespace squall
