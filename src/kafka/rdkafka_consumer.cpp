#include "kafka/rdkafka_consumer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>

#include "kafka/rdkafka_util.h"

namespace squall::kafka {

// Global errors (all brokers down, authentication, ...) reported by librdkafka's error
// callback, possibly on one of its threads; drained into poll()'s error list.
struct RdKafkaConsumer::ErrorSink {
  std::mutex mu;
  std::vector<std::string> errors;
};

namespace {

using Clock = std::chrono::steady_clock;

void onError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  // The fetching handle never commits; its own group-coordinator connection does not matter
  // (and in librdkafka 2.0.2 may dial a stale address for good, see the header).
  if (std::strstr(reason, "GroupCoordinator")) return;
  auto* sink = static_cast<RdKafkaConsumer::ErrorSink*>(opaque);
  std::lock_guard lock(sink->mu);
  if (sink->errors.size() < 100) {
    sink->errors.push_back(
        fmt::format("{}: {}", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason));
  }
}

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

rdk::PartitionList toList(const std::vector<TopicPartition>& tps) {
  auto l = rdk::newPartitionList(static_cast<int>(tps.size()));
  for (const auto& tp : tps)
    rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition);
  return l;
}

std::string listErrors(const rd_kafka_topic_partition_list_t* l) {
  std::string out;
  for (int i = 0; i < l->cnt; ++i) {
    const auto& p = l->elems[i];
    if (p.err) {
      out += fmt::format("{}{}-{}: {}", out.empty() ? "" : "; ", p.topic, p.partition,
                         rdk::errorText(p.err));
    }
  }
  return out;
}

bool coordinatorTrouble(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return true;
    default:
      return false;
  }
}

}  // namespace

// The handle commits and committed-offset reads go through; it never fetches.
struct RdKafkaConsumer::Committer {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;  // commit results
  std::string name;

  Committer(std::map<std::string, std::string> props, std::string n) : name(std::move(n)) {
    // In assign mode the session timeout only bounds how long a commit waits for a
    // coordinator inside librdkafka (and so how long destroying this handle can take).
    props["session.timeout.ms"] = std::to_string(kCommitStall.count());
    if (props.count("heartbeat.interval.ms")) props.erase("heartbeat.interval.ms");
    props["heartbeat.interval.ms"] = std::to_string(kCommitStall.count() / 5);
    rd_kafka_conf_t* conf = rdk::makeConf(props, name);
    char err[512];
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
      rd_kafka_conf_destroy(conf);
      throw KafkaException(fmt::format("{}: cannot create a Kafka consumer: {}", name, err), false);
    }
    queue = rd_kafka_queue_new(rk);
  }
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;
  // Starts destroying the handle; the destructor then has nothing left to do.
  std::future<void> retire() {
    rd_kafka_t* h = std::exchange(rk, nullptr);
    return rdk::destroyInBackground(h, {std::exchange(queue, nullptr)}, nullptr);
  }
  // Without waiting: a replaced committer may hold a commit that waits for a coordinator.
  ~Committer() {
    if (rk) retire();
  }
};

RdKafkaConsumer::RdKafkaConsumer(const std::map<std::string, std::string>& props, std::string name,
                                 int requestTimeoutMs)
    : props_(props), name_(std::move(name)), timeoutMs_(requestTimeoutMs) {
  rd_kafka_conf_t* conf = rdk::makeConf(props, name_);
  sink_ = std::make_shared<ErrorSink>();
  rd_kafka_conf_set_error_cb(conf, onError);
  rd_kafka_conf_set_opaque(conf, sink_.get());
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    throw KafkaException(fmt::format("{}: cannot create a Kafka consumer: {}", name_, err), false);
  }
  // Errors and other events of the main queue come out of the consumer queue.
  rd_kafka_poll_set_consumer(rk_);
  consumerQueue_ = rd_kafka_queue_get_consumer(rk_);
  if (!consumerQueue_) consumerQueue_ = rd_kafka_queue_get_main(rk_);
}

RdKafkaConsumer::~RdKafkaConsumer() {
  close();
}

std::shared_ptr<RdKafkaConsumer::Committer> RdKafkaConsumer::committer() {
  std::lock_guard lock(committerMu_);
  if (!committer_) committer_ = std::make_shared<Committer>(props_, name_ + " (commits)");
  return committer_;
}

