#pragma once
// Shared by the Kafka tests: a scripted in-memory broker and consumer (offset gaps, compaction,
// partition growth, failing commits, an outage) behind the spout's KafkaConsumer interface; a
// ledger of what the spout emitted and acked; a bolt that fails a fraction of its input; and
// producer / committed-offset helpers for librdkafka's mock cluster.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <squall/dev_kafka.h>
#include <spdlog/spdlog.h>
#include <squall/squall.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"

namespace squall::kafka_test {

using namespace squall::kafka;
using squall::testing::waitFor;

// spdlog's registry is created on first use inside the (uninstrumented) shared library; doing
// it here, before any thread starts, keeps ThreadSanitizer from seeing a racy first use.
inline const bool spdlogReady = (spdlog::default_logger_raw(), true);

// --- Fake broker and consumer ------------------------------------------------------------------

struct FakeRecord {
  int64_t offset;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// The cluster as every FakeConsumer sees it: topics, logs with arbitrary offsets, one
// group's commits. Thread-safe.
class FakeBroker {
 public:
  void createTopic(const std::string& topic, int partitions) {
    std::lock_guard lock(mu_);
    logs_[topic].resize(static_cast<size_t>(partitions));
  }
  // Partition-count growth, which the mock cluster cannot do.
  void addPartitions(const std::string& topic, int more) {
    std::lock_guard lock(mu_);
    logs_[topic].resize(logs_[topic].size() + static_cast<size_t>(more));
  }
  // Appends at the next offset, or at `offset` when given (leaving a gap).
  int64_t append(const TopicPartition& tp, std::string value, int64_t offset = -1) {
    std::lock_guard lock(mu_);
    auto& log = logs_.at(tp.topic).at(static_cast<size_t>(tp.partition));
    int64_t next = log.records.empty() ? log.start : log.records.back().offset + 1;
    if (offset >= 0) next = offset;
    log.records.push_back({next, "k" + std::to_string(next), std::move(value)});
    return next;
  }
  // Removes one record, as log compaction does.
  void compactAway(const TopicPartition& tp, int64_t offset) {
    std::lock_guard lock(mu_);
    auto& recs = logs_.at(tp.topic).at(static_cast<size_t>(tp.partition)).records;
    recs.erase(std::remove_if(recs.begin(), recs.end(),
                              [&](const FakeRecord& r) { return r.offset == offset; }),
               recs.end());
  }
  void setCommit(const TopicPartition& tp, int64_t offset, std::string metadata) {
    std::lock_guard lock(mu_);
    commits_[tp] = {offset, std::move(metadata)};
  }
  std::optional<OffsetAndMetadata> commit(const TopicPartition& tp) const {
    std::lock_guard lock(mu_);
    auto it = commits_.find(tp);
    if (it == commits_.end()) return std::nullopt;
    return it->second;
  }
  int64_t committedOffset(const TopicPartition& tp) const {
    auto c = commit(tp);
    return c ? c->offset : -1;
  }
  void setDown(bool down) { down_.store(down); }
  void failCommits(int n) { failCommits_.store(n); }
  int64_t commitCount() const { return commitCount_.load(); }

 private:
  friend class FakeConsumer;
  struct Log {
    int64_t start = 0;
    std::vector<FakeRecord> records;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Log>> logs_;
  std::map<TopicPartition, OffsetAndMetadata> commits_;
  std::atomic<bool> down_{false};
  std::atomic<int> failCommits_{0};
  std::atomic<int64_t> commitCount_{0};
};

class FakeConsumer : public KafkaConsumer {
 public:
  explicit FakeConsumer(std::shared_ptr<FakeBroker> b) : b_(std::move(b)) {}

