// User metrics from C++ components (Storm 2's counters, gauges, histograms, meters and Storm 1's
// IMetrics), the statsd reporter (a UDP socket in the test receives its packets), and Storm's
// IMetricsConsumer shape (the __metrics<class> bolts, LoggingMetricsConsumer's log).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "engine_fixtures.h"
#include "metrics/metrics_config.h"
#include "metrics/statsd_reporter.h"
#include "squall/metrics_consumer.h"
#include "topology/topology_plan.h"

namespace squall::engine_test {
namespace {

// ---------------------------------------------------------------------------------------------
// The metric types.

TEST(MetricsTypes, HistogramPercentilesAreWithinABucket) {
  metrics::Histogram h;
  for (int64_t v = 1; v <= 1000; ++v) h.update(v);
  MetricsRegistry r;
  // Through the registry, which computes the summary.
  auto& reg = r.histogram("c", 1, "h");
  for (int64_t v = 1; v <= 1000; ++v) reg.update(v);
  auto s = r.find("c", 1, "h");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, MetricKind::Histogram);
  EXPECT_EQ(s->histogram.count, 1000u);
  EXPECT_EQ(s->histogram.min, 1u);
  EXPECT_EQ(s->histogram.max, 1000u);
  EXPECT_DOUBLE_EQ(s->histogram.mean, 500.5);
  EXPECT_NEAR(s->histogram.p50, 500, 500.0 / 16);
  EXPECT_NEAR(s->histogram.p99, 990, 990.0 / 16);
  EXPECT_NEAR(s->histogram.p999, 999, 999.0 / 16);
  EXPECT_EQ(h.getCount(), 1000);
  // Small values are exact.
  auto& small = r.histogram("c", 1, "small");
  for (int i = 0; i < 10; ++i) small.update(3);
  small.update(-5);  // counts as 0
  auto ss = r.find("c", 1, "small");
  EXPECT_EQ(ss->histogram.p50, 3);
  EXPECT_EQ(ss->histogram.min, 0u);
}

// The registering thread updates its own cells without locked instructions; other threads
// update theirs atomically, at the same time; every update is counted, and a histogram's
// summary merges both sets of cells.
TEST(MetricsTypes, UpdatesFromTheOwnerAndOtherThreadsAtOnceAreAllCounted) {
  MetricsRegistry r;
  auto& c = r.counter("c", 1, "n");  // registered here: this thread owns them
  auto& m = r.meter("c", 1, "rate");
  auto& h = r.histogram("c", 1, "h");
  constexpr int kOthers = 3, kEach = 20000;
  std::atomic<bool> go{false};
  std::vector<std::thread> others;
  for (int t = 0; t < kOthers; ++t) {
    others.emplace_back([&] {
      while (!go.load()) {
      }
      for (int i = 0; i < kEach; ++i) {
        c.inc();
        m.mark(2);
        h.update(1000);  // only other threads record 1000, so max shows their cells are read
      }
    });
  }
  go.store(true);
  for (int i = 0; i < kEach; ++i) {
    c.inc();
    c.dec(2);
    m.mark();
    h.update(5);
  }
  for (auto& t : others) t.join();
  EXPECT_EQ(c.getCount(), int64_t{kOthers} * kEach - kEach);
  EXPECT_EQ(m.getCount(), int64_t{kOthers} * kEach * 2 + kEach);
  EXPECT_EQ(h.getCount(), int64_t{kOthers + 1} * kEach);
  auto s = r.find("c", 1, "h");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->histogram.count, uint64_t{kOthers + 1} * kEach);
  EXPECT_EQ(s->histogram.sum, uint64_t{kOthers} * kEach * 1000 + uint64_t{kEach} * 5);
  EXPECT_EQ(s->histogram.min, 5u);
  EXPECT_EQ(s->histogram.max, 1000u);
  EXPECT_EQ(r.find("c", 1, "n")->value, Value(int64_t{kOthers} * kEach - kEach));
  // A metric registered on another thread: this thread's updates are the atomic ones.
  metrics::Counter* foreign = nullptr;
  std::thread([&] { foreign = &r.counter("c", 1, "foreign"); }).join();
  for (int i = 0; i < 10; ++i) foreign->inc();
  EXPECT_EQ(foreign->getCount(), 10);
}