void RdKafkaConsumer::replaceCommitter(const std::string& why) {
  std::shared_ptr<Committer> old;
  {
    std::lock_guard lock(committerMu_);
    auto now = Clock::now();
    // A fresh committer needs a moment to find the coordinator: not more than once a second.
    if (!committer_ || now - lastReplaced_ < std::chrono::seconds(1)) return;
    lastReplaced_ = now;
    old = std::move(committer_);
  }
  spdlog::warn("{}: {}; reconnecting to the group coordinator with a fresh handle", name_, why);
  // `old` is destroyed here or by the last thread using it, without waiting.
}

template <class Call>
rd_kafka_resp_err_t RdKafkaConsumer::sliced(const char* what, Call call) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs_);
  while (true) {
    if (interrupted_.load()) {
      throw KafkaException(fmt::format("{}: {}: interrupted, the spout is stopping", name_, what),
                           true);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    int slice = static_cast<int>(std::clamp(left, std::chrono::milliseconds(1), kSlice).count());
    rd_kafka_resp_err_t err = call(slice);
    if (err != RD_KAFKA_RESP_ERR__TIMED_OUT || Clock::now() >= deadline) return err;
  }
}

const rd_kafka_metadata_t* RdKafkaConsumer::metadata() {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err =
      sliced("metadata", [&](int ms) { return rd_kafka_metadata(rk_, 1, nullptr, &md, ms); });
  if (err) {
    throw KafkaException(fmt::format("{}: cannot read cluster metadata from {}: {}", name_,
                                     rd_kafka_name(rk_), rdk::errorText(err)),
                         rdk::retriable(err));
  }
  return md;
}

std::vector<TopicPartition> RdKafkaConsumer::partitionsFor(const std::vector<std::string>& topics,
                                                           std::vector<std::string>* missing) {
  Metadata md(metadata());
  std::vector<TopicPartition> out;
  for (const auto& name : topics) {
    bool found = false;
    for (int i = 0; i < md->topic_cnt; ++i) {
      const auto& t = md->topics[i];
      if (name != t.topic) continue;
      if (t.err || t.partition_cnt == 0) break;
      found = true;
      for (int p = 0; p < t.partition_cnt; ++p) out.push_back({name, t.partitions[p].id});
    }
    if (!found && missing) missing->push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> RdKafkaConsumer::listTopics() {
  Metadata md(metadata());
  std::vector<std::string> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (!md->topics[i].err) out.emplace_back(md->topics[i].topic);
  }
  return out;
}

std::map<TopicPartition, std::optional<OffsetAndMetadata>> RdKafkaConsumer::committed(
    const std::vector<TopicPartition>& partitions) {
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> out;
  if (partitions.empty()) return out;
  auto l = toList(partitions);
  auto c = committer();
  rd_kafka_resp_err_t err =
      sliced("committed offsets", [&](int ms) { return rd_kafka_committed(c->rk, l.get(), ms); });
  if (err && coordinatorTrouble(err)) {
    replaceCommitter(fmt::format("reading committed offsets failed: {}", rdk::errorText(err)));
  }
  if (err) {
    throw KafkaException(
        fmt::format("{}: cannot read committed offsets: {}", name_, rdk::errorText(err)),
        rdk::retriable(err));
  }
  std::string perPartition = listErrors(l.get());
  if (!perPartition.empty()) {
    throw KafkaException(fmt::format("{}: cannot read committed offsets: {}", name_, perPartition),
                         true);
  }
  for (int i = 0; i < l->cnt; ++i) {
    const auto& p = l->elems[i];
    std::optional<OffsetAndMetadata> c;
    if (p.offset >= 0) {
      c = OffsetAndMetadata{
          p.offset, p.metadata ? std::string(static_cast<const char*>(p.metadata), p.metadata_size)
                               : std::string()};
    }
    out.emplace(TopicPartition{p.topic, p.partition}, std::move(c));
  }
  return out;
}

std::pair<int64_t, int64_t> RdKafkaConsumer::watermarks(const TopicPartition& tp) {
  int64_t lo = 0, hi = 0;
  rd_kafka_resp_err_t err = sliced("watermarks", [&](int ms) {
    return rd_kafka_query_watermark_offsets(rk_, tp.topic.c_str(), tp.partition, &lo, &hi, ms);
  });
  if (err) {
    throw KafkaException(fmt::format("{}: cannot read the offsets of {}: {}", name_, tp.toString(),
                                     rdk::errorText(err)),
                         rdk::retriable(err));
  }
  return {lo, hi};
}

void RdKafkaConsumer::assign(const std::vector<std::pair<TopicPartition, int64_t>>& add,
                             const std::vector<TopicPartition>& remove) {
  if (!remove.empty()) {
    auto l = toList(remove);
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_, l.get())) {
      std::string msg = rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      throw KafkaException(fmt::format("{}: cannot unassign partitions: {}", name_, msg), false);
    }
  }
  if (!add.empty()) {
    auto l = rdk::newPartitionList(static_cast<int>(add.size()));
    for (const auto& [tp, offset] : add) {
      rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition)->offset =
          offset == kOffsetBeginning ? RD_KAFKA_OFFSET_BEGINNING
          : offset == kOffsetEnd     ? RD_KAFKA_OFFSET_END
                                     : offset;
    }
    if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_, l.get())) {
      std::string msg = rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      throw KafkaException(fmt::format("{}: cannot assign partitions: {}", name_, msg), false);
    }
  }
}

