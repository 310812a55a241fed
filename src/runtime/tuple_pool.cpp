#include "runtime/tuple_pool.h"

namespace squall::internal {

namespace {

// The bodies one executor thread has gathered for each pool it returns bodies to.
struct ThreadCache {
  static constexpr int kPools = 8;
  struct Entry {
    TuplePool* pool = nullptr;
    uint32_t count = 0;
    detail::TupleData* items[TuplePool::kBatch];
  };
  Entry entries[kPools];
  bool enabled = false;

  static void flush(Entry& e) {
    if (e.count) e.pool->recycleBatch(e.items, e.count);
    e.pool = nullptr;
    e.count = 0;
  }
  void flushAll() {
    for (auto& e : entries) flush(e);
  }
  ~ThreadCache() { flushAll(); }
};

thread_local ThreadCache cache;

}  // namespace

TuplePool::~TuplePool() {
  for (uint32_t i = pos_; i < end_; ++i) delete local_[i];
  returned_.drain([](detail::TupleData* d) { delete d; }, returned_.capacity());
}

bool TuplePool::refill() {
  pos_ = 0;
  end_ = static_cast<uint32_t>(
      returned_.drain([this, n = 0u](detail::TupleData* d) mutable { local_[n++] = d; }, kBatch));
  for (uint32_t i = 0; i < end_ && i < kClaimAhead; ++i) claimForWriting(local_[i]);
  return end_ > 0;
}

void TuplePool::recycleBatch(detail::TupleData* const* items, size_t n) {
  for (size_t i = returned_.tryPushBatch(items, n); i < n; ++i) delete items[i];
}

void TuplePool::recycle(detail::TupleData* d) {
  if (!cache.enabled) {
    recycleBatch(&d, 1);
    return;
  }
  ThreadCache::Entry* slot = nullptr;
  for (auto& e : cache.entries) {
    if (e.pool == this) {
      slot = &e;
      break;
    }
    if (!slot && !e.pool) slot = &e;
  }
  if (!slot) {
    slot = &cache.entries[0];
    ThreadCache::flush(*slot);
  }
  slot->pool = this;
  slot->items[slot->count++] = d;
  if (slot->count == kBatch) ThreadCache::flush(*slot);
}

void TuplePool::enableThreadCache() {
  cache.enabled = true;
}
void TuplePool::flushThreadCache() {
  cache.flushAll();
}

}  // namespace squall::internal
