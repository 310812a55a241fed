// KafkaSpout retries at a steady rate: a producer writes --rate records/s into librdkafka's
// mock cluster (in process) for --seconds, KafkaSpout (AT_LEAST_ONCE, Storm's default retry
// policy) feeds a bolt that fails --fail-rate of its tuples at random (retries included) and
// acks the rest. Prints the delay from each fail() to the tuple's re-emission, and from the
// bolt's fail to the record's return to the bolt (median, p90, max), and, sampled every 100 ms, how
// far the committed offsets trail the log end and the acked prefix (records, summed over
// partitions).
//
//   bench_kafka_spout_retry [--rate R] [--seconds S] [--fail-rate F] [--partitions P]
//                           [--commit-period-ms C]
// Defaults: 450 records/s for 30 s, 10 % failing, 4 partitions, offset.commit.period.ms 30000
// (Storm's default).

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>
#include <squall/dev_kafka.h>
#include <squall/squall.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace squall;
using namespace squall::kafka;
using Clock = std::chrono::steady_clock;

namespace {

// Fail times of scheduled retries, re-emission delays, and each partition's acked prefix.
class RetryClockListener : public KafkaTupleListener {
 public:
  void onRetry(const KafkaSpoutMessageId& id) override {
    std::lock_guard lock(mu_);
    failedAt_[{id.tp, id.offset}] = Clock::now();
  }
  void onEmit(const KafkaSpoutMessageId& id) override {
    if (id.numFails == 0) return;
    auto now = Clock::now();
    std::lock_guard lock(mu_);
    auto it = failedAt_.find({id.tp, id.offset});
    if (it == failedAt_.end()) return;
    delaysMs_.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
    failedAt_.erase(it);
  }
  void onAck(const KafkaSpoutMessageId& id) override {
    std::lock_guard lock(mu_);
    auto& p = prefix_[id.tp];
    p.acked.insert(id.offset);
    while (!p.acked.empty() && *p.acked.begin() <= p.next) {
      p.next = std::max(p.next, *p.acked.begin() + 1);
      p.acked.erase(p.acked.begin());
    }
  }
  std::vector<double> delays() {
    std::lock_guard lock(mu_);
    return delaysMs_;
  }
  // One past the highest offset below which every offset is acked.
  int64_t ackedPrefix(const TopicPartition& tp) {
    std::lock_guard lock(mu_);
    return prefix_[tp].next;
  }
  size_t waitingRetries() {
    std::lock_guard lock(mu_);
    return failedAt_.size();
  }

