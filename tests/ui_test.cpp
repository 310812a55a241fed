// Storm's UI REST API and /metrics (src/ui): the rolling windows (stats/rolling_window.h), the
// JSON of each path with Storm's field names (storm.md 7.2), the Prometheus text, the path
// parser on hostile input, and the request handler against a running topology.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <squall/squall.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

#include "engine_fixtures.h"
#include "stats/rolling_window.h"
#include "stats/task_totals.h"
#include "ui/bounded_server.h"
#include "ui/prometheus.h"
#include "ui/storm_api.h"
#include "ui/ui_server.h"

using namespace squall;
using namespace squall::testing;
using namespace squall::engine_test;
using namespace std::chrono_literals;
using internal::RollingWindow;
using internal::TaskTotals;
using internal::Totals;

namespace {

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

TaskTotals withEmitted(uint64_t n) {
  TaskTotals t;
  Totals o;
  o.emitted = n;
  o.transferred = 2 * n;
  t.outputs.push_back(o);
  t.busyNs = n * 1000;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Rolling windows.

TEST(RollingWindow, CountsWhatTheLastTenMinutesAdded) {
  RollingWindow<TaskTotals> w(600);  // 20 buckets of 30 s
  w.observe(0, TaskTotals{});
  // One tuple a second for an hour.
  for (int64_t s = 1; s <= 3600; ++s) w.observe(s, withEmitted(static_cast<uint64_t>(s)));
  TaskTotals now = w.since(3600, withEmitted(3600));
  // Storm's window covers between 570 and 600 s of the past.
  EXPECT_GE(now.outputs[0].emitted, 570u);
  EXPECT_LE(now.outputs[0].emitted, 600u);
  EXPECT_EQ(now.outputs[0].transferred, 2 * now.outputs[0].emitted);
  EXPECT_LE(w.copies(), 22u) << "memory must stay bounded";
}

TEST(RollingWindow, YoungerThanTheWindowCountsEverything) {
  RollingWindow<TaskTotals> w(10800);
  w.observe(100, TaskTotals{});  // the topology started at 100
  for (int64_t s = 101; s <= 400; ++s) w.observe(s, withEmitted(static_cast<uint64_t>(s - 100)));
  EXPECT_EQ(w.since(400, withEmitted(300)).outputs[0].emitted, 300u);
}

TEST(RollingWindow, IdleTopologyShowsZero) {
  RollingWindow<TaskTotals> w(600);
  w.observe(0, TaskTotals{});
  for (int64_t s = 1; s <= 100; ++s) w.observe(s, withEmitted(50));
  for (int64_t s = 101; s <= 2000; ++s) w.observe(s, withEmitted(50));
  EXPECT_EQ(w.since(2000, withEmitted(50)).outputs[0].emitted, 0u);
  EXPECT_EQ(w.since(2000, withEmitted(50)).busyNs, 0u);
}

TEST(RollingWindow, SubtractionNeverWrapsBelowZero) {
  Totals a, b;
  a.acked = 3;
  b.acked = 5;  // a racing read saw the later value first
  a -= b;
  EXPECT_EQ(a.acked, 0u);
}

// ---------------------------------------------------------------------------------------------
// JSON of each path, from a hand-made snapshot.

class Noop : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
  void execute(const Tuple&) override {}
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"word"}); }
};

struct Fixture {
  std::shared_ptr<internal::TopologyPlan> plan;
  ui::TopologySnapshot t;
  ui::ServerInfo server{"host1", 8080, "9.9.9", 12, 1000};
  std::vector<std::string> spoutStreams{"default"};
  std::vector<std::pair<std::string, std::string>> spoutInputs;
  std::vector<std::string> boltStreams{"default"};
  std::vector<std::pair<std::string, std::string>> boltInputs{{"__system", "__tick"},
                                                              {"words", "default"}};

