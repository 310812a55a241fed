#pragma once
// ComponentRegistry: class name -> factory. A topology definition names its components by
// class; the registry turns a name and constructor arguments into a fresh instance, once per
// task. Register your own with SQUALL_REGISTER_COMPONENT(Type) in any .cpp of your program.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "squall/components.h"
#include "squall/errors.h"
#include "squall/value.h"

namespace squall {

using ComponentInstance = std::variant<std::unique_ptr<IRichSpout>, std::unique_ptr<IRichBolt>,
                                       std::unique_ptr<IBasicBolt>>;
using ComponentFactory = std::function<ComponentInstance(const Values& args)>;
using GroupingFactory = std::function<std::unique_ptr<CustomStreamGrouping>(const Values& args)>;

IComponent& asComponent(const ComponentInstance& instance);

class ComponentRegistry {
 public:
  // The process-wide registry: built-in components plus everything registered by macro.
  static ComponentRegistry& global();

  void addComponent(const std::string& className, ComponentFactory factory);
  void addGrouping(const std::string& className, GroupingFactory factory);
  const ComponentFactory* findComponent(const std::string& className) const;
  const GroupingFactory* findGrouping(const std::string& className) const;
  std::vector<std::string> componentNames() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, ComponentFactory> components_;
  std::map<std::string, GroupingFactory> groupings_;
};

// Builds a T from constructor arguments: T(const Values&) when T has it, else T() (and then
// the arguments must be empty).
template <class T>
ComponentInstance makeComponent(const Values& args) {
  std::unique_ptr<T> p;
  if constexpr (std::is_constructible_v<T, const Values&>) {
    p = std::make_unique<T>(args);
  } else {
    if (!args.empty()) {
      throw IllegalArgumentException("this component takes no constructor arguments, got " +
                                     toString(args));
    }
    p = std::make_unique<T>();
  }
  if constexpr (std::is_base_of_v<IRichSpout, T>) {
    return std::unique_ptr<IRichSpout>(std::move(p));
  } else if constexpr (std::is_base_of_v<IRichBolt, T>) {
    return std::unique_ptr<IRichBolt>(std::move(p));
  } else {
    static_assert(std::is_base_of_v<IBasicBolt, T>, "a component is a spout or a bolt");
    return std::unique_ptr<IBasicBolt>(std::move(p));
  }
}

template <class T>
bool registerComponent(const std::string& className) {
  if constexpr (std::is_base_of_v<CustomStreamGrouping, T>) {
    ComponentRegistry::global().addGrouping(className, [](const Values& args) {
      if constexpr (std::is_constructible_v<T, const Values&>) {
        return std::unique_ptr<CustomStreamGrouping>(std::make_unique<T>(args));
      } else {
        return std::unique_ptr<CustomStreamGrouping>(std::make_unique<T>());
      }
    });
  } else {
    ComponentRegistry::global().addComponent(className, &makeComponent<T>);
  }
  return true;
}

}  // namespace squall

#define SQUALL_REGISTER_COMPONENT_AS(Type, name)                \
  static const bool squall_registered_##Type [[maybe_unused]] = \
      ::squall::registerComponent<Type>(name)
#define SQUALL_REGISTER_COMPONENT(Type) SQUALL_REGISTER_COMPONENT_AS(Type, #Type)
