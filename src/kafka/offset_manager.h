#pragma once
// OffsetManager: the commit bookkeeping of one partition of one KafkaSpout task (Storm's
// OffsetManager), pure and without Kafka. It knows which offsets at or above the committed
// offset were emitted, which of those are in flight, failed (waiting for a retry) or acked,
// and finds the next offset that may be committed.
//
// Commit rule (Storm's findNextCommitOffset, including its void rule): the commit point moves
// to one past the largest acked offset `a` such that every offset emitted in
// [committed, a] is acked. Offsets in that range that were never emitted are voids — the log
// has no record there (compaction, retention, transaction markers, aborted records) — and
// are passed over.
//
// Storage: per-offset states in 4096-offset chunks keyed by chunk number, so memory follows
// the emitted window, voids of any length cost nothing, and emit/ack are O(log chunks).
// Owned by the spout thread.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace squall::kafka {

enum class OffsetState : uint8_t { kNotEmitted = 0, kInFlight, kFailed, kAcked };

class OffsetManager {
 public:
  // `initialFetchOffset`: where the consumer starts; it is the commit point until the first
  // commit (nothing below it will ever be emitted).
  explicit OffsetManager(int64_t initialFetchOffset);

  // Records an emit (or re-emit after a fail). False, and nothing changes, below the commit
  // point or when already acked.
  bool addToEmitted(int64_t offset);
  // InFlight -> Failed. False when the offset is not in flight.
  bool markFailed(int64_t offset);
  // -> Acked (an offset never emitted counts as emitted and acked, Storm's null-tuple path).
  // False, and nothing changes, below the commit point or when already acked.
  bool addToAcked(int64_t offset);

  OffsetState state(int64_t offset) const;
  bool isAcked(int64_t offset) const { return state(offset) == OffsetState::kAcked; }
  bool isInFlight(int64_t offset) const { return state(offset) == OffsetState::kInFlight; }

  // The offset to commit ("last processed + 1"), or nullopt when the commit point cannot move.
  std::optional<int64_t> findNextCommitOffset() const;
  // Moves the commit point to `nextOffset` (ignored when not above it) and forgets everything
  // below it. Returns how many acked offsets were forgotten.
  int64_t commit(int64_t nextOffset);

  int64_t committedOffset() const { return committed_; }
  bool hasCommitted() const { return hasCommitted_; }
  // -1 when nothing was emitted yet.
  int64_t latestEmittedOffset() const { return latestEmitted_; }
  // Emitted and not committed: in flight, failed and acked (Storm's maxUncommittedOffsets count).
  int64_t numUncommittedOffsets() const { return numEmitted_; }
  int64_t numAcked() const { return numAcked_; }
  int64_t numPending() const { return numEmitted_ - numAcked_; }
  // The n-th smallest (n from 1) emitted, uncommitted offset; nullopt when there are fewer.
  std::optional<int64_t> nthUncommittedOffsetAfterCommittedOffset(int64_t n) const;

 private:
  static constexpr int kChunkBits = 12;
  static constexpr int64_t kChunkSize = int64_t{1} << kChunkBits;
  struct Chunk {
    std::array<OffsetState, kChunkSize> s{};
    int32_t used = 0;  // states other than kNotEmitted
  };
  Chunk* chunkFor(int64_t offset, bool create);
  const Chunk* chunkFor(int64_t offset) const;
  void set(Chunk& c, int64_t offset, OffsetState to);

  std::map<int64_t, std::unique_ptr<Chunk>> chunks_;  // by offset >> kChunkBits
  int64_t cachedIndex_ = -1;
  Chunk* cached_ = nullptr;
  int64_t committed_;
  bool hasCommitted_ = false;
  int64_t latestEmitted_ = -1;
  int64_t maxAcked_ = -1;
  int64_t numEmitted_ = 0;
  int64_t numAcked_ = 0;
};

}  // namespace squall::kafka