TEST(MetricsTypes, RegistrationReturnsTheSameObjectAndRefusesAnotherKind) {
  MetricsRegistry r;
  auto& c = r.counter("c", 1, "n");
  c.inc(5);
  EXPECT_EQ(&r.counter("c", 1, "n"), &c);
  EXPECT_EQ(r.find("c", 1, "n")->value, Value(int64_t{5}));
  EXPECT_THROW(r.meter("c", 1, "n"), IllegalArgumentException);
  auto& m = r.meter("c", 1, "m");
  m.mark(30);
  auto ms = r.find("c", 1, "m");
  EXPECT_EQ(ms->meter.count, 30);
  EXPECT_GT(ms->meter.meanRate, 0);
  // A gauge goes with its task's instance; counters stay for the next one.
  int calls = 0;
  r.gauge("c", 1, "g", [&] { return Value(++calls * 1.5); });
  EXPECT_EQ(r.find("c", 1, "g")->value, Value(1.5));
  r.forgetInstance(1);
  EXPECT_FALSE(r.find("c", 1, "g"));
  EXPECT_TRUE(r.find("c", 1, "n"));
}

TEST(MetricsTypes, StormOneMetrics) {
  metrics::CountMetric count;
  count.incr();
  count.incrBy(4);
  EXPECT_EQ(count.getValueAndReset(), Value(int64_t{5}));
  EXPECT_EQ(count.getValueAndReset(), Value(int64_t{0}));
  metrics::MultiCountMetric multi;
  multi.scope("a").incr();
  multi.scope("b").incrBy(2);
  EXPECT_EQ(multi.getValueAndReset(), Value(Map{{"a", int64_t{1}}, {"b", int64_t{2}}}));
  metrics::ReducedMetric mean(std::make_unique<metrics::MeanReducer>());
  EXPECT_TRUE(mean.getValueAndReset().isNull());
  mean.update(Value(int64_t{1}));
  mean.update(Value(2.0));
  EXPECT_EQ(mean.getValueAndReset(), Value(1.5));
}

// ---------------------------------------------------------------------------------------------
// In a running topology.

// Registers one metric of each kind and updates them from execute().
class MeteredBolt : public BaseRichBolt {
 public:
  MeteredBolt() = default;
  // The builder copies the prototype per task; each copy starts afresh.
  MeteredBolt(const MeteredBolt&) : BaseRichBolt() {}
  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    counter_ = &context.registerCounter("executed");
    histogram_ = &context.registerHistogram("n");
    meter_ = &context.registerMeter("rate");
    context.registerGauge("last", [this] { return Value(last_.load()); });
    count_ = &context.registerMetric("count-v1", std::make_unique<metrics::CountMetric>(), 1);
  }
  void execute(const Tuple& t) override {
    counter_->inc();
    histogram_->update(t.getLong(1));
    meter_->mark();
    last_.store(t.getLong(1));
    count_->incr();
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* collector_ = nullptr;
  metrics::Counter* counter_ = nullptr;
  metrics::Histogram* histogram_ = nullptr;
  metrics::Meter* meter_ = nullptr;
  metrics::CountMetric* count_ = nullptr;
  std::atomic<int64_t> last_{-1};
};

std::optional<MetricSample> metric(LocalCluster& cluster, const std::string& topology,
                                   const std::string& name) {
  for (const auto& m : cluster.getMetrics(topology)) {
    if (m.component == "metered" && m.name == name) return m;
  }
  return std::nullopt;
}

