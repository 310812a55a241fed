// The /metrics of processes without a UI (cluster workers, nimbus, supervisors): the shared
// Prometheus writer, the process_* families, the HTTP endpoint, and a running topology's
// families as a worker serves them.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <squall/squall.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine_fixtures.h"
#include "metrics/process_metrics.h"
#include "metrics/prometheus_text.h"
#include "runtime/local_cluster_impl.h"
#include "ui/metrics_server.h"
#include "ui/topology_metrics.h"

using namespace squall;
using namespace squall::testing;
using namespace squall::engine_test;
using namespace std::chrono_literals;

namespace {

// The value of the first sample line `name{...labels...} VALUE` whose labels contain `part`.
std::optional<double> sample(const std::string& text, const std::string& name,
                             const std::string& part = "") {
  size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    bool lineStart = pos == 0 || text[pos - 1] == '\n';
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    pos = end;
    if (!lineStart) continue;
    std::string rest = line.substr(name.size());
    if (rest.empty() || (rest[0] != ' ' && rest[0] != '{')) continue;
    if (!part.empty() && rest.find(part) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nullopt;
}

// Emits ["t", i] for i below the budget the test hands out, unreliably.
class BudgetSpout : public BaseRichSpout {
 public:
  explicit BudgetSpout(std::shared_ptr<std::atomic<int64_t>> budget) : budget_(std::move(budget)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    if (next_ >= budget_->load()) return;
    out_->emit(Values{"t", next_++});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"word", "n"}); }

 private:
  std::shared_ptr<std::atomic<int64_t>> budget_;
  SpoutOutputCollector* out_ = nullptr;
  int64_t next_ = 0;
};

// Holds every tuple until the gate opens (or 30 s pass), then counts it.
struct Gate {
  std::mutex mu;
  std::condition_variable opened;
  bool isOpen = false;
  std::atomic<int64_t> executed{0};