  Fixture() {
    TopologyBuilder b;
    b.setSpout("words", SeqSpout("ui", 0), 1);
    b.setBolt("count", Noop(), 2).shuffleGrouping("words");
    plan = internal::TopologyPlan::build("wc", "wc-1-100", testConfig(1), b.createTopology());
    t.plan = plan.get();
    t.id = "wc-1-100";
    t.name = "wc";
    t.status = "ACTIVE";
    t.uptimeSecs = 100;
    t.tasksTotal = plan->numTasks();
    for (const auto& [id, cp] : plan->components) {
      for (const auto& ep : cp.executors) t.executors.push_back(ep);
    }
    for (auto& w : t.windows) {
      ui::TaskSample spout;
      spout.task = plan->component("words").tasks[0];
      spout.component = "words";
      spout.executorStart = spout.executorEnd = spout.task;
      spout.outputStreams = &spoutStreams;
      spout.inputs = &spoutInputs;
      Totals o;
      o.emitted = 100;
      o.transferred = 100;
      o.acked = 98;
      o.failed = 2;
      o.completeSamples = 5;
      o.completeNs = 10'000'000;  // 2 ms average
      spout.totals.outputs.push_back(o);
      w.push_back(spout);
      for (int task : plan->component("count").tasks) {
        ui::TaskSample bolt;
        bolt.task = task;
        bolt.component = "count";
        bolt.executorStart = bolt.executorEnd = task;
        bolt.outputStreams = &boltStreams;
        bolt.inputs = &boltInputs;
        bolt.totals.outputs.push_back(Totals{});
        Totals tick;
        tick.executed = 7;  // a system input: hidden unless sys=1
        Totals in;
        in.executed = 50;
        in.acked = 49;
        in.failed = 1;
        in.executeSamples = 2;
        in.executeNs = 3'000'000;  // 1.5 ms
        in.processSamples = 2;
        in.processNs = 5'000'000;  // 2.5 ms
        bolt.totals.inputs = {tick, in};
        bolt.busyNsTenMinutes = task == plan->component("count").tasks[0] ? 50'000'000'000 : 0;
        w.push_back(bolt);
      }
    }
    t.executorsTotal = static_cast<int>(t.executors.size());
    t.errors.push_back(ReportedError{"count", plan->component("count").tasks[0],
                                     "Traceback (most recent call last):\n  File \"x.py\", line "
                                     "3, in process\nValueError: bad",
                                     990});
  }
};

TEST(StormApiJson, TopologyPageHasStormsFields) {
  Fixture f;
  auto d = parse(ui::topologyJson(f.server, f.t, ui::kAllTime, false));
  EXPECT_STREQ(d["id"].GetString(), "wc-1-100");
  EXPECT_STREQ(d["name"].GetString(), "wc");
  EXPECT_STREQ(d["status"].GetString(), "ACTIVE");
  EXPECT_EQ(d["uptimeSeconds"].GetInt(), 100);
  EXPECT_STREQ(d["uptime"].GetString(), "1m 40s");
  EXPECT_STREQ(d["window"].GetString(), ":all-time");
  ASSERT_EQ(d["topologyStats"].Size(), 4u);
  EXPECT_STREQ(d["topologyStats"][0]["window"].GetString(), "600");
  EXPECT_STREQ(d["topologyStats"][3]["windowPretty"].GetString(), "All time");
  EXPECT_EQ(d["topologyStats"][3]["acked"].GetUint64(), 98u);

  ASSERT_EQ(d["spouts"].Size(), 1u);
  const auto& s = d["spouts"][0];
  EXPECT_STREQ(s["spoutId"].GetString(), "words");
  EXPECT_EQ(s["emitted"].GetUint64(), 100u);
  EXPECT_EQ(s["acked"].GetUint64(), 98u);
  EXPECT_EQ(s["failed"].GetUint64(), 2u);
  EXPECT_STREQ(s["completeLatency"].GetString(), "2.000");
  EXPECT_STREQ(s["lastError"].GetString(), "");

  ASSERT_EQ(d["bolts"].Size(), 1u) << "__acker is a system component, hidden without sys=1";
  const auto& b = d["bolts"][0];
  EXPECT_STREQ(b["boltId"].GetString(), "count");
  EXPECT_EQ(b["executors"].GetInt(), 2);
  EXPECT_EQ(b["tasks"].GetInt(), 2);
  EXPECT_EQ(b["executed"].GetUint64(), 100u) << "the __tick input is a system stream";
  EXPECT_EQ(b["acked"].GetUint64(), 98u);
  EXPECT_STREQ(b["executeLatency"].GetString(), "1.500");
  EXPECT_STREQ(b["processLatency"].GetString(), "2.500");
  // 50 s busy in the first executor over min(uptime, 600) = 100 s; capacity is the max.
  EXPECT_STREQ(b["capacity"].GetString(), "0.500");
  EXPECT_NE(std::string(b["lastError"].GetString()).find("ValueError: bad"), std::string::npos);
  EXPECT_EQ(b["errorLapsedSecs"].GetInt(), 10);

  auto withSys = parse(ui::topologyJson(f.server, f.t, 0, true));
  EXPECT_EQ(withSys["bolts"].Size(), 2u);
  EXPECT_STREQ(withSys["window"].GetString(), "600");
}

