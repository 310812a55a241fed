#pragma once
// RollingWindow<T>: what a cumulative total gained over the last `windowSecs` (Storm's 10 min,
// 3 h and 1 day windows), from copies of the total kept at bucket boundaries (Storm's
// num.stat.buckets, 20). Nothing is added on the hot path: a sampler calls observe() with the
// current total (about once a second); the window's figure is the current total minus the
// oldest copy not older than the window, so it covers between windowSecs − bucket and
// windowSecs, like Storm's. Memory: at most buckets + 1 copies. One thread at a time.
// T needs a default constructor (zero) and operator-=.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>

namespace squall::internal {

template <class T>
class RollingWindow {
 public:
  explicit RollingWindow(int64_t windowSecs, int buckets = 20)
      : windowSecs_(windowSecs), bucketSecs_(std::max<int64_t>(1, windowSecs / buckets)) {}

  int64_t windowSecs() const { return windowSecs_; }

  // Keeps a copy of `total` when a new bucket has started since the last kept copy.
  void observe(int64_t nowSecs, const T& total) {
    if (copies_.empty() || nowSecs - copies_.back().first >= bucketSecs_) {
      copies_.emplace_back(nowSecs, total);
    }
    while (copies_.size() > 1 && copies_.front().first < nowSecs - windowSecs_) copies_.pop_front();
  }

  // `total` minus the oldest copy inside the window: what the window gained. Before the first
  // copy the whole total counts (the topology is younger than the window).
  T since(int64_t nowSecs, T total) const {
    for (const auto& [at, copy] : copies_) {
      if (at >= nowSecs - windowSecs_) {
        total -= copy;
        return total;
      }
    }
    if (!copies_.empty()) total -= copies_.back().second;
    return total;
  }

  size_t copies() const { return copies_.size(); }

 private:
  int64_t windowSecs_;
  int64_t bucketSecs_;
  std::deque<std::pair<int64_t, T>> copies_;
};

}  // namespace squall::internal
