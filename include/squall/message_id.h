#pragma once
// MessageId: which tuple trees a tuple belongs to. Maps each root id (one per reliable spout
// emit) to this tuple's edge id in that tree (Storm's MessageId). Empty = unanchored.
// Most tuples belong to one tree, so the first entry lives inline: a tuple body then carries
// its anchor in its own cache lines instead of a separate heap block that would cross cores
// with it. More entries (multi-anchoring, joins) spill to the heap, all of them, so that
// anchors() stays contiguous.

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace squall {

class MessageId {
 public:
  using Entry = std::pair<uint64_t, uint64_t>;  // root id, edge value

  bool empty() const { return size_ == 0; }
  std::span<const Entry> anchors() const { return {size_ <= 1 ? &first_ : spilled_.data(), size_}; }
  // XORs `edge` into the entry of `root`, adding it when absent.
  void xorInto(uint64_t root, uint64_t edge) {
    Entry* entries = size_ <= 1 ? &first_ : spilled_.data();
    for (uint32_t i = 0; i < size_; ++i) {
      if (entries[i].first == root) {
        entries[i].second ^= edge;
        return;
      }
    }
    if (size_ == 0) {
      first_ = {root, edge};
    } else {
      if (size_ == 1) spilled_.assign(1, first_);
      spilled_.emplace_back(root, edge);
    }
    ++size_;
  }
  // Keeps the spill buffer for reuse; writes nothing when already empty.
  void clear() {
    if (size_ == 0) return;
    if (size_ > 1) spilled_.clear();
    size_ = 0;
  }
  bool operator==(const MessageId& o) const {
    auto a = anchors(), b = o.anchors();
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  Entry first_{0, 0};
  uint32_t size_ = 0;
  std::vector<Entry> spilled_;  // every entry, once there are more than one
};

}  // namespace squall