  void open() {
    {
      std::lock_guard lock(mu);
      isOpen = true;
    }
    opened.notify_all();
  }
  void waitOpen() {
    std::unique_lock lock(mu);
    opened.wait_for(lock, std::chrono::seconds(30), [&] { return isOpen; });
  }
};
class GatedBolt : public BaseRichBolt {
 public:
  explicit GatedBolt(std::shared_ptr<Gate> g) : g_(std::move(g)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
  void execute(const Tuple&) override {
    g_->waitOpen();
    g_->executed.fetch_add(1);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::shared_ptr<Gate> g_;
};

}  // namespace

TEST(PrometheusText, GroupsFamiliesWithOneHelpAndTypeEach) {
  metrics::PrometheusText t;
  t.add("b_total", "counter", "B things.", "x=\"1\"", "3");
  t.add("a", "gauge", "An a.", "", 0.5);
  t.add("b_total", "counter", "B things.", "x=\"2\"", "4");
  t.add("s", "summary", "A summary.", "q=\"1\"", "2", "_sum");
  EXPECT_EQ(t.text(),
            "# HELP a An a.\n# TYPE a gauge\na 0.5\n"
            "# HELP b_total B things.\n# TYPE b_total counter\nb_total{x=\"1\"} 3\n"
            "b_total{x=\"2\"} 4\n"
            "# HELP s A summary.\n# TYPE s summary\ns_sum{q=\"1\"} 2\n");
  EXPECT_EQ(metrics::prometheusEscape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(metrics::prometheusNumber(3), "3");
  EXPECT_EQ(metrics::prometheusNumber(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(metrics::prometheusNumber(std::nan("")), "NaN");
}

TEST(ProcessMetrics, ParsesProcStatWhateverTheCommandIsCalled) {
  // Fields from 3 on; utime 14 = 250, stime 15 = 50, starttime 22 = 1000, vsize 23, rss 24.
  std::string stat =
      "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 "
      "123456789 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  auto s = metrics::parseProcStat(stat, 1'700'000'000, 100, 4096);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpuSeconds, 3.0);
  EXPECT_DOUBLE_EQ(s->startTimeSeconds, 1'700'000'010.0);
  EXPECT_EQ(s->virtualBytes, 123456789u);
  EXPECT_EQ(s->residentBytes, 300u * 4096);
  EXPECT_FALSE(metrics::parseProcStat("4242 (short) S 1 2 3", 0, 100, 4096));
  EXPECT_FALSE(metrics::parseProcStat("no parenthesis", 0, 100, 4096));
}

TEST(ProcessMetrics, ReadsThisProcess) {
  auto s = metrics::readProcessSample();
  ASSERT_TRUE(s);
  EXPECT_GT(s->residentBytes, 1u << 20);
  EXPECT_GE(s->virtualBytes, s->residentBytes);
  EXPECT_GT(s->openFds, 2);
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s->startTimeSeconds, now + 1);
  EXPECT_GT(s->startTimeSeconds, now - 3600);
  EXPECT_FALSE(metrics::readProcessSample(-1));

  metrics::PrometheusText t;
  metrics::addProcessFamilies(t);
  std::string text = t.text();
  EXPECT_GT(sample(text, "process_resident_memory_bytes").value_or(0), 1 << 20);
  EXPECT_GE(sample(text, "process_cpu_seconds_total").value_or(-1), 0);
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
}

TEST(MetricsServer, ServesMetricsOnlyAndNamesItsKeysWhenItCannotBind) {
  int scrapes = 0;
  ui::MetricsServer server({"127.0.0.1", 0, "test.port"}, [&] {
    ++scrapes;
    if (scrapes == 3) throw std::runtime_error("cannot read it");
    return std::string("# HELP x An x.\n# TYPE x gauge\nx 1\n");
  });
  server.start();
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "# HELP x An x.\n# TYPE x gauge\nx 1\n");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(client.Get("/metrics?x=1")->status, 200);
  auto failed = client.Get("/metrics");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_NE(failed->body.find("cannot read it"), std::string::npos);
  EXPECT_EQ(client.Get("/")->status, 404);
  EXPECT_EQ(client.Get("/api/v1/topology/summary")->status, 404);
  EXPECT_EQ(client.Post("/metrics", "", "text/plain")->status, 405);

  // A port another program holds (httplib itself binds with SO_REUSEPORT, so the holder here
  // is a plain socket).
  int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len), 0);
  int taken = ntohs(a.sin_port);
  ui::MetricsServer clash({"127.0.0.1", taken, "supervisor.metrics.port"},
                          [] { return std::string(); });
  try {
    clash.start();
    ADD_FAILURE() << "bound a port another socket holds";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("supervisor.metrics.port"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(std::to_string(taken)), std::string::npos);
  }
  ::close(holder);
  server.stop();
  EXPECT_FALSE(httplib::Client("127.0.0.1", server.port()).Get("/metrics"));
}

TEST(TopologyMetrics, ServesTheLocalModesFamiliesQueuesAndTheProcess) {
  LocalCluster cluster;
  TopologyBuilder b;
  b.setSpout("nums", SeqSpout("topology-metrics", 300), 1);
  b.setBolt("sink", RecordingBolt("topology-metrics"), 2).shuffleGrouping("nums");
  cluster.submitTopology("tm", testConfig(1), b.createTopology());
  internal::RunningTopology* t = cluster.impl().find("tm");
  ASSERT_NE(t, nullptr);
  ui::TopologyMetrics m(*t);
  std::string text;
  ASSERT_TRUE(waitFor(
      [&] {
        text = m.text();
        return sample(text, "squall_emitted_total", "task=\"2\",stream=\"default\"").value_or(0) ==
                   300 &&
               sample(text, "squall_executed_total", "task=\"3\",source_component=\"nums\"")
                       .value_or(0) > 0;
      },
      20s))
      << text;
  EXPECT_NE(text.find("squall_emitted_total{topology=\"tm\",component=\"nums\",task=\"2\","
                      "stream=\"default\"} 300\n"),
            std::string::npos)
      << text;
  // Every executor's queue: the spout's, two sink executors', the acker's.
  EXPECT_EQ(sample(text, "squall_receive_queue_capacity", "component=\"sink\",executor=\"[3-3]\""),
            std::optional<double>(32768));
  EXPECT_GE(sample(text, "squall_receive_queue_depth", "component=\"__acker\"").value_or(-1), 0);
  EXPECT_EQ(text.find("squall_send_queue_depth"), std::string::npos);  // one process: none
  EXPECT_GT(sample(text, "process_resident_memory_bytes").value_or(0), 0);
  EXPECT_EQ(sample(text, "squall_topology_active", "topology=\"tm\""), std::optional<double>(1));
  cluster.killTopologyWithOpts("tm", KillOptions{0});
}

TEST(TopologyMetrics, BackpressureFlagIsSetWhileTheQueueIsFullAndClearsOnceItDrains) {
  auto budget = std::make_shared<std::atomic<int64_t>>(200);
  auto gate = std::make_shared<Gate>();
  LocalCluster cluster;
  TopologyBuilder b;
  b.setSpout("src", BudgetSpout(budget), 1);
  b.setBolt("slow", GatedBolt(gate), 1).shuffleGrouping("src");
  Config conf = testConfig(0);
  conf.set(Config::TOPOLOGY_EXECUTOR_RECEIVE_BUFFER_SIZE, 16);
  cluster.submitTopology("bp", conf, b.createTopology());
  internal::RunningTopology* t = cluster.impl().find("bp");
  ASSERT_NE(t, nullptr);
  ui::TopologyMetrics m(*t);
  const std::string slow = "component=\"slow\"";
  std::string text;
  // 200 tuples into a queue of 16 whose bolt holds the first one: the spout meets a full queue.
  ASSERT_TRUE(waitFor(
      [&] {
        text = m.text();
        return sample(text, "squall_executor_backpressure", slow) == std::optional<double>(1);
      },
      20s))
      << text;
  EXPECT_EQ(sample(text, "squall_executor_backpressure_engaged_total", slow),
            std::optional<double>(1))
      << text;
  EXPECT_EQ(sample(text, "squall_executor_backpressure", "component=\"src\""),
            std::optional<double>(0))
      << text;
  gate->open();
  ASSERT_TRUE(waitFor(
      [&] {
        text = m.text();
        return gate->executed.load() == 200 &&
               sample(text, "squall_executor_backpressure", slow) == std::optional<double>(0);
      },
      20s))
      << text;
  EXPECT_GE(sample(text, "squall_executor_backpressure_engaged_total", slow).value_or(0), 1);
  cluster.killTopologyWithOpts("bp", KillOptions{0});
}

TEST(TopologyMetrics, MultilangChildCpuMemoryAndRestarts) {
  auto budget = std::make_shared<std::atomic<int64_t>>(1);
  LocalCluster cluster;
  TopologyBuilder b;
  b.setSpout("src", BudgetSpout(budget), 1);
  ShellCommand spec;
  spec.command = {"/usr/bin/python3",
                  std::string(SQUALL_SOURCE_DIR) + "/tests/multilang_children/busy_bolt.py"};
  spec.env = {{"PYTHONPATH", std::string(SQUALL_SOURCE_DIR) + "/python"},
              {"PYTHONDONTWRITEBYTECODE", "1"}};
  b.setBolt("busy", ShellBolt(spec), 1).shuffleGrouping("src");
  cluster.submitTopology("ml", testConfig(0), b.createTopology());
  internal::RunningTopology* t = cluster.impl().find("ml");
  ASSERT_NE(t, nullptr);
  ui::TopologyMetrics m(*t);
  const std::string task = "component=\"busy\"";
  std::string text;
  ASSERT_TRUE(waitFor(
      [&] {
        text = m.text();
        return sample(text, "squall_multilang_child_up", task) == std::optional<double>(1) &&
               sample(text, "squall_multilang_child_cpu_seconds_total", task).has_value();
      },
      20s))
      << text;
  // A Python interpreter holds more than a megabyte; its start alone costs some CPU.
  EXPECT_GT(sample(text, "squall_multilang_child_resident_memory_bytes", task).value_or(0), 1 << 20)
      << text;
  double cpu0 = sample(text, "squall_multilang_child_cpu_seconds_total", task).value_or(-1);
  EXPECT_GE(cpu0, 0) << text;
  EXPECT_EQ(sample(text, "squall_multilang_child_restarts_total", task), std::optional<double>(0));
  EXPECT_EQ(sample(text, "squall_multilang_child_failures_total", task), std::optional<double>(0));

  // 20 tuples of 20 ms of CPU each: the child's CPU time grows by about 0.4 s.
  budget->store(21);
  ASSERT_TRUE(waitFor(
      [&] {
        text = m.text();
        return sample(text, "squall_multilang_child_cpu_seconds_total", task).value_or(0) >=
               cpu0 + 0.2;
      },
      30s))
      << text;

  // A killed child is restarted by its ShellBolt: a failure, a restart, and a fresh series.
  auto children = t->plan().children.snapshot();
  ASSERT_EQ(children.size(), 1u);
  ASSERT_GT(children[0].pid, 0);
  ASSERT_EQ(::kill(children[0].pid, SIGKILL), 0);
  ASSERT_TRUE(waitFor(
      [&] {
        text = m.text();
        return sample(text, "squall_multilang_child_restarts_total", task) ==
                   std::optional<double>(1) &&
               sample(text, "squall_multilang_child_up", task) == std::optional<double>(1);
      },
      20s))
      << text;
  EXPECT_EQ(sample(text, "squall_multilang_child_failures_total", task), std::optional<double>(1));
  cluster.killTopologyWithOpts("ml", KillOptions{0});
}
