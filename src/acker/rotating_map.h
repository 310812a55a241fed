#pragma once
// RotatingMap: a map whose entries expire after between N-1 and N rotations (Storm's
// RotatingMap). put() goes to the newest bucket; rotate() drops the oldest bucket and returns
// it. Used by the spout (2 buckets: a tree times out after T..2T) and the acker (3 buckets).
// Keys are non-zero 64-bit root ids. Single-threaded: owned by one executor.

#include <cstddef>
#include <cstdint>
#include <deque>

#include "acker/flat_u64_map.h"

namespace squall::internal {

template <class V>
class RotatingMap {
 public:
  using Bucket = FlatU64Map<V>;

  explicit RotatingMap(size_t buckets) : buckets_(buckets) {}

  void put(uint64_t key, V value) {
    for (size_t i = 1; i < buckets_.size(); ++i) buckets_[i].erase(key);
    buckets_[0].insert_or_assign(key, std::move(value));
  }
  // For a key known to be absent (a fresh random root id): skips the older buckets.
  V& insertNew(uint64_t key, V value) {
    return buckets_[0].insert_or_assign(key, std::move(value));
  }
  V* find(uint64_t key) {
    for (auto& b : buckets_) {
      if (V* v = b.find(key)) return v;
    }
    return nullptr;
  }
  // See FlatU64Map::prefetch; every bucket, since the key may be in any.
  void prefetch(uint64_t key) const {
    for (const auto& b : buckets_) b.prefetch(key);
  }
  void prefetchNewest(uint64_t key) const { buckets_.front().prefetch(key); }
  // Moves an entry to the newest bucket (resetTimeout); false when absent.
  bool touch(uint64_t key) {
    if (buckets_[0].find(key)) return true;
    for (size_t i = 1; i < buckets_.size(); ++i) {
      V value;
      if (buckets_[i].erase(key, &value)) {
        buckets_[0].insert_or_assign(key, std::move(value));
        return true;
      }
    }
    return false;
  }
  bool remove(uint64_t key, V* out = nullptr) {
    for (auto& b : buckets_) {
      if (b.erase(key, out)) return true;
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
