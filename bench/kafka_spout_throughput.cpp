// KafkaSpout consumption rate from librdkafka's mock cluster, in this process: N records of
// 100 bytes are produced first, then a topology KafkaSpout -> a bolt that counts and acks
// reads them all. The rate is records executed by the bolt per second, from its first record
// to its last (start-up and assignment excluded).
//
//   bench_kafka_spout_throughput [--records N] [--partitions P] [--mode M] [--max-pending K]
//                                [--max-poll-records R] [--poll-timeout-ms T] [--repeat T]
//                                [--prop librdkafka.key=value]...
// BENCH_TRACE=1 prints the bolt's running count every 100 ms (stalls show as flat runs).
// Defaults: 1,000,000 records over 32 partitions (the mock keeps about 5 MB per partition).
// M: ackers-off   AT_LEAST_ONCE bookkeeping, topology.acker.executors = 0 (acked inside emit)
//    no-guarantee NO_GUARANTEE, unanchored emits, no bookkeeping
//    acking       AT_LEAST_ONCE through one acker (every tuple tree tracked)
//    raw          no topology: a bare librdkafka consumer in assign mode reading batches and
//                 copying each record out (the ceiling the spout works under, same noise)

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>
#include <squall/dev_kafka.h>
#include <squall/squall.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace squall;
using namespace squall::kafka;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<int64_t> executed{0};
std::atomic<int64_t> firstNs{0};

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

class CountingBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out_ = &c; }
  void execute(const Tuple& t) override {
    out_->ack(t);
    if (local_ == 0 && executed.load(std::memory_order_relaxed) == 0) {
      int64_t zero = 0;
      firstNs.compare_exchange_strong(zero, nowNs());
    }
    // One shared counter update per 256 tuples keeps the measurement out of the way.
    if (++local_ == 256) {
      executed.fetch_add(local_, std::memory_order_relaxed);
      local_ = 0;
    }
  }
  void cleanup() override { executed.fetch_add(local_); }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* out_ = nullptr;
  int64_t local_ = 0;
};

// CPU seconds used so far by this process's threads, summed by thread name ("kafka:2" ->
// "kafka"): on a shared machine the CPU cost per record is steadier than the wall-clock rate.
// Seconds spent runnable but waiting for a CPU, by thread name (from schedstat).
std::map<std::string, double> waitByThread() {
  std::map<std::string, double> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream commFile(task.path() / "comm"), sched(task.path() / "schedstat");
    std::string comm;
    std::getline(commFile, comm);
    double run = 0, wait = 0;
    sched >> run >> wait;
    out[comm.substr(0, comm.find(':'))] += wait / 1e9;
  }
  return out;
}

std::map<std::string, double> cpuByThread() {
  std::map<std::string, double> out;
  static const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream commFile(task.path() / "comm"), statFile(task.path() / "stat");
    std::string comm, stat;
    std::getline(commFile, comm);
    std::getline(statFile, stat);
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14) utime = std::stod(f);
      if (i == 15) stime = std::stod(f);
    }
    std::string name = comm.substr(0, comm.find(':'));
    out[name] += (utime + stime) / tick;
  }
  return out;
}

void printCpu(const std::map<std::string, double>& before,
              const std::map<std::string, double>& after, int64_t records) {
  std::printf("  CPU us/record by thread:");
  for (const auto& [name, secs] : after) {
    auto b = before.find(name);
    double used = secs - (b == before.end() ? 0 : b->second);
    if (used > 0.005)
      std::printf(" %s %.3f", name.c_str(), used * 1e6 / static_cast<double>(records));
  }
  std::printf("\n");
}

// Round-robin over the partitions: keyless records would stick to one partition per batch.
bool produce(const std::string& bootstrap, const std::string& topic, int64_t n, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof err);
  rd_kafka_conf_set(conf, "batch.num.messages", "10000", err, sizeof err);
  rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof err);
  rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!p) return false;
  std::string value(100, 'x');
  for (int64_t i = 0; i < n; ++i) {
    std::string n = std::to_string(i);  // a distinct prefix per record
    value.replace(0, n.size(), n);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic.c_str()),
                             RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % partitions)),
                             RD_KAFKA_V_VALUE(value.data(), value.size()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(p, 5);
    }
  }
  bool ok = rd_kafka_flush(p, 120'000) == RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_destroy(p);
  return ok;
}

// Records the partitions hold now: the mock keeps about 5 MB per partition and drops older
// records, so a benchmark must spread its records over enough partitions.
int64_t recordsInLog(const std::string& bootstrap, const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  int64_t total = 0;
  for (int p = 0; c && p < partitions; ++p) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(c, topic.c_str(), p, &lo, &hi, 10'000) == 0) {
      total += hi - lo;
    }
  }
  if (c) rd_kafka_destroy(c);
  return total;
}

