#pragma once
// RotatingMap: a map whose entries expire after between N-1 and N rotations (Storm's
// RotatingMap). put() goes to the newest bucket; rotate() drops the oldest bucket and returns
// it. Used by the spout (2 buckets: a tree times out after T..2T) and the acker (3 buckets).
// Single-threaded: owned by one executor.

#include <cstdint>
#include <deque>
#include <functional>
#include <unordered_map>

namespace squall::internal {

template <class K, class V>
class RotatingMap {
 public:
  using Bucket = std::unordered_map<K, V>;

  explicit RotatingMap(size_t buckets) : buckets_(buckets) {}

  void put(const K& key, V value) {
    for (size_t i = 1; i < buckets_.size(); ++i) buckets_[i].erase(key);
    buckets_[0].insert_or_assign(key, std::move(value));
  }
  // For a key known to be absent (a fresh random root id): skips the older buckets.
  void insertNew(const K& key, V value) { buckets_[0].emplace(key, std::move(value)); }
  V* find(const K& key) {
    for (auto& b : buckets_) {
      auto it = b.find(key);
      if (it != b.end()) return &it->second;
    }
    return nullptr;
  }
  // Moves an entry to the newest bucket (resetTimeout); false when absent.
  bool touch(const K& key) {
    for (size_t i = 1; i < buckets_.size(); ++i) {
      auto node = buckets_[i].extract(key);
      if (!node.empty()) {
        buckets_[0].insert(std::move(node));
        return true;
      }
    }
    return buckets_[0].count(key) > 0;
  }
  bool remove(const K& key, V* out = nullptr) {
    for (auto& b : buckets_) {
      auto it = b.find(key);
      if (it != b.end()) {
        if (out) *out = std::move(it->second);
        b.erase(it);
        return true;
      }
    }
    return false;
  }
  size_t size() const {
    size_t n = 0;
    for (const auto& b : buckets_) n += b.size();
    return n;
  }
  // Drops the oldest bucket and returns what was in it.
  Bucket rotate() {
    Bucket expired = std::move(buckets_.back());
    buckets_.pop_back();
    buckets_.emplace_front();
    return expired;
  }
  void clear() {
    for (auto& b : buckets_) b.clear();
  }

 private:
  std::deque<Bucket> buckets_;
};

}  // namespace squall::internal
