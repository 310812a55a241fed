#include "acker/acker_core.h"

namespace squall::internal {

std::optional<AckRecord> AckerCore::onRecord(const AckRecord& r, int64_t nowNs) {
  Tree* tree = pending_.find(r.root);
  if (!tree) tree = &pending_.insertNew(r.root, Tree{0, nowNs, -1, false});
  bool reset = false;
  switch (r.kind) {
    case AckKind::Init:
      tree->val ^= r.value;
      tree->spoutTask = r.task;
      break;
    case AckKind::Ack: tree->val ^= r.value; break;
    case AckKind::Fail: tree->failed = true; break;
    case AckKind::ResetTimeout:
      pending_.touch(r.root);
      tree = pending_.find(r.root);
      reset = true;
      break;
    default: return std::nullopt;  // replies are for spouts, not ackers
  }
  if (tree->spoutTask < 0) return std::nullopt;
  AckRecord reply;
  reply.root = r.root;
  reply.value = static_cast<uint64_t>((nowNs - tree->startNs) / 1'000'000);
  reply.destTask = tree->spoutTask;
  if (tree->val == 0) {
    reply.kind = AckKind::TreeAcked;
  } else if (tree->failed) {
    reply.kind = AckKind::TreeFailed;
  } else if (reset) {
    reply.kind = AckKind::TreeReset;
    return reply;
  } else {
    return std::nullopt;
  }
  pending_.remove(r.root);
  return reply;
}

}  // namespace squall::internal