// The baseline: what one thread gets from the mock with librdkafka alone.
double rawConsume(const std::string& bootstrap, const std::string& topic, int partitions,
                  int64_t records, int64_t batch, const std::map<std::string, std::string>& props) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "raw", err, sizeof err);
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "--prop %s: %s\n", k.c_str(), err);
    }
  }
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  rd_kafka_poll_set_consumer(c);
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(c);
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(l, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  std::vector<rd_kafka_message_t*> msgs(static_cast<size_t>(batch));
  int64_t n = 0, bytes = 0;
  int64_t first = 0;
  std::string copy;
  while (n < records) {
    ssize_t got = rd_kafka_consume_batch_queue(q, 100, msgs.data(), msgs.size());
    for (ssize_t i = 0; i < got; ++i) {
      if (!msgs[i]->err) {
        if (!first) first = nowNs();
        copy.assign(static_cast<const char*>(msgs[i]->payload), msgs[i]->len);
        bytes += static_cast<int64_t>(copy.size());
        ++n;
      }
      rd_kafka_message_destroy(msgs[i]);
    }
  }
  double secs = static_cast<double>(nowNs() - first) / 1e9;
  // Reading the copied size keeps the copy (the spout's own cost) from being optimised away.
  if (bytes == 0)
    std::fprintf(stderr, "raw consumer: every one of %lld records was empty\n",
                 static_cast<long long>(n));
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return static_cast<double>(n) / secs;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t records = 1'000'000;
  int partitions = 32;
  std::string mode = "ackers-off";
  int64_t maxPending = 0;
  int64_t maxPollRecords = 500;
  int repeat = 1;
  int64_t pollTimeoutMs = 0;
  std::map<std::string, std::string> consumerProps;  // --prop: librdkafka consumer properties
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records"))
      records = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--partitions"))
      partitions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--mode"))
      mode = argv[i + 1];
    else if (!std::strcmp(argv[i], "--max-pending"))
      maxPending = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--max-poll-records"))
      maxPollRecords = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeat"))
      repeat = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--poll-timeout-ms"))
      pollTimeoutMs = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--prop")) {
      std::string kv = argv[i + 1];
      size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "--prop wants key=value, got %s\n", kv.c_str());
        return 2;
      }
      consumerProps[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  if (mode != "ackers-off" && mode != "no-guarantee" && mode != "acking" && mode != "raw") {
    std::fprintf(stderr, "unknown --mode %s\n", mode.c_str());
    return 2;
  }
  if (!std::getenv("BENCH_VERBOSE")) spdlog::set_level(spdlog::level::warn);
  DevKafkaCluster kafka(1);
  kafka.createTopic("bench", partitions);
  auto t0 = Clock::now();
  if (!produce(kafka.bootstrapServers(), "bench", records, partitions)) {
    std::fprintf(stderr, "producing failed\n");
    return 1;
  }
  double produceSecs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("produced %lld records of 100 bytes into %d partitions in %.2f s\n",
              static_cast<long long>(records), partitions, produceSecs);
  int64_t inLog = recordsInLog(kafka.bootstrapServers(), "bench", partitions);
  if (inLog != records) {
    std::printf(
        "the mock kept only %lld of them (about 5 MB per partition): use more "
        "partitions\n",
        static_cast<long long>(inLog));
    records = inLog;
  }

  if (mode == "raw") {
    for (int run = 0; run < repeat; ++run) {
      auto before = cpuByThread();
      double rate = rawConsume(kafka.bootstrapServers(), "bench", partitions, records,
                               maxPollRecords, consumerProps);
      auto after = cpuByThread();
      std::printf("mode=raw partitions=%d batch=%lld: %.0f records/s\n", partitions,
                  static_cast<long long>(maxPollRecords), rate);
      printCpu(before, after, records);
    }
    return 0;
  }
  LocalCluster cluster;
  for (int run = 0; run < repeat; ++run) {
    executed.store(0);
    firstNs.store(0);
    auto builder = KafkaSpoutConfig::builder(kafka.bootstrapServers(), {"bench"})
                       .setGroupId("bench-" + std::to_string(run))
                       .setFirstPollOffsetStrategy(FirstPollOffsetStrategy::EARLIEST)
                       .setMaxPollRecords(maxPollRecords)
                       .setPollTimeoutMs(pollTimeoutMs)
                       .setMetricsLogPeriodMs(0)
                       .setProp(consumerProps);
    if (mode == "no-guarantee") builder.setProcessingGuarantee(ProcessingGuarantee::NO_GUARANTEE);
    TopologyBuilder b;
    auto& spout = b.setSpout("kafka", KafkaSpout(builder.build()), 1);
    if (maxPending) spout.setMaxSpoutPending(maxPending);
    b.setBolt("count", CountingBolt(), 1).shuffleGrouping("kafka");
    Config conf;
    conf.setNumAckers(mode == "acking" ? 1 : 0);
    std::string name = "kafka-bench-" + std::to_string(run);
    auto before = cpuByThread();
    auto waitBefore = waitByThread();
    cluster.submitTopology(name, conf, b.createTopology());
    auto deadline = Clock::now() + std::chrono::seconds(300);
    auto lastTrace = Clock::now();
    while (executed.load() < records - 256 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (std::getenv("BENCH_TRACE") && Clock::now() - lastTrace > std::chrono::milliseconds(100)) {
        lastTrace = Clock::now();
        std::fprintf(stderr, "%lld\n", static_cast<long long>(executed.load()));
      }
    }
    int64_t endNs = nowNs();
    int64_t done = executed.load();
    auto after = cpuByThread();
    auto waitAfter = waitByThread();
    double secs = static_cast<double>(endNs - firstNs.load()) / 1e9;
    std::printf(
        "mode=%s partitions=%d max.poll.records=%lld poll.timeout.ms=%lld "
        "max.spout.pending=%lld: %lld records in %.3f s = %.0f records/s\n",
        mode.c_str(), partitions, static_cast<long long>(maxPollRecords),
        static_cast<long long>(pollTimeoutMs), static_cast<long long>(maxPending),
        static_cast<long long>(done), secs, static_cast<double>(done) / secs);
    printCpu(before, after, done);
    std::printf("  seconds runnable but waiting for a CPU:");
    for (const auto& [n, w] : waitAfter) {
      double d = w - waitBefore[n];
      if (d > 0.01) std::printf(" %s %.2f", n.c_str(), d);
    }
    std::printf("\n");
    std::fflush(stdout);
    cluster.killTopologyWithOpts(name, KillOptions{0});
  }
  return 0;
}
