#pragma once
// User metrics with Storm's shapes, registered through TopologyContext.
//
// Storm 2's metrics v2 (Dropwizard): a Counter you inc(), a Gauge read by a callback, a
// Histogram with percentiles, a Meter with a count and 1/5/15-minute rates. They belong to the
// topology's MetricsRegistry, keyed by (component, task, name), and outlive the task instance
// that registered them: a restarted task registering the same name gets the same object back.
// Updates take no locked instruction on the thread that registered the metric (the task's
// executor thread, in prepare/open): it alone writes the metric's own cells, with a plain load
// and store, as the engine's task stats do. Another thread (a bolt's helper thread) adds to
// separate cells with an atomic add, so counts stay exact from any thread. Reporters
// (Prometheus, statsd, the UI) read both from their own threads.
//
// Storm 1's metrics v1: an IMetric registered with a bucket size is read and reset with
// getValueAndReset() on the task's own executor thread every bucket, so it needs no atomics;
// each non-null value goes to the registry as the metric's latest value and, as a DataPoint, to
// the topology's metrics consumers (metrics_consumer.h).

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "squall/value.h"

namespace squall::metrics {

namespace detail {

// A number for the calling thread, unique for the life of the process (0 is never one), so a
// metric can tell its owner thread from the others with one thread-local load and a compare.
inline thread_local uint64_t threadToken = 0;
inline uint64_t thisThreadToken() {
  uint64_t t = threadToken;
  if (t == 0) [[unlikely]] {
    static std::atomic<uint64_t> next{1};
    t = threadToken = next.fetch_add(1, std::memory_order_relaxed);
  }
  return t;
}

// An exact count that the owner thread updates without a locked instruction: the owner's cell
// has one writer, so a relaxed load and store suffice; other threads add to their own cell
// with an atomic add (they may race with each other). A reader sums the two.
class OwnedCount {
 public:
  void add(int64_t n) {
    if (threadToken == owner_) {
      own_.store(own_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    } else {
      others_.fetch_add(n, std::memory_order_relaxed);
    }
  }
  int64_t get() const {
    return own_.load(std::memory_order_relaxed) + others_.load(std::memory_order_relaxed);
  }

 private:
  alignas(64) std::atomic<int64_t> own_{0};
  std::atomic<int64_t> others_{0};
  const uint64_t owner_ = thisThreadToken();  // the thread that registered the metric
};

}  // namespace detail

// Dropwizard's Counter.
class Counter {
 public:
  void inc(int64_t n = 1) { count_.add(n); }
  void dec(int64_t n = 1) { count_.add(-n); }
  int64_t getCount() const { return count_.get(); }

 private:
  detail::OwnedCount count_;
};

// Dropwizard's Gauge: read by the reporters on their threads (so it must be safe to call from
// any thread, and must not register metrics). A number, a bool or a map of numbers.
using Gauge = std::function<Value()>;

// Dropwizard's Meter: marks counted here; the rates are computed by the registry when a
// reporter reads it (exponentially weighted, ticked every 5 s as Dropwizard does).
class Meter {
 public:
  void mark(int64_t n = 1) { count_.add(n); }
  int64_t getCount() const { return count_.get(); }

 private:
  detail::OwnedCount count_;
};

// Dropwizard's Histogram over the values since the task started: each update adds one to a
// log-linear bucket (16 per power of two, so a percentile is within 1/16 of the true value;
// values below 16 are exact). Negative values count as 0. The owner thread updates its cells
// with plain loads and stores; the first update from another thread allocates a second set of
// cells that such threads update atomically, and readers merge the two.
class Histogram {
 public:
  static constexpr int kSubBuckets = 16;
  static constexpr int kBuckets = kSubBuckets + (63 - 4) * kSubBuckets;

  Histogram() = default;
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;
  ~Histogram() { delete others_.load(std::memory_order_acquire); }

  void update(int64_t v) {
    uint64_t u = v > 0 ? static_cast<uint64_t>(v) : 0;
    if (detail::threadToken == owner_) {
      own_.addFromOwner(u);
    } else {
      othersCells().addFromAnyThread(u);
    }
  }
  int64_t getCount() const { return static_cast<int64_t>(merged(&Cells::count)); }

  static int bucketOf(uint64_t u) {
    if (u < kSubBuckets) return static_cast<int>(u);
    int e = 63 - __builtin_clzll(u);  // >= 4
    return kSubBuckets + (e - 4) * kSubBuckets + static_cast<int>((u >> (e - 4)) & 15);
  }
  // The value a bucket stands for: the middle of its range.
  static double bucketValue(int i) {
    if (i < kSubBuckets) return i;
    int e = (i - kSubBuckets) / kSubBuckets + 4;
    uint64_t lower = static_cast<uint64_t>(kSubBuckets + (i - kSubBuckets) % kSubBuckets)
                     << (e - 4);
    uint64_t width = uint64_t{1} << (e - 4);
    return static_cast<double>(lower) + static_cast<double>(width - 1) / 2.0;
  }
  uint64_t bucketCount(int i) const {
    const Cells* o = others_.load(std::memory_order_acquire);
    return own_.buckets[i].load(std::memory_order_relaxed) +
           (o ? o->buckets[i].load(std::memory_order_relaxed) : 0);
  }
  uint64_t sum() const { return merged(&Cells::sum); }
  uint64_t min() const {
    const Cells* o = others_.load(std::memory_order_acquire);
    uint64_t m = own_.min.load(std::memory_order_relaxed);
    return o ? std::min(m, o->min.load(std::memory_order_relaxed)) : m;
  }
  uint64_t max() const {
    const Cells* o = others_.load(std::memory_order_acquire);
    uint64_t m = own_.max.load(std::memory_order_relaxed);
    return o ? std::max(m, o->max.load(std::memory_order_relaxed)) : m;
  }

