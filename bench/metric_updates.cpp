// The cost of one update of a user metric (include/squall/metrics.h), in ns of thread CPU time, on
// the thread that registered it (a task's executor thread: plain loads and stores) and on another
// thread (an atomic add on cells of their own), against a bare relaxed atomic add (a locked
// instruction: what every update cost before the owner path). Each round also writes a
// 64-entry ring, as a bolt's queue and output batches do, since the price of a locked
// instruction includes draining those pending stores.
//
//   bench_metric_updates [--updates N]

#include <squall/metrics.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <time.h>

namespace {

uint64_t ring[64];

// The thread's CPU time, so time spent preempted on a loaded machine is not counted.
double threadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <class F>
double nsPerRound(uint64_t n, F&& update) {
  double t0 = threadCpuNs();
  for (uint64_t i = 0; i < n; ++i) {
    ring[i & 63] = i;  // the surrounding stores
    update(i);
    asm volatile("" : : : "memory");  // every store happens, in every round
  }
  return (threadCpuNs() - t0) / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 50'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--updates")) n = std::strtoull(argv[i + 1], nullptr, 10);
  }
  using namespace squall::metrics;
  Counter counter;  // constructed here: this thread owns them
  Meter meter;
  Histogram histogram;
  alignas(64) std::atomic<int64_t> bare{0};

  double none = nsPerRound(n, [](uint64_t) {});
  double atomicAdd = nsPerRound(n, [&](uint64_t) { bare.fetch_add(1, std::memory_order_relaxed); });
  double ownCounter = nsPerRound(n, [&](uint64_t) { counter.inc(); });
  double ownMeter = nsPerRound(n, [&](uint64_t) { meter.mark(); });
  double ownHistogram = nsPerRound(n, [&](uint64_t i) { histogram.update(int64_t(i & 1023)); });
  double otherCounter = 0, otherHistogram = 0;
  std::thread([&] {
    otherCounter = nsPerRound(n, [&](uint64_t) { counter.inc(); });
    otherHistogram = nsPerRound(n, [&](uint64_t i) { histogram.update(int64_t(i & 1023)); });
  }).join();
  std::printf(
      "ns per update, less a round without one (%.2f ns): relaxed atomic add %.2f, "
      "owner Counter.inc %.2f, owner Meter.mark %.2f, owner Histogram.update %.2f, "
      "other thread Counter.inc %.2f, other thread Histogram.update %.2f (counts %lld %lld)\n",
      none, atomicAdd - none, ownCounter - none, ownMeter - none, ownHistogram - none,
      otherCounter - none, otherHistogram - none, static_cast<long long>(counter.getCount()),
      static_cast<long long>(histogram.getCount()));
  return 0;
}