TEST(UserMetrics, ComponentsRegisterEveryKindAndTheRegistryReadsThem) {
  const std::string label = "user-metrics";
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout(label, 100));
  b.setBolt("metered", MeteredBolt()).shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology(label, testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([&] {
    auto c = metric(cluster, label, "executed");
    return c && c->value == Value(int64_t{100});
  }));
  auto h = metric(cluster, label, "n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->histogram.count, 100u);
  EXPECT_EQ(h->histogram.max, 99u);
  EXPECT_EQ(metric(cluster, label, "rate")->meter.count, 100);
  EXPECT_EQ(metric(cluster, label, "last")->value, Value(int64_t{99}));
  // The Storm 1 CountMetric is read each 1 s bucket on the executor thread; the buckets add up
  // to every tuple.
  ASSERT_TRUE(waitFor([&] {
    auto v = metric(cluster, label, "count-v1");
    return v && v->updates >= 1;
  }));
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

// ---------------------------------------------------------------------------------------------
// Metrics consumers.

Recorder<std::pair<metrics::TaskInfo, std::vector<metrics::DataPoint>>>& consumed() {
  static Recorder<std::pair<metrics::TaskInfo, std::vector<metrics::DataPoint>>> r;
  return r;
}

class RecordingConsumer : public metrics::IMetricsConsumer {
 public:
  void prepare(const Config&, const Value& argument, TopologyContext& context,
               metrics::IErrorReporter&) override {
    label_ = argument.asString();
    events().add(label_ + "/consumer", context.getThisComponentId());
  }
  void handleDataPoints(const metrics::TaskInfo& info,
                        const std::vector<metrics::DataPoint>& points) override {
    consumed().add(label_, {info, points});
  }

 private:
  std::string label_;
};
SQUALL_REGISTER_METRICS_CONSUMER(RecordingConsumer);

Config consumerConfig(const std::string& label, const std::string& cls) {
  Config c = testConfig();
  c.set(Config::TOPOLOGY_METRICS_CONSUMER_REGISTER,
        List{Value(Map{{"class", cls}, {"parallelism.hint", 1}, {"argument", label}})});
  c.set(Config::TOPOLOGY_BUILTIN_METRICS_BUCKET_SIZE_SECS, 1);
  return c;
}

TEST(MetricsConsumer, EveryTasksDataPointsReachTheConsumerBolt) {
  const std::string label = "consumer";
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout(label, 50));
  b.setBolt("metered", MeteredBolt(), 2).shuffleGrouping("spout");
  Config conf = consumerConfig(label, "RecordingConsumer");
  auto plan = internal::TopologyPlan::build(label, label + "-1", conf, b.createTopology());
  const auto* cp = plan->findComponent("__metricsRecordingConsumer");
  ASSERT_NE(cp, nullptr);
  EXPECT_TRUE(cp->system);
  EXPECT_EQ(cp->inputs.size(), 2u);  // spout and metered, not the acker
  EXPECT_EQ(plan->component("metered").streams.at("__metrics").fields.toList(),
            (std::vector<std::string>{"task-info", "data-points"}));

  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  // Both metered tasks report their CountMetric; the buckets add up to every tuple.
  auto total = [&] {
    int64_t sum = 0;
    std::set<int> tasks;
    for (const auto& [info, points] : consumed().get(label)) {
      for (const auto& p : points) {
        if (p.name == "count-v1") sum += p.value.asInt();
      }
      if (info.srcComponentId == "metered") tasks.insert(info.srcTaskId);
    }
    return std::make_pair(sum, tasks.size());
  };
  ASSERT_TRUE(waitFor([&] { return total() == std::make_pair(int64_t{50}, size_t{2}); }))
      << total().first << " " << total().second;
  auto first = consumed().get(label).front().first;
  EXPECT_FALSE(first.srcWorkerHost.empty());
  EXPECT_GT(first.timestamp, 0);
  EXPECT_EQ(first.updateIntervalSecs, 1);
  EXPECT_EQ(events().get(label + "/consumer"),
            std::vector<std::string>{"__metricsRecordingConsumer"});
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

TEST(MetricsConsumer, LoggingMetricsConsumerWritesStormsLines) {
  const std::string label = "logging-consumer";
  auto dir =
      std::filesystem::temp_directory_path() / ("squall-metrics-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout(label, 10));
  b.setBolt("metered", MeteredBolt()).shuffleGrouping("spout");
  Config conf = consumerConfig(label, metrics::kLoggingMetricsConsumer);
  conf.set("storm.log.dir", dir.string());
  EXPECT_EQ(metrics::metricsLogPath(conf), (dir / "metrics.log").string());
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  // Storm's layout: "<date> <time>,<ms> <uptime ms> <secs>\t<host>:<port>\t<task>:<component>\t
  // <name padded to 23>\t<value>".
  std::regex line(
      R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \d+ +\d+\t +\S+:0   \t +\d+:metered    \tcount-v1               \t(\d+))");
  auto countedAll = [&] {
    std::ifstream in(dir / "metrics.log");
    std::string l;
    int64_t sum = 0;
    std::smatch m;
    while (std::getline(in, l)) {
      if (std::regex_match(l, m, line)) sum += std::stoll(m[1]);
    }
    return sum == 10;
  };
  EXPECT_TRUE(waitFor(countedAll)) << std::ifstream(dir / "metrics.log").rdbuf();
  cluster.killTopologyWithOpts(label, KillOptions{0});
  std::filesystem::remove_all(dir);
}

TEST(MetricsConsumer, BadRegistrationsNameTheEntry) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("bad", 0));
  auto build = [&](const Value& entry) {
    Config c = testConfig();
    c.set(Config::TOPOLOGY_METRICS_CONSUMER_REGISTER, List{entry});
    internal::TopologyPlan::build("bad", "bad-1", c, b.createTopology());
  };
  try {
    build(Value(Map{{"class", "com.example.Nope"}}));
    FAIL() << "an unregistered class must be refused";
  } catch (const InvalidTopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("topology.metrics.consumer.register[0]"),
              std::string::npos)
        << e.what();
  }
  metrics::registerBuiltinMetricsConsumers();
  EXPECT_THROW(build(Value(Map{{"parallelism.hint", 1}})), ConfigError);
  EXPECT_THROW(build(Value(Map{{"class", "RecordingConsumer"}, {"parallelism.hint", 0}})),
               ConfigError);
}