  std::vector<TopicPartition> partitionsFor(const std::vector<std::string>& topics,
                                            std::vector<std::string>* missing) override {
    down("metadata");
    std::lock_guard lock(b_->mu_);
    std::vector<TopicPartition> out;
    for (const auto& t : topics) {
      auto it = b_->logs_.find(t);
      if (it == b_->logs_.end()) {
        if (missing) missing->push_back(t);
        continue;
      }
      for (size_t p = 0; p < it->second.size(); ++p) out.push_back({t, static_cast<int32_t>(p)});
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> listTopics() override {
    down("metadata");
    std::lock_guard lock(b_->mu_);
    std::vector<std::string> out;
    for (const auto& [t, l] : b_->logs_) out.push_back(t);
    return out;
  }
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed(
      const std::vector<TopicPartition>& tps) override {
    down("offset fetch");
    std::lock_guard lock(b_->mu_);
    std::map<TopicPartition, std::optional<OffsetAndMetadata>> out;
    for (const auto& tp : tps) {
      auto it = b_->commits_.find(tp);
      out[tp] = it == b_->commits_.end() ? std::nullopt
                                         : std::optional<OffsetAndMetadata>(it->second);
    }
    return out;
  }
  std::pair<int64_t, int64_t> watermarks(const TopicPartition& tp) override {
    down("list offsets");
    std::lock_guard lock(b_->mu_);
    const auto& log = b_->logs_.at(tp.topic).at(static_cast<size_t>(tp.partition));
    int64_t lo = log.records.empty() ? log.start : log.records.front().offset;
    int64_t hi = log.records.empty() ? log.start : log.records.back().offset + 1;
    return {lo, hi};
  }

  void assign(const std::vector<std::pair<TopicPartition, int64_t>>& add,
              const std::vector<TopicPartition>& remove) override {
    for (const auto& tp : remove) assigned_.erase(tp);
    for (const auto& [tp, offset] : add) assigned_[tp] = {offset, false};
  }
  void seek(const TopicPartition& tp, int64_t offset) override { assigned_.at(tp).position = offset; }
  void pause(const std::vector<TopicPartition>& tps) override {
    for (const auto& tp : tps) assigned_.at(tp).paused = true;
  }
  void resume(const std::vector<TopicPartition>& tps) override {
    for (const auto& tp : tps) assigned_.at(tp).paused = false;
  }
  size_t poll(std::vector<ConsumerRecord>& out, size_t maxRecords, std::chrono::milliseconds,
              std::vector<std::string>& errors) override {
    if (b_->down_.load()) {
      errors.push_back("fake broker is down");
      return 0;
    }
    std::lock_guard lock(b_->mu_);
    size_t n = 0;
    // Round-robin over partitions, a few records each, like fetch responses.
    for (auto& [tp, a] : assigned_) {
      if (a.paused) continue;
      const auto& recs = b_->logs_.at(tp.topic).at(static_cast<size_t>(tp.partition)).records;
      auto it = std::lower_bound(recs.begin(), recs.end(), a.position,
                                 [](const FakeRecord& r, int64_t o) { return r.offset < o; });
      for (int k = 0; it != recs.end() && k < 7 && n < maxRecords; ++it, ++k, ++n) {
        out.push_back({tp.topic, tp.partition, it->offset, -1, it->key, it->value});
        a.position = it->offset + 1;
      }
    }
    return n;
  }
  void commitAsync(const std::vector<std::pair<TopicPartition, OffsetAndMetadata>>& offsets,
                   uint64_t token) override {
    CommitResult r;
    r.token = token;
    if (b_->down_.load()) {
      r.error = "fake broker is down";
    } else if (b_->failCommits_.load() > 0) {
      b_->failCommits_.fetch_sub(1);
      r.error = "injected commit failure";
    } else {
      for (const auto& [tp, om] : offsets) b_->setCommit(tp, om.offset, om.metadata);
      b_->commitCount_.fetch_add(1);
    }
    results_.push_back(std::move(r));
  }
  std::vector<CommitResult> pollCommitResults(std::chrono::milliseconds) override {
    std::vector<CommitResult> out(results_.begin(), results_.end());
    results_.clear();
    return out;
  }
  std::optional<int64_t> cachedLogEndOffset(const TopicPartition& tp) override {
    std::lock_guard lock(b_->mu_);
    const auto& log = b_->logs_.at(tp.topic).at(static_cast<size_t>(tp.partition));
    return log.records.empty() ? log.start : log.records.back().offset + 1;
  }
  void close() override {}

 private:
  void down(const char* what) {
    if (b_->down_.load()) throw KafkaException(std::string("fake broker is down: ") + what, true);
  }
  struct Assigned {
    int64_t position;
    bool paused;
  };
  std::shared_ptr<FakeBroker> b_;
  std::map<TopicPartition, Assigned> assigned_;
  std::deque<CommitResult> results_;
};

inline KafkaConsumerFactory fakeFactory(std::shared_ptr<FakeBroker> broker) {
  return [broker](const KafkaSpoutConfig&, int) { return std::make_unique<FakeConsumer>(broker); };
}

// --- Ledger --------------------------------------------------------------------------------------

// What the spout reported through its tuple listener. Thread-safe.
class Ledger : public KafkaTupleListener {
 public:
  using Key = std::pair<TopicPartition, int64_t>;
  void onEmit(const KafkaSpoutMessageId& id) override {
    std::lock_guard lock(mu_);
    ++emits_[{id.tp, id.offset}];
    ++totalEmits_;
  }
  void onAck(const KafkaSpoutMessageId& id) override {
    std::lock_guard lock(mu_);
    ++acks_[{id.tp, id.offset}];
  }
  void onRetry(const KafkaSpoutMessageId&) override { retries_.fetch_add(1); }
  void onMaxRetryReached(const KafkaSpoutMessageId& id) override {
    std::lock_guard lock(mu_);
    gaveUp_.push_back({id.tp, id.offset});
  }
  void onPartitionsReassigned(const std::vector<TopicPartition>&) override {
    reassignments_.fetch_add(1);
  }

  size_t ackedRecords() const {
    std::lock_guard lock(mu_);
    return acks_.size();
  }
  std::map<Key, int> acks() const {
    std::lock_guard lock(mu_);
    return acks_;
  }
  std::map<Key, int> emits() const {
    std::lock_guard lock(mu_);
    return emits_;
  }
  int64_t totalEmits() const {
    std::lock_guard lock(mu_);
    return totalEmits_;
  }
  std::vector<Key> gaveUp() const {
    std::lock_guard lock(mu_);
    return gaveUp_;
  }
  int64_t retries() const { return retries_.load(); }
  int64_t reassignments() const { return reassignments_.load(); }

 private:
  mutable std::mutex mu_;
  std::map<Key, int> emits_, acks_;
  int64_t totalEmits_ = 0;
  std::vector<Key> gaveUp_;
  std::atomic<int64_t> retries_{0}, reassignments_{0};
};

// Every key acked exactly once.
inline void expectExactlyOneAckEach(const Ledger& ledger, const std::set<Ledger::Key>& expected) {
  auto acks = ledger.acks();
  size_t missing = 0, extra = 0, twice = 0;
  for (const auto& k : expected) {
    auto it = acks.find(k);
    if (it == acks.end()) {
      ++missing;
    } else if (it->second != 1) {
      ++twice;
    }
  }
  for (const auto& [k, n] : acks) extra += expected.count(k) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "records never acked";
  EXPECT_EQ(twice, 0u) << "records acked more than once";
  EXPECT_EQ(extra, 0u) << "acks for records that do not exist";
}

// --- Bolts ---------------------------------------------------------------------------------------

struct FlakyStats {
  std::atomic<int64_t> executed{0}, failed{0};
};

// Acks its input, except a fraction it fails at random.
class FlakyBolt : public BaseRichBolt {
 public:
  FlakyBolt(std::shared_ptr<FlakyStats> stats, double failRate, uint64_t seed = 7)
      : stats_(std::move(stats)), failRate_(failRate), seed_(seed) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
    out_ = &c;
    rng_.seed(seed_ + static_cast<uint64_t>(ctx.getThisTaskId()));
  }
  void execute(const Tuple& t) override {
    if (t.isTick()) return;
    stats_->executed.fetch_add(1);
    if (std::uniform_real_distribution<double>(0, 1)(rng_) < failRate_) {
      stats_->failed.fetch_add(1);
      out_->fail(t);
    } else {
      out_->ack(t);
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::shared_ptr<FlakyStats> stats_;
  double failRate_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  OutputCollector* out_ = nullptr;
};

// --- librdkafka helpers (mock cluster) -----------------------------------------------------------

inline rd_kafka_conf_t* conf(const std::map<std::string, std::string>& props) {
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(c, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << k << ": " << err;
    }
  }
  return c;
}

// Produces `count` records "v<i>" with keys "k<i>" to `topic` (librdkafka's partitioner),
// or all to `partition` when given; waits until every one is delivered.
inline void produce(const std::string& bootstrap, const std::string& topic, int count,
                    int partition = -1, int first = 0, size_t valueSize = 0) {
  char err[512];
  rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER,
                               conf({{"bootstrap.servers", bootstrap}, {"linger.ms", "5"}}), err,
                               sizeof err);
  ASSERT_NE(p, nullptr) << err;
  for (int i = first; i < first + count; ++i) {
    std::string key = "k" + std::to_string(i);
    std::string value = "v" + std::to_string(i);
    if (value.size() < valueSize) value.resize(valueSize, 'x');
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(topic.c_str()),
                RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                RD_KAFKA_V_KEY(key.data(), key.size()),
                RD_KAFKA_V_VALUE(value.data(), value.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(p, 10);
    }
    ASSERT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(e);
  }
  ASSERT_EQ(rd_kafka_flush(p, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(p);
}

// Committed offsets of `group` for the partitions of `topic` (-1 where none), and the log
// end offsets, read with a throwaway consumer.
struct Offsets {
  std::map<int, int64_t> committed;
  std::map<int, int64_t> end;
  std::map<int, std::string> metadata;
};
inline Offsets readOffsets(const std::string& bootstrap, const std::string& group,
                           const std::string& topic, int partitions) {
  Offsets out;
  char err[512];
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER,
                               conf({{"bootstrap.servers", bootstrap}, {"group.id", group}}), err,
                               sizeof err);
  if (!c) return out;
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(l, topic.c_str(), p);
  if (rd_kafka_committed(c, l, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < l->cnt; ++i) {
      out.committed[l->elems[i].partition] = l->elems[i].offset;
      if (l->elems[i].metadata) {
        out.metadata[l->elems[i].partition] =
            std::string(static_cast<const char*>(l->elems[i].metadata), l->elems[i].metadata_size);
      }
    }
  }
  for (int p = 0; p < partitions; ++p) {
    int64_t lo = 0, hi = -1;
    rd_kafka_query_watermark_offsets(c, topic.c_str(), p, &lo, &hi, 10'000);
    out.end[p] = hi;
  }
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return out;
}

// Consumer settings for tests against the mock: quick reconnects after an outage, short
// fetch waits.
inline std::map<std::string, std::string> quickProps() {
  return {{"reconnect.backoff.ms", "50"},
          {"reconnect.backoff.max.ms", "500"},
          {"fetch.wait.max.ms", "20"},
          {"topic.metadata.refresh.interval.ms", "1000"}};
}

inline std::vector<ReportedError> errorsMatching(const LocalCluster& c, const std::string& topo,
                                                 const std::string& text) {
  std::vector<ReportedError> out;
  for (auto& e : c.getErrors(topo)) {
    if (e.message.find(text) != std::string::npos) out.push_back(e);
  }
  return out;
}

}  // namespace squall::kafka_test
