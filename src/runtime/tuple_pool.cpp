#include "runtime/tuple_pool.h"

namespace squall::internal {

namespace {

// Returns gathered by one executor thread, per destination pool.
struct ThreadCache {
  static constexpr int kPools = 8;
  static constexpr int kChain = 64;
  struct Entry {
    TuplePool* pool = nullptr;
    detail::TupleData* first = nullptr;
    detail::TupleData* last = nullptr;
    int count = 0;
  };
  Entry entries[kPools];
  bool enabled = false;

  void flush(Entry& e) {
    if (e.count) e.pool->pushChain(e.first, e.last);
    e = Entry{};
  }
  void flushAll() {
    for (auto& e : entries) flush(e);
  }
  ~ThreadCache() { flushAll(); }
};

thread_local ThreadCache cache;

}  // namespace

TuplePool::~TuplePool() {
  auto drop = [](detail::TupleData* d) {
    while (d) {
      detail::TupleData* next = d->nextFree;
      delete d;
      d = next;
    }
  };
  drop(local_);
  drop(returned_.exchange(nullptr));
}

void TuplePool::pushChain(detail::TupleData* first, detail::TupleData* last) {
  detail::TupleData* head = returned_.load(std::memory_order_relaxed);
  do {
    last->nextFree = head;
  } while (!returned_.compare_exchange_weak(head, first, std::memory_order_release,
                                            std::memory_order_relaxed));
}

void TuplePool::recycle(detail::TupleData* d) {
  d->nextFree = nullptr;
  if (!cache.enabled) {
    pushChain(d, d);
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
    cache.flush(*slot);
  }
  if (!slot->pool) {
    slot->pool = this;
    slot->last = d;
  }
  d->nextFree = slot->first;
  slot->first = d;
  if (++slot->count == ThreadCache::kChain) cache.flush(*slot);
}

void TuplePool::enableThreadCache() {
  cache.enabled = true;
}
void TuplePool::flushThreadCache() {
  cache.flushAll();
}

}  // namespace squall::internal
