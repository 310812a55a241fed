#pragma once
// FlatU64Map: an open-addressing hash map from non-zero 64-bit keys (random root ids) to
// values, with linear probing and backward-shift deletion (no tombstones). The acker and the
// spout insert and erase millions of entries a second; node-based maps spend that time in
// malloc and pointer chasing. Key 0 marks an empty slot. Single-threaded.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace squall::internal {

template <class V>
class FlatU64Map {
 public:
  FlatU64Map() : slots_(16) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  V* find(uint64_t key) {
    for (size_t i = index(key);; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.key == key) return &s.value;
      if (s.key == 0) return nullptr;
    }
  }
  size_t count(uint64_t key) { return find(key) ? 1 : 0; }
  // Starts fetching the slot where `key` lives or would go: a big table misses the cache on
  // every random key, and the caller has other work to do meanwhile.
  void prefetch(uint64_t key) const { __builtin_prefetch(&slots_[index(key)], 1); }

  // Inserts or overwrites.
  V& insert_or_assign(uint64_t key, V value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    for (size_t i = index(key);; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.key == key) {
        s.value = std::move(value);
        return s.value;
      }
      if (s.key == 0) {
        s.key = key;
        s.value = std::move(value);
        ++size_;
        return s.value;
      }
    }
  }
  void emplace(uint64_t key, V value) { insert_or_assign(key, std::move(value)); }

  // Removes `key`, moving its value to `out` when given; false when absent.
  bool erase(uint64_t key, V* out = nullptr) {
    size_t i = index(key);
    for (;; i = (i + 1) & mask()) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == 0) return false;
    }
    if (out) *out = std::move(slots_[i].value);
    // Backward shift: pull later entries of the same probe run into the hole.
    size_t hole = i;
    for (size_t j = (i + 1) & mask(); slots_[j].key != 0; j = (j + 1) & mask()) {
      size_t home = index(slots_[j].key);
      bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole].key = 0;
    slots_[hole].value = V();
    --size_;
    return true;
  }

  template <class F>
  void forEach(F&& f) {
    for (auto& s : slots_) {
      if (s.key) f(s.key, s.value);
    }
  }
  void clear() {
    for (auto& s : slots_) {
      if (s.key) {
        s.key = 0;
        s.value = V();
      }
    }
    size_ = 0;
  }

 private:
  struct Slot {
    uint64_t key = 0;
    V value{};
  };
  size_t mask() const { return slots_.size() - 1; }
  size_t index(uint64_t key) const {
    return static_cast<size_t>((key * 0x9e3779b97f4a7c15ULL) >> 20) & mask();
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    size_ = 0;
    for (auto& s : old) {
      if (s.key) insert_or_assign(s.key, std::move(s.value));
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace squall::internal
