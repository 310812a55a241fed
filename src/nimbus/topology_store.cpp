#include "nimbus/topology_store.h"

namespace squall::nimbus {

void InMemoryTopologyStore::put(const TopologyRecord& record) {
  std::lock_guard lock(mu_);
  records_[record.id] = record;
}

void InMemoryTopologyStore::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  records_.erase(id);
}

std::optional<TopologyRecord> InMemoryTopologyStore::get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::vector<TopologyRecord> InMemoryTopologyStore::list() const {
  std::lock_guard lock(mu_);
  std::vector<TopologyRecord> out;
  for (const auto& [id, r] : records_) out.push_back(r);
  return out;
}

}  // namespace squall::nimbus