// ---------------------------------------------------------------------------------------------
// The statsd reporter.

// A UDP socket on a free loopback port, for the reporter to send to.
class UdpListener {
 public:
  UdpListener() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~UdpListener() { close(fd_); }
  int port() const { return port_; }
  // The lines of the datagrams that arrive within `ms`, until `enough` holds.
  std::vector<std::string> receive(
      const std::function<bool(const std::vector<std::string>&)>& enough, int ms = 20000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!enough(lines_) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      EXPECT_LE(n, 1432) << "a datagram must fit a typical MTU";
      std::istringstream in(std::string(buf, static_cast<size_t>(n)));
      for (std::string l; std::getline(in, l);) lines_.push_back(l);
    }
    return lines_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<std::string> lines_;
};

bool has(const std::vector<std::string>& lines, const std::string& l) {
  return std::find(lines.begin(), lines.end(), l) != lines.end();
}

TEST(StatsdReporter, LinesForEachKind) {
  metrics::ReporterSpec spec = metrics::reporterSpec(
      Value(Map{{"class", "StatsdReporter"}, {"host", "127.0.0.1"}, {"port", 9}, {"prefix", "p"}}),
      "r");
  metrics::StatsdReporter reporter(spec, "top.ology");
  MetricsRegistry r;
  r.counter("split.er", 3, "words").inc(7);
  r.gauge("split.er", 3, "depth", [] { return Value(-2.5); });
  r.update("split.er", 3, "py:seen", Value(Map{{"a", int64_t{4}}}));
  auto& h = r.histogram("split.er", 3, "size");
  for (int i = 0; i < 5; ++i) h.update(3);
  auto lines = reporter.lines(r.snapshot(true));
  EXPECT_TRUE(has(lines, "p.top_ology.split_er.3.words:7|c"))
      << fmt::format("{}", fmt::join(lines, "\n"));
  EXPECT_TRUE(has(lines, "p.top_ology.split_er.3.depth:0|g"));
  EXPECT_TRUE(has(lines, "p.top_ology.split_er.3.depth:-2.5|g"));
  EXPECT_TRUE(has(lines, "p.top_ology.split_er.3.py_seen.a:4|g"));
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "p.top_ology.split_er.3.size:3|ms"), 5);
  // The next report: counters send what they gained, histograms only their new values.
  r.counter("split.er", 3, "words").inc(2);
  for (int i = 0; i < 1000; ++i) h.update(100);
  lines = reporter.lines(r.snapshot(true));
  EXPECT_TRUE(has(lines, "p.top_ology.split_er.3.words:2|c"));
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "p.top_ology.split_er.3.size:3|ms"), 0);
  auto timers = std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.rfind("p.top_ology.split_er.3.size:", 0) == 0 &&
           l.find("|ms|@0.2") != std::string::npos;
  });
  EXPECT_EQ(timers, 200) << "1000 values as 200 lines at sample rate 0.2";
}

