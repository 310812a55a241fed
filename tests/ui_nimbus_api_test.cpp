// `squall ui`'s JSON from nimbus's Thrift structs (src/ui/nimbus_api.h): Storm's ExecutorStats
// summed as Storm's StatsUtil does (counts added, latencies weighted by their counts, capacity
// from the 10-minute window), system streams hidden unless sys, errors newest first, and the
// summaries' fields, on hand-built ClusterSummary and TopologyInfo values.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "ui/nimbus_api.h"

namespace squall {
namespace {

using ui::nimbusapi::Figures;

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

storm::GlobalStreamId input(const std::string& component, const std::string& stream) {
  storm::GlobalStreamId id;
  id.componentId = component;
  id.streamId = stream;
  return id;
}

storm::ExecutorSummary executor(const std::string& component, int start, int end, int port,
                                int uptime) {
  storm::ExecutorSummary e;
  e.executor_info.task_start = start;
  e.executor_info.task_end = end;
  e.component_id = component;
  e.host = "node1";
  e.port = port;
  e.uptime_secs = uptime;
  return e;
}

// A spout executor: in window `w`, `emitted` on default and 7 on __ack_init, acked and failed
// on default with the given complete latency.
storm::ExecutorSummary spoutExecutor(int task, int64_t emitted, int64_t acked, int64_t failed,
                                     double completeMs) {
  storm::ExecutorSummary e = executor("words", task, task, 6700, 100);
  storm::ExecutorStats s;
  for (const char* w : {"600", "10800", "86400", ":all-time"}) {
    s.emitted[w] = {{"default", emitted}, {"__ack_init", 7}};
    s.transferred[w] = {{"default", emitted}, {"__ack_init", 7}};
  }
  storm::SpoutStats spout;
  for (const char* w : {"600", ":all-time"}) {
    spout.acked[w] = {{"default", acked}};
    spout.failed[w] = {{"default", failed}};
    spout.complete_ms_avg[w] = {{"default", completeMs}};
  }
  s.specific.__set_spout(spout);
  s.rate = 1;
  e.__set_stats(s);
  return e;
}

// A bolt executor reading words:default (and __system:__tick, which only sys shows).
storm::ExecutorSummary boltExecutor(int start, int end, int uptime, int64_t executed,
                                    double executeMs, double processMs, int64_t acked) {
  storm::ExecutorSummary e = executor("count", start, end, 6701, uptime);
  storm::ExecutorStats s;
  storm::BoltStats bolt;
  for (const char* w : {"600", "10800", "86400", ":all-time"}) {
    s.emitted[w] = {{"default", executed * 2}};
    s.transferred[w] = {{"default", executed * 2}};
    bolt.executed[w] = {{input("words", "default"), executed}, {input("__system", "__tick"), 1}};
    bolt.execute_ms_avg[w] = {{input("words", "default"), executeMs},
                              {input("__system", "__tick"), 0.5}};
    bolt.process_ms_avg[w] = {{input("words", "default"), processMs}};
    bolt.acked[w] = {{input("words", "default"), acked}};
    bolt.failed[w] = {{input("words", "default"), 1}};
  }
  s.specific.__set_bolt(bolt);
  s.rate = 1;
  e.__set_stats(s);
  return e;
}

ui::nimbusapi::TopologyData topology() {
  ui::nimbusapi::TopologyData t;
  t.info.id = "wc-1-100";
  t.info.name = "wc";
  t.info.status = "ACTIVE";
  t.info.uptime_secs = 300;
  t.info.executors = {spoutExecutor(1, 100, 40, 2, 10.0), spoutExecutor(2, 50, 60, 3, 20.0),
                      boltExecutor(3, 4, 300, 100, 2.0, 4.0, 90),
                      boltExecutor(5, 5, 1200, 300, 1.0, 1.0, 300),
                      executor("__acker", 6, 6, 6701, 300)};
  storm::ErrorInfo old, recent;
  old.error = "old";
  old.error_time_secs = 1000;
  recent.error = "Traceback (most recent call last):\n  File \"b.py\"\nValueError: x";
  recent.error_time_secs = 2000;
  recent.__set_host("node1");
  recent.__set_port(6701);
  t.info.errors["count"] = {old, recent};
  storm::SpoutSpec spout;
  storm::Bolt bolt;
  storm::Grouping fields;
  fields.__set_fields({"word"});
  bolt.common.inputs[input("words", "default")] = fields;
  t.topology.spouts["words"] = spout;
  t.topology.bolts["count"] = bolt;
  t.conf = R"({"topology.message.timeout.secs": 7, "topology.workers": 2})";
  t.workers = 2;
  storm::SupervisorSummary sup;
  sup.host = "node1";
  sup.supervisor_id = "sup-1";
  t.supervisors = {sup};
  return t;
}

ui::ServerInfo server() {
  ui::ServerInfo s;
  s.host = "uihost";
  s.version = "1.2.3";
  s.nowSecs = 2010;
  return s;
}

TEST(NimbusApi, SumsCountsAndWeighsLatenciesAsStormDoes) {
  auto t = topology();
  Figures words = ui::nimbusapi::componentFigures(t.info, "words", ":all-time", false);
  EXPECT_EQ(words.emitted, 150);  // __ack_init left out
  EXPECT_EQ(words.transferred, 150);
  EXPECT_EQ(words.acked, 100);
  EXPECT_EQ(words.failed, 5);
  // (40 × 10 + 60 × 20) / 100
  EXPECT_DOUBLE_EQ(words.completeLatencyMs(), 16.0);
  EXPECT_EQ(ui::nimbusapi::componentFigures(t.info, "words", ":all-time", true).emitted, 164);
  // A window the spouts did not report acks for counts their emits only.
  Figures day = ui::nimbusapi::componentFigures(t.info, "words", "86400", false);
  EXPECT_EQ(day.emitted, 150);
  EXPECT_EQ(day.acked, 0);

  Figures count = ui::nimbusapi::componentFigures(t.info, "count", "600", false);
  EXPECT_EQ(count.executed, 400);
  EXPECT_EQ(count.acked, 390);
  EXPECT_EQ(count.failed, 2);
  EXPECT_EQ(count.emitted, 800);
  // Both latencies weighted by executed: (100 × 2 + 300 × 1) / 400, (100 × 4 + 300 × 1) / 400.
  EXPECT_DOUBLE_EQ(count.executeLatencyMs(), 1.25);
  EXPECT_DOUBLE_EQ(count.processLatencyMs(), 1.75);
  // sys counts the tick tuples too.
  EXPECT_EQ(ui::nimbusapi::componentFigures(t.info, "count", "600", true).executed, 402);

  // Capacity: executed × execute latency over min(uptime, 600) s, ticks included.
  EXPECT_DOUBLE_EQ(ui::nimbusapi::executorCapacity(t.info.executors[2]),
                   (100 * 2.0 + 1 * 0.5) / (300 * 1000.0));
  EXPECT_DOUBLE_EQ(ui::nimbusapi::executorCapacity(t.info.executors[3]),
                   (300 * 1.0 + 1 * 0.5) / (600 * 1000.0));
  EXPECT_EQ(ui::nimbusapi::executorCapacity(t.info.executors[0]), 0);  // a spout
  EXPECT_EQ(ui::nimbusapi::executorCapacity(t.info.executors[4]), 0);  // no stats yet
}

TEST(NimbusApi, TopologyPageHasStormsFieldsAndFigures) {
  auto t = topology();
  auto d = parse(ui::nimbusapi::topologyJson(server(), t, ui::kAllTime, false));
  EXPECT_STREQ(d["id"].GetString(), "wc-1-100");
  EXPECT_STREQ(d["name"].GetString(), "wc");
  EXPECT_STREQ(d["status"].GetString(), "ACTIVE");
  EXPECT_EQ(d["tasksTotal"].GetInt(), 6);
  EXPECT_EQ(d["executorsTotal"].GetInt(), 5);
  EXPECT_EQ(d["workersTotal"].GetInt(), 2);
  EXPECT_EQ(d["msgTimeout"].GetInt(), 7);
  EXPECT_STREQ(d["window"].GetString(), ":all-time");
  EXPECT_EQ(d["configuration"]["topology.workers"].GetInt(), 2);
  ASSERT_EQ(d["topologyStats"].Size(), 4u);
  const auto& all = d["topologyStats"][3];
  EXPECT_STREQ(all["window"].GetString(), ":all-time");
  EXPECT_EQ(all["emitted"].GetInt64(), 150 + 800);
  EXPECT_EQ(all["acked"].GetInt64(), 100);
  EXPECT_STREQ(all["completeLatency"].GetString(), "16.000");

  ASSERT_EQ(d["spouts"].Size(), 1u);
  const auto& words = d["spouts"][0];
  EXPECT_STREQ(words["spoutId"].GetString(), "words");
  EXPECT_EQ(words["executors"].GetInt(), 2);
  EXPECT_EQ(words["tasks"].GetInt(), 2);
  EXPECT_EQ(words["emitted"].GetInt64(), 150);
  EXPECT_STREQ(words["lastError"].GetString(), "");
  EXPECT_TRUE(words["errorTime"].IsNull());

  ASSERT_EQ(d["bolts"].Size(), 1u);  // __acker hidden
  const auto& count = d["bolts"][0];
  EXPECT_STREQ(count["boltId"].GetString(), "count");
  EXPECT_EQ(count["tasks"].GetInt(), 3);
  EXPECT_EQ(count["executed"].GetInt64(), 400);
  EXPECT_STREQ(count["executeLatency"].GetString(), "1.250");
  EXPECT_STREQ(count["processLatency"].GetString(), "1.750");
  EXPECT_STREQ(count["capacity"].GetString(), "0.001");  // the larger: 200.5 / 300000
  EXPECT_EQ(std::string(count["lastError"].GetString()).rfind("Traceback", 0), 0u);
  EXPECT_EQ(count["errorPort"].GetInt(), 6701);
  EXPECT_EQ(count["errorLapsedSecs"].GetInt64(), 10);

  ASSERT_EQ(d["workers"].Size(), 2u);
  EXPECT_EQ(d["workers"][0]["port"].GetInt(), 6700);
  EXPECT_STREQ(d["workers"][0]["supervisorId"].GetString(), "sup-1");
  EXPECT_EQ(d["workers"][0]["componentNumTasks"]["words"].GetInt(), 2);

  auto sys = parse(ui::nimbusapi::topologyJson(server(), t, 0, true));
  EXPECT_EQ(sys["bolts"].Size(), 2u);
  EXPECT_STREQ(sys["window"].GetString(), "600");
}

TEST(NimbusApi, ComponentPageByStreamExecutorAndError) {
  auto t = topology();
  auto d = parse(ui::nimbusapi::componentJson(server(), t, "count", 0, false));
  EXPECT_STREQ(d["componentType"].GetString(), "bolt");
  EXPECT_STREQ(d["topologyId"].GetString(), "wc-1-100");
  EXPECT_EQ(d["executors"].GetInt(), 2);
  ASSERT_EQ(d["boltStats"].Size(), 4u);
  EXPECT_EQ(d["boltStats"][0]["executed"].GetInt64(), 400);
  ASSERT_EQ(d["inputStats"].Size(), 1u);  // __system:__tick hidden
  EXPECT_STREQ(d["inputStats"][0]["component"].GetString(), "words");
  EXPECT_EQ(d["inputStats"][0]["acked"].GetInt64(), 390);
  ASSERT_EQ(d["outputStats"].Size(), 1u);
  EXPECT_EQ(d["outputStats"][0]["emitted"].GetInt64(), 800);
  ASSERT_EQ(d["executorStats"].Size(), 2u);
  EXPECT_STREQ(d["executorStats"][0]["id"].GetString(), "[3-4]");
  EXPECT_EQ(d["executorStats"][0]["executed"].GetInt64(), 100);
  EXPECT_STREQ(d["executorStats"][1]["host"].GetString(), "node1");
  ASSERT_EQ(d["componentErrors"].Size(), 2u);  // newest first, whole
  EXPECT_EQ(d["componentErrors"][0]["errorTime"].GetInt64(), 2000);
  EXPECT_NE(std::string(d["componentErrors"][0]["error"].GetString()).find("\nValueError: x"),
            std::string::npos);
  EXPECT_STREQ(d["componentErrors"][1]["error"].GetString(), "old");

  auto spout = parse(ui::nimbusapi::componentJson(server(), t, "words", ui::kAllTime, false));
  EXPECT_STREQ(spout["componentType"].GetString(), "spout");
  ASSERT_EQ(spout["outputStats"].Size(), 1u);
  EXPECT_EQ(spout["outputStats"][0]["acked"].GetInt64(), 100);
  EXPECT_STREQ(spout["outputStats"][0]["completeLatency"].GetString(), "16.000");
  EXPECT_STREQ(spout["spoutSummary"][3]["completeLatency"].GetString(), "16.000");

  try {
    ui::nimbusapi::componentJson(server(), t, "nope", 0, false);
    FAIL() << "no 404";
  } catch (const ui::ApiError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos);
  }
}

TEST(NimbusApi, VisualizationHasComponentsInputsAndGroupings) {
  auto t = topology();
  auto d = parse(ui::nimbusapi::visualizationJson(t, 0, false));
  EXPECT_FALSE(d.HasMember("__acker"));
  EXPECT_STREQ(d["words"][":type"].GetString(), "spout");
  EXPECT_EQ(d["words"][":stats"].Size(), 2u);
  EXPECT_STREQ(d["count"][":inputs"][0][":component"].GetString(), "words");
  EXPECT_STREQ(d["count"][":inputs"][0][":grouping"].GetString(), "fields");
  EXPECT_EQ(d["count"][":transferred"].GetInt64(), 800);
}

TEST(NimbusApi, SummariesFromClusterInfo) {
  storm::ClusterSummary c;
  storm::SupervisorSummary s;
  s.host = "node1";
  s.supervisor_id = "sup-1";
  s.num_workers = 4;
  s.num_used_workers = 1;
  s.uptime_secs = 61;
  c.supervisors = {s};
  storm::TopologySummary t;
  t.id = "wc-1-100";
  t.name = "wc";
  t.status = "INACTIVE";
  t.num_tasks = 6;
  t.num_executors = 5;
  t.num_workers = 1;
  c.topologies = {t};
  storm::NimbusSummary leader, other;
  leader.host = "n1";
  leader.port = 6627;
  leader.isLeader = true;
  other = leader;
  other.host = "n2";
  other.isLeader = false;
  c.nimbuses = {leader, other};

  auto cluster = parse(ui::nimbusapi::clusterSummaryJson(server(), c));
  EXPECT_EQ(cluster["supervisors"].GetInt(), 1);
  EXPECT_EQ(cluster["topologies"].GetInt(), 1);
  EXPECT_EQ(cluster["slotsTotal"].GetInt(), 4);
  EXPECT_EQ(cluster["slotsFree"].GetInt(), 3);
  EXPECT_EQ(cluster["executorsTotal"].GetInt(), 5);
  EXPECT_STREQ(cluster["stormVersion"].GetString(), "1.2.3");
  auto nimbuses = parse(ui::nimbusapi::nimbusSummaryJson(c));
  EXPECT_STREQ(nimbuses["nimbuses"][0]["status"].GetString(), "Leader");
  EXPECT_STREQ(nimbuses["nimbuses"][1]["status"].GetString(), "Not a Leader");
  EXPECT_EQ(nimbuses["nimbuses"].Size(), 2u);
  auto withSeeds = parse(ui::nimbusapi::nimbusSummaryJson(c, {{"n1", 6627}, {"n3", 6627}}));
  ASSERT_EQ(withSeeds["nimbuses"].Size(), 3u);  // n1 is live; n3 is a seed with no nimbus
  EXPECT_STREQ(withSeeds["nimbuses"][2]["host"].GetString(), "n3");
  EXPECT_STREQ(withSeeds["nimbuses"][2]["status"].GetString(), "Offline");
  auto sups = parse(ui::nimbusapi::supervisorSummaryJson(c));
  EXPECT_STREQ(sups["supervisors"][0]["id"].GetString(), "sup-1");
  EXPECT_STREQ(sups["supervisors"][0]["uptime"].GetString(), "1m 1s");
  EXPECT_EQ(sups["supervisors"][0]["slotsUsed"].GetInt(), 1);
  auto topologies = parse(ui::nimbusapi::topologySummaryJson(c));
  EXPECT_STREQ(topologies["topologies"][0]["status"].GetString(), "INACTIVE");
  EXPECT_STREQ(topologies["topologies"][0]["encodedId"].GetString(), "wc-1-100");
  EXPECT_EQ(topologies["topologies"][0]["workersTotal"].GetInt(), 1);
  auto conf = parse(ui::nimbusapi::configurationJson(
      R"({"nimbus.seeds": ["a"], "x": 1.5, "storm.zookeeper.auth.payload": "user:pw"})"));
  EXPECT_STREQ(conf["nimbus.seeds"][0].GetString(), "a");
  EXPECT_STREQ(conf["storm.zookeeper.auth.payload"].GetString(), "########");
  EXPECT_EQ(conf["x"].GetDouble(), 1.5);
  EXPECT_THROW(ui::nimbusapi::configurationJson("[1]"), ui::ApiError);
  std::string prom = ui::nimbusapi::prometheusText(c);
  EXPECT_NE(prom.find("squall_topology_active{topology=\"wc\",id=\"wc-1-100\"} 0\n"),
            std::string::npos);
  EXPECT_NE(prom.find("squall_cluster_slots_used 1\n"), std::string::npos);
}

// Storm's logconfig page from getLogConfig, and a POST turned into setLogConfig's request the
// way Storm's UI does (a level is an UPDATE with its timeout, none a REMOVE).
TEST(UiNimbusApi, LogConfigBothWays) {
  storm::LogConfig config;
  storm::LogLevel root;
  root.action = storm::LogLevelAction::UNCHANGED;
  root.__set_target_log_level("DEBUG");
  root.__set_reset_log_level("INFO");
  root.__set_reset_log_level_timeout_secs(30);
  root.__set_reset_log_level_timeout_epoch(1700000000000);
  config.__set_named_logger_level({{"ROOT", root}});
  auto d = parse(ui::nimbusapi::logConfigJson(config));
  const auto& r = d["namedLoggerLevels"]["ROOT"];
  EXPECT_STREQ(r["target_level"].GetString(), "DEBUG");
  EXPECT_STREQ(r["reset_level"].GetString(), "INFO");
  EXPECT_EQ(r["timeout"].GetInt(), 30);
  EXPECT_EQ(r["timeout_epoch"].GetInt64(), 1700000000000);
  EXPECT_TRUE(
      parse(ui::nimbusapi::logConfigJson(storm::LogConfig{}))["namedLoggerLevels"].ObjectEmpty());

  auto request = ui::nimbusapi::logConfigRequest(ui::parseLogConfig(
      R"({"namedLoggerLevels": {"ROOT": {"target_level": "debug", "timeout": "60"},
                                "count": {"target_level": null}}})"));
  const auto& named = request.named_logger_level;
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named.at("ROOT").action, storm::LogLevelAction::UPDATE);
  EXPECT_EQ(named.at("ROOT").target_log_level, "DEBUG");
  EXPECT_EQ(named.at("ROOT").reset_log_level_timeout_secs, 60);
  EXPECT_EQ(named.at("count").action, storm::LogLevelAction::REMOVE);
  EXPECT_FALSE(named.at("count").__isset.target_log_level);
  // A bad body is refused before anything reaches nimbus.
  EXPECT_THROW(ui::parseLogConfig(R"({"namedLoggerLevels": {"ROOT": {"target_level": "LOUD"}}})"),
               ui::ApiError);
}

