#pragma once
// MessageId: which tuple trees a tuple belongs to. Maps each root id (one per reliable spout
// emit) to this tuple's edge id in that tree (Storm's MessageId). Empty = unanchored.

#include <cstdint>
#include <utility>
#include <vector>

namespace squall {

class MessageId {
 public:
  using Entry = std::pair<uint64_t, uint64_t>;  // root id, edge value

  bool empty() const { return anchors_.empty(); }
  const std::vector<Entry>& anchors() const { return anchors_; }
  // XORs `edge` into the entry of `root`, adding it when absent.
  void xorInto(uint64_t root, uint64_t edge) {
    for (auto& [r, v] : anchors_) {
      if (r == root) {
        v ^= edge;
        return;
      }
    }
    anchors_.emplace_back(root, edge);
  }
  void clear() { anchors_.clear(); }
  bool operator==(const MessageId&) const = default;

 private:
  std::vector<Entry> anchors_;
};

}  // namespace squall
