#include "runtime/tick_timer.h"

#include <algorithm>

namespace squall::internal {

const StreamMeta& TickTimer::tickMeta() {
  static const StreamMeta meta{kSystemComponent, kTickStream, Fields{"rate_secs"}};
  return meta;
}

void TickTimer::add(Executor* executor, int periodSecs, const StreamMeta* meta) {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e.executor == executor && e.periodSecs == periodSecs && e.meta == meta) return;
  }
  entries_.push_back(Entry{executor, periodSecs, meta, nowNs() + periodSecs * 1'000'000'000LL});
  if (started_ && !stop_ && !thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
  }
  cv_.notify_all();
}

void TickTimer::start() {
  std::lock_guard lock(mu_);
  started_ = true;
  if (entries_.empty() || stop_) return;  // no thread until something needs ticks
  thread_ = std::thread([this] { run(); });
}

void TickTimer::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TickTimer::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    int64_t now = nowNs();
    int64_t wakeAt = now + 1'000'000'000LL;
    for (auto& e : entries_) {
      while (e.nextNs <= now) {
        ++e.owed;
        e.nextNs += e.periodSecs * 1'000'000'000LL;
      }
      while (e.owed > 0) {
        auto* d = new detail::TupleData();
        d->sourceTask = kSystemTaskId;
        d->destTask = kSystemTaskId;
        d->meta = e.meta;
        d->values.emplace_back(e.periodSecs);
        if (!e.executor->queue().tryPush(d)) {
          detail::release(d);
          break;
        }
        --e.owed;
      }
      wakeAt = std::min(wakeAt, e.owed > 0 ? now + 1'000'000 : e.nextNs);
    }
    cv_.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(wakeAt - nowNs(), 0)));
  }
}

}  // namespace squall::internal