TEST(StormApiJson, ComponentPageHasStatsByStreamExecutorsAndTracebacks) {
  Fixture f;
  auto d = parse(ui::componentJson(f.server, f.t, "count", ui::kAllTime, false));
  EXPECT_STREQ(d["componentType"].GetString(), "bolt");
  EXPECT_STREQ(d["topologyId"].GetString(), "wc-1-100");
  ASSERT_EQ(d["boltStats"].Size(), 4u);
  ASSERT_EQ(d["inputStats"].Size(), 1u);
  EXPECT_STREQ(d["inputStats"][0]["component"].GetString(), "words");
  EXPECT_STREQ(d["inputStats"][0]["stream"].GetString(), "default");
  EXPECT_EQ(d["inputStats"][0]["executed"].GetUint64(), 100u);
  ASSERT_EQ(d["outputStats"].Size(), 1u);
  ASSERT_EQ(d["executorStats"].Size(), 2u);
  std::string id = d["executorStats"][0]["id"].GetString();
  EXPECT_EQ(id.front(), '[');
  EXPECT_STREQ(d["executorStats"][0]["capacity"].GetString(), "0.500");
  ASSERT_EQ(d["componentErrors"].Size(), 1u);
  EXPECT_STREQ(d["componentErrors"][0]["error"].GetString(),
               "Traceback (most recent call last):\n  File \"x.py\", line 3, in process\n"
               "ValueError: bad");

  auto spout = parse(ui::componentJson(f.server, f.t, "words", ui::kAllTime, false));
  EXPECT_STREQ(spout["componentType"].GetString(), "spout");
  ASSERT_EQ(spout["spoutSummary"].Size(), 4u);
  EXPECT_STREQ(spout["outputStats"][0]["completeLatency"].GetString(), "2.000");

  try {
    ui::componentJson(f.server, f.t, "nope", 0, false);
    FAIL() << "an unknown component must be refused";
  } catch (const ui::ApiError& e) {
    EXPECT_EQ(e.status(), 404);
  }
}

TEST(StormApiJson, SummariesVisualizationLagAndErrors) {
  Fixture f;
  auto cluster = parse(ui::clusterSummaryJson(f.server, {f.t}));
  EXPECT_EQ(cluster["topologies"].GetInt(), 1);
  EXPECT_EQ(cluster["tasksTotal"].GetInt(), f.t.tasksTotal);
  EXPECT_STREQ(cluster["stormVersion"].GetString(), "9.9.9");
  auto nimbus = parse(ui::nimbusSummaryJson(f.server));
  EXPECT_STREQ(nimbus["nimbuses"][0]["status"].GetString(), "Leader");
  auto sup = parse(ui::supervisorSummaryJson(f.server, {f.t}));
  EXPECT_EQ(sup["supervisors"][0]["slotsUsed"].GetInt(), 1);
  auto topos = parse(ui::topologySummaryJson(f.server, {f.t}));
  EXPECT_STREQ(topos["topologies"][0]["id"].GetString(), "wc-1-100");

  auto vis = parse(ui::visualizationJson(f.server, f.t, ui::kAllTime, false));
  ASSERT_TRUE(vis.HasMember("count"));
  EXPECT_STREQ(vis["count"][":type"].GetString(), "bolt");
  EXPECT_STREQ(vis["count"][":inputs"][0][":component"].GetString(), "words");
  EXPECT_STREQ(vis["count"][":inputs"][0][":grouping"].GetString(), "shuffle");
  EXPECT_FALSE(vis.HasMember("__acker"));

  std::vector<ui::KafkaPartitionSample> kafka{{"words", 1, "t", 0, 10, 15, 5, 10},
                                              {"words", 1, "t", 1, 3, 3, 0, 3}};
  auto lag = parse(ui::lagJson(f.t, kafka));
  EXPECT_STREQ(lag["words"]["spoutType"].GetString(), "KAFKA");
  EXPECT_EQ(lag["words"]["spoutLagResult"]["t"]["0"]["lag"].GetInt(), 5);
  EXPECT_EQ(lag["words"]["spoutLagResult"]["t"]["1"]["logHeadOffset"].GetInt(), 3);

  auto err = parse(ui::errorJson(404, "topology 'x' is not alive"));
  EXPECT_STREQ(err["error"].GetString(), "404 Not Found");
  EXPECT_STREQ(err["errorMessage"].GetString(), "topology 'x' is not alive");
  EXPECT_THROW(ui::parseWindow("601"), ui::ApiError);
  EXPECT_EQ(ui::parseWindow("10800"), 1u);
  EXPECT_EQ(ui::parseWindow(""), ui::kAllTime);
}