void RdKafkaConsumer::seek(const TopicPartition& tp, int64_t offset) {
  auto l = rdk::newPartitionList(1);
  rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  // Asynchronous: librdkafka drops anything fetched from the old position (fetch versions).
  if (rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_, l.get(), 0)) {
    std::string msg = rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    throw KafkaException(
        fmt::format("{}: cannot seek {} to {}: {}", name_, tp.toString(), offset, msg), true);
  }
}

void RdKafkaConsumer::pause(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  auto l = toList(partitions);
  rd_kafka_pause_partitions(rk_, l.get());
}

void RdKafkaConsumer::resume(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  auto l = toList(partitions);
  rd_kafka_resume_partitions(rk_, l.get());
}

size_t RdKafkaConsumer::poll(std::vector<ConsumerRecord>& out, size_t maxRecords,
                             std::chrono::milliseconds timeout, std::vector<std::string>& errors) {
  if (batch_.size() < maxRecords) batch_.resize(maxRecords);
  ssize_t n = rd_kafka_consume_batch_queue(consumerQueue_, static_cast<int>(timeout.count()),
                                           batch_.data(), maxRecords);
  size_t added = 0;
  if (n < 0) {
    errors.push_back(fmt::format("consume failed: {}", rdk::errorText(rd_kafka_last_error())));
    n = 0;
  }
  rd_kafka_topic_t* lastTopic = nullptr;
  std::string topicName;
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = batch_[static_cast<size_t>(i)];
    if (m->rkt != lastTopic) {
      lastTopic = m->rkt;
      topicName = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    }
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
          !std::strstr(rd_kafka_message_errstr(m), "GroupCoordinator")) {
        errors.push_back(
            m->rkt ? fmt::format("{}-{}: {}", topicName, m->partition, rd_kafka_message_errstr(m))
                   : fmt::format("{}", rd_kafka_message_errstr(m)));
      }
    } else {
      ConsumerRecord& r = out.emplace_back();
      r.topic = topicName;
      r.partition = m->partition;
      r.offset = m->offset;
      r.timestamp = rd_kafka_message_timestamp(m, nullptr);
      if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
      ++added;
    }
    rd_kafka_message_destroy(m);
  }
  {
    std::lock_guard lock(sink_->mu);
    for (auto& e : sink_->errors) errors.push_back(std::move(e));
    sink_->errors.clear();
  }
  return added;
}

void RdKafkaConsumer::commitAsync(
    const std::vector<std::pair<TopicPartition, OffsetAndMetadata>>& offsets, uint64_t token) {
  auto l = rdk::newPartitionList(static_cast<int>(offsets.size()));
  for (const auto& [tp, om] : offsets) {
    auto* p = rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition);
    p->offset = om.offset;
    if (!om.metadata.empty()) {
      // Freed by the list's destructor.
      p->metadata = std::malloc(om.metadata.size());
      std::memcpy(p->metadata, om.metadata.data(), om.metadata.size());
      p->metadata_size = om.metadata.size();
    }
  }
  auto c = committer();
  rd_kafka_resp_err_t err =
      rd_kafka_commit_queue(c->rk, l.get(), c->queue, nullptr, reinterpret_cast<void*>(token));
  if (err) {
    throw KafkaException(fmt::format("{}: cannot start a commit: {}", name_, rdk::errorText(err)),
                         rdk::retriable(err));
  }
  outstanding_[token] = Outstanding{Clock::now(), std::move(c)};
}

