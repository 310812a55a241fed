#pragma once
// AckerCore: Storm's acker algorithm for one acker task. Tracks each tuple tree by root id as
// the XOR of every edge id it has been told about; the value returns to 0 exactly when every
// tuple of the tree has been acked (each edge is XORed once when created and once when acked).
// Then, or on the first fail, it answers the spout task. An ack may arrive before its init.
// Entries live in a 3-bucket rotating map turned by the tick every
// topology.message.timeout.secs; dropped entries are timed out by the spout independently.
// Single-threaded: owned by the acker's executor.

#include <cstdint>
#include <optional>

#include "acker/ack_record.h"
#include "acker/rotating_map.h"

namespace squall::internal {

class AckerCore {
 public:
  // Applies one record; returns the reply for the spout task, if any.
  std::optional<AckRecord> onRecord(const AckRecord& r, int64_t nowNs);
  void rotate() { pending_.rotate(); }
  // Starts fetching where `root`'s tree lives, ahead of its onRecord.
  void prefetch(uint64_t root) const { pending_.prefetch(root); }
  size_t pendingTrees() const { return pending_.size(); }

 private:
  struct Tree {
    uint64_t val = 0;
    int64_t startNs = 0;
    int32_t spoutTask = -1;
    bool failed = false;
  };
  RotatingMap<Tree> pending_{3};
};

}  // namespace squall::internal
