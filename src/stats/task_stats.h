#pragma once
// Statistics of one task, with Storm's definitions (emitted = emit calls, transferred =
// destination tasks, acked/failed per input stream for bolts and per output stream for
// spouts, execute/process/complete latencies). Counters are exact; latencies are sampled
// (topology.stats.sample.rate) and averaged over the samples.
// Threading: written by the task's executor thread (and a bolt's foreign emitting threads,
// hence atomics), read by any thread. The maps' shapes are fixed before the task starts.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace squall::internal {

// The executor thread is the single writer of `owned_`, so a plain load and store suffice: no
// locked instruction in the hot path. Other threads (a bolt acking from its own worker thread)
// add to `shared_` with an atomic add, since they may race with each other and the owner.
class Counter {
 public:
  void add(uint64_t n = 1) {
    owned_.store(owned_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void addFromOtherThread(uint64_t n = 1) { shared_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t get() const {
    return owned_.load(std::memory_order_relaxed) + shared_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> owned_{0};
  std::atomic<uint64_t> shared_{0};
};

struct LatencyStat {
  Counter samples;
  Counter totalNs;
  void record(int64_t ns) {
    samples.add();
    totalNs.add(static_cast<uint64_t>(ns > 0 ? ns : 0));
  }
  void recordFromOtherThread(int64_t ns) {
    samples.addFromOtherThread();
    totalNs.addFromOtherThread(static_cast<uint64_t>(ns > 0 ? ns : 0));
  }
  double averageMs() const {
    uint64_t n = samples.get();
    return n ? static_cast<double>(totalNs.get()) / 1e6 / static_cast<double>(n) : 0.0;
  }
};

struct OutputStreamStats {
  Counter emitted;
  Counter transferred;
};

struct BoltInputStats {
  Counter executed;
  Counter acked;
  Counter failed;
  LatencyStat executeLatency;
  LatencyStat processLatency;
};

struct SpoutStreamStats {
  Counter acked;
  Counter failed;
  LatencyStat completeLatency;
};

struct TaskStats {
  std::map<std::string, OutputStreamStats> outputs;
  std::map<std::pair<std::string, std::string>, BoltInputStats> inputs;  // (component, stream)
  std::map<std::string, SpoutStreamStats> spoutStreams;
  Counter executeBusyNs;  // estimated time inside execute(), for capacity
};

}  // namespace squall::internal
