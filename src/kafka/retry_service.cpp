// KafkaSpoutRetryExponentialBackoff: failed records by due time, at most one schedule each.

#include <algorithm>

#include "squall/errors.h"
#include "squall/kafka_spout.h"

namespace squall::kafka {

KafkaSpoutRetryExponentialBackoff::KafkaSpoutRetryExponentialBackoff(TimeInterval initialDelay,
                                                                     TimeInterval delayPeriod,
                                                                     int maxRetries,
                                                                     TimeInterval maxDelay)
    : initialDelay_(initialDelay),
      delayPeriod_(delayPeriod),
      maxDelay_(maxDelay),
      maxRetries_(maxRetries) {
  if (initialDelay.length.count() < 0 || delayPeriod.length.count() < 0 ||
      maxDelay.length.count() < 0 || maxRetries < 0) {
    throw IllegalArgumentException(
        "KafkaSpoutRetryExponentialBackoff: delays and maxRetries must not be negative");
  }
}

std::chrono::nanoseconds KafkaSpoutRetryExponentialBackoff::delayFor(int numFails) const {
  std::chrono::nanoseconds d;
  if (numFails <= 1) {
    d = initialDelay_.length;
  } else {
    // delayPeriod × 2^(numFails−1), saturating instead of overflowing.
    int shift = std::min(numFails - 1, 62);
    int64_t period = delayPeriod_.length.count();
    int64_t limit = maxDelay_.length.count();
    d = (period > 0 && period > (limit >> shift)) ? maxDelay_.length
                                                   : std::chrono::nanoseconds(period << shift);
  }
  return std::min(d, maxDelay_.length);
}

bool KafkaSpoutRetryExponentialBackoff::schedule(const KafkaSpoutMessageId& id,
                                                 RetryClock::time_point now) {
  remove(id.tp, id.offset);
  if (id.numFails > maxRetries_) return false;
  auto due = now + std::chrono::duration_cast<RetryClock::duration>(delayFor(id.numFails));
  Key key{id.tp, id.offset};
  due_.emplace(key, due);
  byDue_.emplace(due, std::move(key));
  return true;
}

bool KafkaSpoutRetryExponentialBackoff::remove(const TopicPartition& tp, int64_t offset) {
  auto it = due_.find(Key{tp, offset});
  if (it == due_.end()) return false;
  byDue_.erase({it->second, it->first});
  due_.erase(it);
  return true;
}

void KafkaSpoutRetryExponentialBackoff::retainAll(const std::set<TopicPartition>& partitions) {
  for (auto it = due_.begin(); it != due_.end();) {
    if (partitions.count(it->first.first)) {
      ++it;
    } else {
      byDue_.erase({it->second, it->first});
      it = due_.erase(it);
    }
  }
}

std::map<TopicPartition, int64_t> KafkaSpoutRetryExponentialBackoff::earliestRetriableOffsets(
    RetryClock::time_point now) const {
  std::map<TopicPartition, int64_t> out;
  for (const auto& [due, key] : byDue_) {
    if (due > now) break;
    auto [it, fresh] = out.emplace(key.first, key.second);
    if (!fresh) it->second = std::min(it->second, key.second);
  }
  return out;
}

std::vector<std::pair<TopicPartition, int64_t>> KafkaSpoutRetryExponentialBackoff::readyOffsets(
    RetryClock::time_point now, size_t max) const {
  std::vector<std::pair<TopicPartition, int64_t>> out;
  for (const auto& [due, key] : byDue_) {
    if (due > now || out.size() >= max) break;
    out.push_back(key);
  }
  return out;
}

bool KafkaSpoutRetryExponentialBackoff::isReady(const TopicPartition& tp, int64_t offset,
                                                RetryClock::time_point now) const {
  auto it = due_.find(Key{tp, offset});
  return it != due_.end() && it->second <= now;
}

bool KafkaSpoutRetryExponentialBackoff::isScheduled(const TopicPartition& tp,
                                                    int64_t offset) const {
  return due_.count(Key{tp, offset}) > 0;
}

size_t KafkaSpoutRetryExponentialBackoff::readyMessageCount(RetryClock::time_point now) const {
  size_t n = 0;
  for (const auto& entry : byDue_) {
    if (entry.first > now) break;
    ++n;
  }
  return n;
}

std::unique_ptr<KafkaSpoutRetryService> KafkaSpoutRetryExponentialBackoff::clone() const {
  return std::make_unique<KafkaSpoutRetryExponentialBackoff>(initialDelay_, delayPeriod_,
                                                             maxRetries_, maxDelay_);
}

}  // namespace squall::kafka