TEST(StormApiJson, InvalidUtf8InAnErrorStaysValidJson) {
  Fixture f;
  f.t.errors.push_back(ReportedError{"words", 1, std::string("bad \xff\xfe bytes\xe2\x82"), 999});
  auto d = parse(ui::componentJson(f.server, f.t, "words", ui::kAllTime, false));
  EXPECT_STREQ(d["componentErrors"][0]["error"].GetString(),
               "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Prometheus, ExposesCountersLatenciesCapacityAndTaskMetrics) {
  Fixture f;
  ui::PrometheusInput in;
  in.topology = &f.t;
  MetricSample seen;
  seen.component = "count";
  seen.task = 3;
  seen.name = "words \"seen\"";
  seen.value = Value(int64_t{42});
  seen.updates = 2;
  in.metrics.push_back(seen);
  in.kafka.push_back(ui::KafkaPartitionSample{"words", 1, "t", 0, 10, 15, 5, 10});
  std::string text = ui::prometheusText({in});
  EXPECT_NE(text.find("# TYPE squall_emitted_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("squall_emitted_total{topology=\"wc\",component=\"words\",task=\"" +
                      std::to_string(f.plan->component("words").tasks[0]) +
                      "\",stream=\"default\"} 100\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("squall_complete_latency_seconds_sum{"), std::string::npos);
  EXPECT_NE(text.find("squall_capacity{topology=\"wc\",component=\"count\""), std::string::npos);
  EXPECT_NE(text.find("name=\"words \\\"seen\\\"\"} 42\n"), std::string::npos) << text;
  EXPECT_NE(text.find("squall_kafka_lag{"), std::string::npos);
}

TEST(Prometheus, ExposesUserCountersGaugesHistogramsAndMeters) {
  Fixture f;
  MetricsRegistry r;
  r.counter("count", 3, "words").inc(7);
  auto& h = r.histogram("count", 3, "size");
  for (int i = 1; i <= 100; ++i) h.update(i);
  r.meter("count", 3, "rate").mark(5);
  r.gauge("count", 3, "depth", [] { return Value(2.5); });
  ui::PrometheusInput in;
  in.topology = &f.t;
  in.metrics = r.snapshot();
  std::string text = ui::prometheusText({in});
  std::string l = "topology=\"wc\",component=\"count\",task=\"3\"";
  EXPECT_NE(text.find("# TYPE squall_user_counter_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("squall_user_counter_total{" + l + ",name=\"words\"} 7\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("squall_user_gauge{" + l + ",name=\"depth\"} 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE squall_user_histogram summary\n"), std::string::npos);
  EXPECT_NE(text.find("squall_user_histogram{" + l + ",name=\"size\",quantile=\"0.5\"} 50"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("squall_user_histogram_count{" + l + ",name=\"size\"} 100\n"),
            std::string::npos);
  EXPECT_NE(text.find("squall_user_histogram_sum{" + l + ",name=\"size\"} 5050\n"),
            std::string::npos);
  EXPECT_NE(text.find("squall_user_meter_total{" + l + ",name=\"rate\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("squall_user_meter_rate{" + l + ",name=\"rate\",window=\"1m\"}"),
            std::string::npos);
}

TEST(StormApiJson, ComponentPageListsItsTasksMetrics) {
  Fixture f;
  MetricsRegistry r;
  int task = f.plan->component("count").tasks[0];
  r.counter("count", task, "words").inc(7);
  r.update("count", task, "seen", Value(int64_t{4}));
  r.update("words", 1, "other", Value(int64_t{1}));
  f.t.metrics = r.snapshot();
  auto d = parse(ui::componentJson(f.server, f.t, "count", ui::kAllTime, false));
  ASSERT_TRUE(d["taskMetrics"].IsArray());
  ASSERT_EQ(d["taskMetrics"].Size(), 2u) << "only this component's";
  EXPECT_STREQ(d["taskMetrics"][0]["name"].GetString(), "seen");
  EXPECT_STREQ(d["taskMetrics"][0]["type"].GetString(), "reported");
  EXPECT_EQ(d["taskMetrics"][0]["value"].GetInt(), 4);
  EXPECT_EQ(d["taskMetrics"][0]["updates"].GetInt(), 1);
  EXPECT_STREQ(d["taskMetrics"][1]["type"].GetString(), "counter");
  EXPECT_EQ(d["taskMetrics"][1]["value"].GetInt(), 7);
  EXPECT_EQ(d["taskMetrics"][1]["task"].GetInt(), task);
}

// ---------------------------------------------------------------------------------------------
// The request path parser on hostile input.

TEST(UiPath, SplitsAndDecodesSegments) {
  auto p = ui::splitPath("/api/v1/topology/wc-1-2/component/a%20b?window=600");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 6u);
  EXPECT_EQ((*p)[5], "a b");
  EXPECT_FALSE(ui::splitPath("/api/%zz"));
  EXPECT_FALSE(ui::splitPath("/api/%4"));
  EXPECT_FALSE(ui::splitPath("/api/%"));
  EXPECT_FALSE(ui::splitPath("/api/%00x"));
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "/a";
  EXPECT_FALSE(ui::splitPath(many)) << "segments are bounded";
  auto longOne = ui::splitPath("/" + std::string(100000, 'x'));
  ASSERT_TRUE(longOne);
  EXPECT_EQ((*longOne)[0].size(), 100000u);
}

// ---------------------------------------------------------------------------------------------
// The handler against a running topology.

std::string noParam(const std::string&) {
  return "";
}

TEST(UiServer, AnswersStormPathsAndRefusesBadOnes) {
  LocalCluster cluster;
  TopologyBuilder b;
  b.setSpout("nums", SeqSpout("ui-server", 200), 1);
  b.setBolt("sink", RecordingBolt("ui-server"), 2).shuffleGrouping("nums");
  cluster.submitTopology("uitest", testConfig(1), b.createTopology());
  ui::UiOptions opts;
  opts.port = 0;
  ui::UiServer server(cluster, "uitest", opts);
  server.start();
  ASSERT_GT(server.port(), 0);
  std::string id = cluster.getTopologySummaries().at(0).id;

  ASSERT_TRUE(waitFor(
      [&] {
        auto r = server.handle("GET", "/api/v1/topology/" + id, noParam);
        if (r.status != 200) return false;
        auto d = parse(r.body);
        return d["spouts"][0]["emitted"].GetUint64() == 200 &&
               d["bolts"][0]["executed"].GetUint64() == 200;
      },
      20s));
  auto sum = server.handle("GET", "/api/v1/topology/summary", noParam);
  EXPECT_EQ(sum.status, 200);
  EXPECT_STREQ(parse(sum.body)["topologies"][0]["status"].GetString(), "ACTIVE");

  auto comp = server.handle("GET", "/api/v1/topology/" + id + "/component/sink", noParam);
  EXPECT_EQ(comp.status, 200);
  EXPECT_EQ(parse(comp.body)["executorStats"].Size(), 2u);

  auto missing = server.handle("GET", "/api/v1/topology/nope", noParam);
  EXPECT_EQ(missing.status, 404);
  EXPECT_STREQ(parse(missing.body)["error"].GetString(), "404 Not Found");
  EXPECT_EQ(server.handle("GET", "/api/v1/topology/" + id + "/deactivate", noParam).status, 405);
  EXPECT_EQ(server.handle("GET", "/api/v1/nothing/here", noParam).status, 404);
  EXPECT_EQ(server.handle("GET", "/api/v1/topology/%zz", noParam).status, 400);
  auto badWindow = server.handle("GET", "/api/v1/topology/" + id, [](const std::string& k) {
    return k == "window" ? std::string("7") : std::string();
  });
  EXPECT_EQ(badWindow.status, 400);
  auto jsonp = server.handle("GET", "/api/v1/nimbus/summary", [](const std::string& k) {
    return k == "callback" ? std::string("cb") : std::string();
  });
  EXPECT_EQ(jsonp.body.rfind("cb(", 0), 0u);

  auto off = server.handle("POST", "/api/v1/topology/" + id + "/deactivate", noParam);
  EXPECT_EQ(off.status, 200);
  EXPECT_STREQ(parse(off.body)["topologyOperation"].GetString(), "deactivate");
  EXPECT_STREQ(
      parse(server.handle("GET", "/api/v1/topology/" + id, noParam).body)["status"].GetString(),
      "INACTIVE");
  EXPECT_EQ(server.handle("POST", "/api/v1/topology/" + id + "/rebalance/0", noParam).status, 500);
  EXPECT_EQ(server.handle("POST", "/api/v1/topology/" + id + "/kill/x", noParam).status, 400);
  EXPECT_FALSE(server.takeKillRequest());
  EXPECT_EQ(server.handle("POST", "/api/v1/topology/" + id + "/kill/3", noParam).status, 200);
  EXPECT_EQ(server.takeKillRequest(), std::optional<int>(3));
  EXPECT_STREQ(
      parse(
          server.handle("GET", "/api/v1/topology/summary", noParam).body)["topologies"][0]["status"]
          .GetString(),
      "KILLED");
  server.detach();
  EXPECT_EQ(server.handle("GET", "/api/v1/topology/" + id, noParam).status, 404);
  server.stop();
}

TEST(UiServer, ReadOnlyRefusesActions) {
  LocalCluster cluster;
  TopologyBuilder b;
  b.setSpout("nums", SeqSpout("ui-ro", 10), 1);
  cluster.submitTopology("ro", testConfig(0), b.createTopology());
  ui::UiOptions opts;
  opts.actionsEnabled = false;
  ui::UiServer server(cluster, "ro", opts);
  server.start();
  auto r = server.handle("POST", "/api/v1/topology/ro/deactivate", noParam);
  EXPECT_EQ(r.status, 403);
  EXPECT_STREQ(parse(r.body)["error"].GetString(), "403 Forbidden");
  EXPECT_EQ(cluster.getTopologySummaries().at(0).status, TopologyStatus::Active);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The HTTP layer's bounds on a connection.

namespace {

TEST(BoundedServer, StopRightAfterStartEndsTheListener) {
  // httplib's stop() does nothing before its listen loop has begun, and a loop that begins
  // after it runs forever: a UI or /metrics server stopped at once (a test, a failed start)
  // hung its join. Without the wait in stopAll() most of these rounds would hang.
  for (int round = 0; round < 200; ++round) {
    ui::BoundedServer server;
    ASSERT_GT(server.bind_to_any_port("127.0.0.1"), 0);
    std::thread listener = server.listenInBackground();
    server.stopAll();
    listener.join();
  }
}

TEST(BoundedServer, GivesUpOnARequestThatTricklesInPastItsDeadline) {
  ui::BoundedServer server(std::chrono::milliseconds(500));
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread listener = server.listenInBackground();

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  // One header byte every 100 ms: each read is quick, the request never ends.
  std::string request = "GET / HTTP/1.1\r\nX-Slow: " + std::string(100, 'a');
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (char c : request) {
    if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    char buf[256];
    ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      closed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto took = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_TRUE(closed) << "the server kept waiting for a request that never ends";
  EXPECT_LT(took, 5s);
  server.stop();
  listener.join();
}

}  // namespace

namespace {

TEST(BoundedServer, StoppingEndsRequestsStillBeingRead) {
  ui::BoundedServer server;  // the 30 s deadline: stopping must not wait for it
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread listener = server.listenInBackground();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const char partial[] = "GET / HTTP/1.1\r\nX-Slow: a";
  ASSERT_EQ(send(fd, partial, sizeof partial - 1, MSG_NOSIGNAL),
            static_cast<ssize_t>(sizeof partial - 1));
  ASSERT_TRUE(waitFor([&] { return server.openConnections() == 1; }, 10s));
  auto start = std::chrono::steady_clock::now();
  server.stopAll();
  listener.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  close(fd);
}

}  // namespace