 private:
  struct Cells {
    alignas(64) std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum{0};
    std::atomic<uint64_t> min{UINT64_MAX};
    std::atomic<uint64_t> max{0};
    std::array<std::atomic<uint64_t>, kBuckets> buckets{};

    // One writer: no read-modify-write needs to be atomic.
    void addFromOwner(uint64_t u) {
      constexpr auto r = std::memory_order_relaxed;
      auto& b = buckets[bucketOf(u)];
      b.store(b.load(r) + 1, r);
      count.store(count.load(r) + 1, r);
      sum.store(sum.load(r) + u, r);
      if (u > max.load(r)) max.store(u, r);
      if (u < min.load(r)) min.store(u, r);
    }
    void addFromAnyThread(uint64_t u) {
      constexpr auto r = std::memory_order_relaxed;
      buckets[bucketOf(u)].fetch_add(1, r);
      count.fetch_add(1, r);
      sum.fetch_add(u, r);
      uint64_t m = max.load(r);
      while (u > m && !max.compare_exchange_weak(m, u, r)) {
      }
      m = min.load(r);
      while (u < m && !min.compare_exchange_weak(m, u, r)) {
      }
    }
  };

  Cells& othersCells() {
    Cells* c = others_.load(std::memory_order_acquire);
    if (!c) [[unlikely]] {
      auto* fresh = new Cells;
      if (others_.compare_exchange_strong(c, fresh, std::memory_order_acq_rel)) {
        c = fresh;
      } else {
        delete fresh;  // another thread installed its cells first; `c` now holds them
      }
    }
    return *c;
  }
  uint64_t merged(std::atomic<uint64_t> Cells::*field) const {
    const Cells* o = others_.load(std::memory_order_acquire);
    return (own_.*field).load(std::memory_order_relaxed) +
           (o ? (o->*field).load(std::memory_order_relaxed) : 0);
  }

  Cells own_;
  std::atomic<Cells*> others_{nullptr};
  const uint64_t owner_ = detail::thisThreadToken();  // the thread that registered it
};

// ---- Storm 1's metrics v1 (org.apache.storm.metric.api) ----

class IMetric {
 public:
  virtual ~IMetric() = default;
  // The value of the bucket that ended, and a fresh bucket; null reports nothing.
  virtual Value getValueAndReset() = 0;
};

class CountMetric : public IMetric {
 public:
  void incr() { ++value_; }
  void incrBy(int64_t n) { value_ += n; }
  Value getValueAndReset() override { return Value(std::exchange(value_, 0)); }

 private:
  int64_t value_ = 0;
};

class MultiCountMetric : public IMetric {
 public:
  CountMetric& scope(const std::string& key) { return counts_[key]; }
  Value getValueAndReset() override {
    Map out;
    for (auto& [k, c] : counts_) out.emplace(k, c.getValueAndReset());
    return Value(std::move(out));
  }

 private:
  std::map<std::string, CountMetric> counts_;
};

// Holds what was last assigned, reported every bucket and not reset (Storm's AssignableMetric).
class AssignableMetric : public IMetric {
 public:
  explicit AssignableMetric(Value v = {}) : value_(std::move(v)) {}
  void setValue(Value v) { value_ = std::move(v); }
  Value getValueAndReset() override { return value_; }

 private:
  Value value_;
};

class IReducer {
 public:
  virtual ~IReducer() = default;
  virtual void init() = 0;
  virtual void reduce(const Value& v) = 0;
  virtual Value extractResult() = 0;
};

// The mean of the values of a bucket; null for an empty bucket.
class MeanReducer : public IReducer {
 public:
  void init() override { sum_ = 0, n_ = 0; }
  void reduce(const Value& v) override {
    sum_ += v.asDouble();
    ++n_;
  }
  Value extractResult() override { return n_ ? Value(sum_ / static_cast<double>(n_)) : Value(); }

 private:
  double sum_ = 0;
  int64_t n_ = 0;
};

class ReducedMetric : public IMetric {
 public:
  explicit ReducedMetric(std::unique_ptr<IReducer> reducer) : reducer_(std::move(reducer)) {
    reducer_->init();
  }
  void update(const Value& v) { reducer_->reduce(v); }
  Value getValueAndReset() override {
    Value out = reducer_->extractResult();
    reducer_->init();
    return out;
  }

 private:
  std::unique_ptr<IReducer> reducer_;
};

}  // namespace squall::metrics