TEST(StatsdReporter, ConfiguredTheStormWaySendsUdp) {
  UdpListener udp;
  const std::string label = "statsd";
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout(label, 20));
  b.setBolt("metered", MeteredBolt()).shuffleGrouping("spout");
  Config conf = testConfig();
  conf.set(Config::TOPOLOGY_METRICS_REPORTERS,
           List{Value(Map{{"class", metrics::kStatsdReporter},
                          {"statsd.host", "127.0.0.1"},
                          {"statsd.port", udp.port()},
                          {"statsd.prefix", "squall"},
                          {"report.period", 100},
                          {"report.period.units", "MILLISECONDS"}})});
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  int task = 0;
  ASSERT_TRUE(waitFor([&] {
    auto c = metric(cluster, label, "executed");
    task = c ? c->task : 0;
    return c && c->value == Value(int64_t{20});
  }));
  std::string key = fmt::format("squall.statsd.metered.{}.", task);
  // Counter deltas add up to the count; the gauge and the meter arrive too.
  auto counted = [&](const std::vector<std::string>& lines) {
    int64_t sum = 0;
    for (const auto& l : lines) {
      if (l.rfind(key + "executed:", 0) == 0) sum += std::stoll(l.substr(key.size() + 9));
    }
    return sum;
  };
  auto lines = udp.receive([&](const std::vector<std::string>& l) {
    return counted(l) == 20 && has(l, key + "last:19|g");
  });
  EXPECT_EQ(counted(lines), 20);
  EXPECT_TRUE(has(lines, key + "last:19|g"));
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.rfind(key + "n:", 0) == 0 && l.find("|ms") != std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.rfind(key + "rate.m1_rate:", 0) == 0;
  }));
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

TEST(StatsdReporter, BadConfigurationIsRefusedBeforeTheTopologyStarts) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("bad-reporter", 0));
  auto submit = [&](const Value& entry) {
    Config c = testConfig();
    c.set(Config::TOPOLOGY_METRICS_REPORTERS, List{entry});
    LocalCluster cluster;
    cluster.submitTopology("bad-reporter", c, b.createTopology());
  };
  metrics::registerBuiltinMetricsConsumers();  // registers the keys' checks
  try {
    submit(Value(Map{{"class", "org.apache.storm.metrics2.reporters.GraphiteStormReporter"}}));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("topology.metrics.reporters[0]"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(submit(Value(Map{{"class", "StatsdReporter"}, {"port", 70000}})), ConfigError);
  EXPECT_THROW(
      submit(Value(Map{{"class", "StatsdReporter"}, {"report.period.units", "FORTNIGHTS"}})),
      ConfigError);
}

}  // namespace
}  // namespace squall::engine_test
