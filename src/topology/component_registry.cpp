#include "squall/component_registry.h"

namespace squall {

IComponent& asComponent(const ComponentInstance& instance) {
  return std::visit([](const auto& p) -> IComponent& { return *p; }, instance);
}

ComponentRegistry& ComponentRegistry::global() {
  static ComponentRegistry registry;
  return registry;
}

void ComponentRegistry::addComponent(const std::string& className, ComponentFactory factory) {
  std::lock_guard lock(mu_);
  components_.insert_or_assign(className, std::move(factory));
}

void ComponentRegistry::addGrouping(const std::string& className, GroupingFactory factory) {
  std::lock_guard lock(mu_);
  groupings_.insert_or_assign(className, std::move(factory));
}

const ComponentFactory* ComponentRegistry::findComponent(const std::string& className) const {
  std::lock_guard lock(mu_);
  auto it = components_.find(className);
  return it == components_.end() ? nullptr : &it->second;
}

const GroupingFactory* ComponentRegistry::findGrouping(const std::string& className) const {
  std::lock_guard lock(mu_);
  auto it = groupings_.find(className);
  return it == groupings_.end() ? nullptr : &it->second;
}

std::vector<std::string> ComponentRegistry::componentNames() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, f] : components_) names.push_back(name);
  return names;
}

}  // namespace squall
