#pragma once
// AckRecord: one message of Storm's acking protocol (__ack_init, __ack_ack, __ack_fail,
// __ack_reset_timeout, in both directions), carried as a fixed-size record on a dedicated lane
// of the receiving executor's inbox instead of as a tuple: no allocation, no value boxing, and
// records sit contiguously in the ring.

#include <cstdint>

namespace squall::internal {

enum class AckKind : uint8_t {
  // Spout and bolts to the acker.
  Init,  // value = XOR of the new tuples' edge ids, task = the spout task
  Ack,   // value = the acked tuple's edge XOR its children's edges
  Fail,
  ResetTimeout,
  // Acker to the spout task.
  TreeAcked,  // value = milliseconds since the acker first saw the root
  TreeFailed,
  TreeReset,
};

struct AckRecord {
  uint64_t root = 0;
  uint64_t value = 0;
  int32_t task = 0;      // Init: the spout task
  int32_t destTask = 0;  // the acker or spout task this record is for
  AckKind kind = AckKind::Ack;
};

}  // namespace squall::internal