std::vector<CommitResult> RdKafkaConsumer::pollCommitResults(std::chrono::milliseconds timeout) {
  std::vector<CommitResult> out;
  if (outstanding_.empty()) return out;
  auto now = Clock::now();
  // Wait no longer than until the oldest commit counts as stalled.
  auto oldest = outstanding_.begin()->second.started;
  for (const auto& [t, o] : outstanding_) oldest = std::min(oldest, o.started);
  auto untilStall =
      std::chrono::duration_cast<std::chrono::milliseconds>(oldest + kCommitStall - now);
  int wait = static_cast<int>(std::max<int64_t>(0, std::min(timeout, untilStall).count()));
  std::shared_ptr<Committer> c;
  {
    std::lock_guard lock(committerMu_);
    c = committer_;
  }
  bool trouble = false;
  std::string troubleText;
  while (c) {
    rd_kafka_event_t* ev = rd_kafka_queue_poll(c->queue, wait);
    if (!ev) break;
    wait = 0;
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
      CommitResult r;
      r.token = reinterpret_cast<uint64_t>(rd_kafka_event_opaque(ev));
      if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev)) {
        r.error = rdk::errorText(err);
        if (coordinatorTrouble(err)) {
          trouble = true;
          troubleText = r.error;
        }
      }
      if (const rd_kafka_topic_partition_list_t* l = rd_kafka_event_topic_partition_list(ev)) {
        for (int i = 0; i < l->cnt; ++i) {
          const auto& p = l->elems[i];
          if (p.err) {
            r.partitionErrors.emplace_back(TopicPartition{p.topic, p.partition},
                                           rdk::errorText(p.err));
            if (coordinatorTrouble(p.err)) {
              trouble = true;
              troubleText = rdk::errorText(p.err);
            }
          }
        }
      }
      outstanding_.erase(r.token);
      out.push_back(std::move(r));
    }
    rd_kafka_event_destroy(ev);
  }
  // Commits that went to a replaced committer, or got no answer in time, failed.
  now = Clock::now();
  bool stalled = false;
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    bool replaced = it->second.committer != c;
    if (!replaced && now - it->second.started < kCommitStall) {
      ++it;
      continue;
    }
    stalled = stalled || !replaced;
    CommitResult r;
    r.token = it->first;
    r.error = replaced ? "the commit went to a group-coordinator connection since replaced"
                       : fmt::format("no answer from the group coordinator within {} ms",
                                     kCommitStall.count());
    out.push_back(std::move(r));
    it = outstanding_.erase(it);
  }
  if (stalled) {
    replaceCommitter(
        fmt::format("an offset commit got no answer within {} ms", kCommitStall.count()));
  } else if (trouble) {
    replaceCommitter(fmt::format("an offset commit failed: {}", troubleText));
  }
  return out;
}

std::optional<int64_t> RdKafkaConsumer::cachedLogEndOffset(const TopicPartition& tp) {
  int64_t lo = RD_KAFKA_OFFSET_INVALID, hi = RD_KAFKA_OFFSET_INVALID;
  if (rd_kafka_get_watermark_offsets(rk_, tp.topic.c_str(), tp.partition, &lo, &hi) ||
      hi == RD_KAFKA_OFFSET_INVALID) {
    return std::nullopt;
  }
  return hi;
}

void RdKafkaConsumer::interrupt() {
  interrupted_.store(true);
}

void RdKafkaConsumer::close() {
  if (closed_ || !rk_) return;
  closed_ = true;
  interrupted_.store(true);
  outstanding_.clear();
  std::shared_ptr<Committer> c;
  {
    std::lock_guard lock(committerMu_);
    c = std::move(committer_);
  }
  // Both handles go at once and neither is waited for longer than kCloseWait. The fetching
  // handle is in no group and commits nothing, so consumer_close() has nothing to do there
  // but could block on a coordinator that does not answer: it is skipped.
  auto deadline = Clock::now() + kCloseWait;
  std::vector<std::future<void>> gone;
  if (c) gone.push_back(c->retire());
  gone.push_back(rdk::destroyInBackground(rk_, {consumerQueue_}, sink_));
  rk_ = nullptr;
  consumerQueue_ = nullptr;
  for (auto& f : gone) {
    if (f.wait_until(deadline) != std::future_status::ready) {
      spdlog::warn(
          "{}: librdkafka is still shutting down after {} ms; it finishes in the "
          "background",
          name_, kCloseWait.count());
      break;
    }
  }
}

}  // namespace squall::kafka