// Storm's /lag: a spout's partitions by topic, or its errorInfo when its brokers failed.
TEST(UiNimbusApi, SpoutLagWithPartitionsOrError) {
  ui::SpoutLag ok;
  ok.spout = "kafka";
  ok.partitions.push_back({"kafka", 0, "in", 1, 7, 10, 3, 0});
  ok.partitions.push_back({"kafka", 0, "in", 0, -1, 4, -1, 0});
  ui::SpoutLag bad;
  bad.spout = "down";
  bad.error = "cannot read the lag of spout 'down': brokers down";
  auto d = parse(ui::spoutLagJson({ok, bad}));
  const auto& k = d["kafka"];
  EXPECT_STREQ(k["spoutId"].GetString(), "kafka");
  EXPECT_STREQ(k["spoutType"].GetString(), "KAFKA");
  const auto& in = k["spoutLagResult"]["in"];
  EXPECT_EQ(in["1"]["consumerCommittedOffset"].GetInt(), 7);
  EXPECT_EQ(in["1"]["logHeadOffset"].GetInt(), 10);
  EXPECT_EQ(in["1"]["lag"].GetInt(), 3);
  EXPECT_EQ(in["0"]["lag"].GetInt(), -1);
  EXPECT_FALSE(d["down"].HasMember("spoutLagResult"));
  EXPECT_STREQ(d["down"]["spoutType"].GetString(), "KAFKA");
  EXPECT_NE(std::string(d["down"]["errorInfo"].GetString()).find("brokers down"),
            std::string::npos);
  EXPECT_TRUE(parse(ui::spoutLagJson({})).ObjectEmpty());
}

}  // namespace
}  // namespace squall