 private:
  struct Prefix {
    int64_t next = 0;
    std::set<int64_t> acked;
  };
  std::mutex mu_;
  std::map<std::pair<TopicPartition, int64_t>, Clock::time_point> failedAt_;
  std::vector<double> delaysMs_;
  std::map<TopicPartition, Prefix> prefix_;
};

std::atomic<int64_t> acked{0}, failed{0};
std::vector<double> boltDelaysMs;  // written by the bolt's thread, read after the kill

// Fails a fraction of its input at random and times, per record, how long after its fail()
// the record comes back to it (the whole path: acker, spout, retry, re-read, re-emit).
class FailingBolt : public BaseRichBolt {
 public:
  explicit FailingBolt(double rate) : rate_(rate) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out_ = &c; }
  void execute(const Tuple& t) override {
    auto key = std::make_pair(t.getValue(1).asInt(), t.getValue(2).asInt());  // partition, offset
    auto now = Clock::now();
    if (auto it = failedAt_.find(key); it != failedAt_.end()) {
      boltDelaysMs.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
      failedAt_.erase(it);
    }
    if (dist_(rng_) < rate_) {
      failed.fetch_add(1);
      failedAt_[key] = now;
      out_->fail(t);
    } else {
      acked.fetch_add(1);
      out_->ack(t);
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  double rate_;
  std::mt19937_64 rng_{42};
  std::uniform_real_distribution<double> dist_{0, 1};
  OutputCollector* out_ = nullptr;
  std::map<std::pair<int64_t, int64_t>, Clock::time_point> failedAt_;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

void summary(const char* what, const std::vector<double>& v, const char* unit) {
  std::printf("%s: median %.1f %s, p90 %.1f %s, max %.1f %s (%zu samples)\n", what,
              percentile(v, 0.5), unit, percentile(v, 0.9), unit,
              v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()), unit, v.size());
}

}  // namespace

int main(int argc, char** argv) {
  double rate = 450, failRate = 0.10;
  int seconds = 30, partitions = 4;
  int64_t commitPeriodMs = KafkaSpoutConfig::kDefaultOffsetCommitPeriodMs;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rate"))
      rate = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds"))
      seconds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--fail-rate"))
      failRate = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--partitions"))
      partitions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--commit-period-ms"))
      commitPeriodMs = std::atoll(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!std::getenv("BENCH_VERBOSE")) spdlog::set_level(spdlog::level::warn);
  DevKafkaCluster kafka(1);
  kafka.createTopic("retry", partitions);
  const std::string bs = kafka.bootstrapServers();

  auto listener = std::make_shared<RetryClockListener>();
  auto config = KafkaSpoutConfig::builder(bs, {"retry"})
                    .setGroupId("retry-bench")
                    .setTupleListener(listener)
                    .setOffsetCommitPeriodMs(commitPeriodMs)
                    .setMetricsLogPeriodMs(0)
                    .build();
  TopologyBuilder b;
  b.setSpout("kafka", KafkaSpout(config), 1);
  b.setBolt("fail", FailingBolt(failRate), 1).shuffleGrouping("kafka");
  Config conf;
  conf.setNumAckers(1);
  LocalCluster cluster;
  cluster.submitTopology("retry", conf, b.createTopology());

  // The producer: one record every 1/rate s, round-robin over the partitions, sent at once.
  char err[512];
  rd_kafka_conf_t* pc = rd_kafka_conf_new();
  rd_kafka_conf_set(pc, "bootstrap.servers", bs.c_str(), err, sizeof err);
  rd_kafka_conf_set(pc, "linger.ms", "0", err, sizeof err);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
  const int64_t total = static_cast<int64_t>(rate * seconds);
  std::vector<double> lagEnd, lagPrefix;
  // The group's committed offsets and the log end, as the broker has them.
  rd_kafka_conf_t* cc = rd_kafka_conf_new();
  rd_kafka_conf_set(cc, "bootstrap.servers", bs.c_str(), err, sizeof err);
  rd_kafka_conf_set(cc, "group.id", "retry-bench", err, sizeof err);
  rd_kafka_t* probe = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
  auto sample = [&] {
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(l, "retry", p);
    double behindEnd = 0, behindPrefix = 0;
    bool ok = rd_kafka_committed(probe, l, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int p = 0; ok && p < partitions; ++p) {
      int64_t committed = std::max<int64_t>(0, l->elems[p].offset), lo = 0, hi = 0;
      ok = rd_kafka_query_watermark_offsets(probe, "retry", p, &lo, &hi, 1000) == 0;
      behindEnd += static_cast<double>(hi - committed);
      behindPrefix += static_cast<double>(
          std::max<int64_t>(0, listener->ackedPrefix({"retry", p}) - committed));
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (ok) {
      lagEnd.push_back(behindEnd);
      lagPrefix.push_back(behindPrefix);
    }
  };
  auto start = Clock::now();
  auto nextSample = start;
  std::string value(100, 'x');
  for (int64_t i = 0; i < total; ++i) {
    auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * i / rate));
    while (Clock::now() < due) {
      rd_kafka_poll(producer, 1);
      if (Clock::now() >= nextSample) {
        nextSample += std::chrono::milliseconds(100);
        if (Clock::now() - start > std::chrono::seconds(2)) sample();  // after the start-up
      }
    }
    rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("retry"),
                      RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % partitions)),
                      RD_KAFKA_V_VALUE(value.data(), value.size()),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  }
  rd_kafka_flush(producer, 10'000);
  rd_kafka_destroy(producer);
  rd_kafka_destroy(probe);
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (acked.load() < total && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cluster.killTopologyWithOpts("retry", KillOptions{0});
  std::printf(
      "rate %.0f records/s for %d s over %d partitions, %.0f %% failing, "
      "offset.commit.period.ms %lld: %lld records, %lld acked, %lld fails\n",
      rate, seconds, partitions, failRate * 100, static_cast<long long>(commitPeriodMs),
      static_cast<long long>(total), static_cast<long long>(acked.load()),
      static_cast<long long>(failed.load()));
  summary("delay from the spout's fail() to the re-emit", listener->delays(), "ms");
  summary("delay from the bolt's fail to the record's return", boltDelaysMs, "ms");
  summary("committed offsets behind the log end", lagEnd, "records");
  summary("committed offsets behind the acked prefix", lagPrefix, "records");
  if (listener->waitingRetries()) {
    std::printf("retries never re-emitted: %zu\n", listener->waitingRetries());
  }
  return acked.load() >= total ? 0 : 1;
}
