#include "kafka/offset_manager.h"

#include <algorithm>

namespace squall::kafka {

OffsetManager::OffsetManager(int64_t initialFetchOffset)
    : committed_(std::max<int64_t>(0, initialFetchOffset)) {}

OffsetManager::Chunk* OffsetManager::chunkFor(int64_t offset, bool create) {
  int64_t index = offset >> kChunkBits;
  if (index == cachedIndex_) return cached_;
  auto it = chunks_.find(index);
  if (it == chunks_.end()) {
    if (!create) return nullptr;
    it = chunks_.emplace(index, std::make_unique<Chunk>()).first;
  }
  cachedIndex_ = index;
  cached_ = it->second.get();
  return cached_;
}

const OffsetManager::Chunk* OffsetManager::chunkFor(int64_t offset) const {
  int64_t index = offset >> kChunkBits;
  if (index == cachedIndex_) return cached_;
  auto it = chunks_.find(index);
  return it == chunks_.end() ? nullptr : it->second.get();
}

void OffsetManager::set(Chunk& c, int64_t offset, OffsetState to) {
  OffsetState& slot = c.s[static_cast<size_t>(offset & (kChunkSize - 1))];
  OffsetState from = slot;
  if (from == to) return;
  if (from == OffsetState::kNotEmitted) {
    ++c.used;
    ++numEmitted_;
  }
  if (to == OffsetState::kNotEmitted) {
    --c.used;
    --numEmitted_;
  }
  if (from == OffsetState::kAcked) --numAcked_;
  if (to == OffsetState::kAcked) ++numAcked_;
  slot = to;
}

OffsetState OffsetManager::state(int64_t offset) const {
  if (offset < committed_) return OffsetState::kNotEmitted;
  const Chunk* c = chunkFor(offset);
  return c ? c->s[static_cast<size_t>(offset & (kChunkSize - 1))] : OffsetState::kNotEmitted;
}

bool OffsetManager::addToEmitted(int64_t offset) {
  if (offset < committed_) return false;
  Chunk* c = chunkFor(offset, true);
  if (c->s[static_cast<size_t>(offset & (kChunkSize - 1))] == OffsetState::kAcked) return false;
  set(*c, offset, OffsetState::kInFlight);
  latestEmitted_ = std::max(latestEmitted_, offset);
  return true;
}

bool OffsetManager::markFailed(int64_t offset) {
  if (offset < committed_) return false;
  Chunk* c = chunkFor(offset, false);
  if (!c || c->s[static_cast<size_t>(offset & (kChunkSize - 1))] != OffsetState::kInFlight) {
    return false;
  }
  set(*c, offset, OffsetState::kFailed);
  return true;
}

bool OffsetManager::addToAcked(int64_t offset) {
  if (offset < committed_) return false;
  Chunk* c = chunkFor(offset, true);
  if (c->s[static_cast<size_t>(offset & (kChunkSize - 1))] == OffsetState::kAcked) return false;
  set(*c, offset, OffsetState::kAcked);
  maxAcked_ = std::max(maxAcked_, offset);
  latestEmitted_ = std::max(latestEmitted_, offset);
  return true;
}

std::optional<int64_t> OffsetManager::findNextCommitOffset() const {
  if (numAcked_ == 0) return std::nullopt;
  // Everything emitted is acked: the commit point passes the highest ack at once.
  if (numPending() == 0) return maxAcked_ + 1;
  int64_t lastAcked = -1;
  for (auto it = chunks_.lower_bound(committed_ >> kChunkBits); it != chunks_.end(); ++it) {
    int64_t base = it->first << kChunkBits;
    int64_t from = std::max(committed_, base) - base;
    const Chunk& c = *it->second;
    for (int64_t i = from; i < kChunkSize; ++i) {
      OffsetState s = c.s[static_cast<size_t>(i)];
      if (s == OffsetState::kAcked) {
        lastAcked = base + i;
      } else if (s != OffsetState::kNotEmitted) {
        // An emitted offset that is not acked yet: a real hole.
        return lastAcked < 0 ? std::nullopt : std::optional<int64_t>(lastAcked + 1);
      }
    }
  }
  return lastAcked < 0 ? std::nullopt : std::optional<int64_t>(lastAcked + 1);
}

int64_t OffsetManager::commit(int64_t nextOffset) {
  if (nextOffset <= committed_) {
    if (nextOffset == committed_) hasCommitted_ = true;
    return 0;
  }
  int64_t ackedBefore = numAcked_;
  int64_t boundary = nextOffset >> kChunkBits;
  for (auto it = chunks_.begin(); it != chunks_.end() && it->first <= boundary;) {
    Chunk& c = *it->second;
    int64_t base = it->first << kChunkBits;
    int64_t end = std::min(kChunkSize, nextOffset - base);
    for (int64_t i = std::max<int64_t>(0, committed_ - base); i < end; ++i) {
      set(c, base + i, OffsetState::kNotEmitted);
    }
    if (c.used == 0) {
      it = chunks_.erase(it);
    } else {
      ++it;
    }
  }
  cachedIndex_ = -1;
  cached_ = nullptr;
  committed_ = nextOffset;
  hasCommitted_ = true;
  return ackedBefore - numAcked_;
}

std::optional<int64_t> OffsetManager::nthUncommittedOffsetAfterCommittedOffset(int64_t n) const {
  if (n < 1 || n > numEmitted_) return std::nullopt;
  int64_t seen = 0;
  for (auto it = chunks_.lower_bound(committed_ >> kChunkBits); it != chunks_.end(); ++it) {
    int64_t base = it->first << kChunkBits;
    const Chunk& c = *it->second;
    if (seen + c.used < n) {
      seen += c.used;
      continue;
    }
    for (int64_t i = std::max(committed_, base) - base; i < kChunkSize; ++i) {
      if (c.s[static_cast<size_t>(i)] != OffsetState::kNotEmitted && ++seen == n) return base + i;
    }
  }
  return std::nullopt;
}

}  // namespace squall::kafka
