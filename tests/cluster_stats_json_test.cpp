// Executors' statistics and errors on their way from a worker to ZooKeeper: the worker's report
// (cluster/worker_report.h) and the heartbeat's executor_stats (cluster_json.h) round-trip,
// stay bounded, and malformed input is refused naming where and what.

#include <gtest/gtest.h>

#include <string>

#include "cluster/cluster_json.h"
#include "cluster/stats_json.h"
#include "cluster/worker_report.h"

using namespace squall::cluster;

namespace {

ExecutorStats spoutStats() {
  ExecutorStats s;
  s.emitted = {{"600", {{"default", 120}, {"__ack_init", 120}}}, {":all-time", {{"default", 900}}}};
  s.transferred = {{"600", {{"default", 120}}}, {":all-time", {{"default", 900}}}};
  s.rate = 0.05;
  SpoutStats sp;
  sp.acked = {{"600", {{"default", 118}}}};
  sp.failed = {{"600", {{"default", 2}}}};
  sp.completeMsAvg = {{"600", {{"default", 3.25}}}};
  s.specific = sp;
  return s;
}

ExecutorStats boltStats() {
  ExecutorStats s;
  s.emitted = {{"10800", {{"default", 7}}}};
  s.transferred = {{"10800", {{"default", 14}}}};
  s.rate = 1;
  BoltStats b;
  StreamId in{"numbers", "default"};
  b.acked = {{"86400", {{in, 40}}}};
  b.failed = {{"86400", {{in, 1}}}};
  b.processMsAvg = {{"86400", {{in, 0.5}}}};
  b.executed = {{"86400", {{in, 41}}}};
  b.executeMsAvg = {{"86400", {{in, 0.25}}}};
  s.specific = b;
  return s;
}

const char* kTraceback =
    "Traceback (most recent call last):\n"
    "  File \"metric_bolt.py\", line 21, in process\n"
    "    check(tup.values[0])\n"
    "ValueError: three is not allowed here \"quoted\" \xc3\xa9\t\n";

std::string reportWithStats(const std::string& stats) {
  return R"({"pid": 42, "executor_stats": )" + stats + R"(, "errors": []})";
}

// The message of the ClusterStateError that decoding `json` throws ("" when it does not).
std::string reportError(const std::string& json) {
  try {
    workerReportFromJson(json, "slot/worker-0.report");
  } catch (const ClusterStateError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(StatsJson, HeartbeatWithStatsRoundTrips) {
  WorkerHeartbeat hb;
  hb.stormId = "ops-1-1700000000";
  hb.executors = {{1, 1}, {2, 3}};
  hb.timeSecs = 1700000001;
  hb.uptimeSecs = 12;
  hb.executorStats = {{{1, 1}, spoutStats()}, {{2, 3}, boltStats()}};
  std::string json = toJson(hb);
  EXPECT_EQ(workerHeartbeatFromJson(json, "/workerbeats/x/n-1"), hb);
  // A heartbeat without statistics (an older worker, or one that has none yet) reads too.
  hb.executorStats.clear();
  EXPECT_EQ(toJson(hb).find("executor_stats"), std::string::npos);
  EXPECT_EQ(workerHeartbeatFromJson(toJson(hb), "/workerbeats/x/n-1"), hb);
}

TEST(StatsJson, ReportWithStatsAndMultiLineErrorsRoundTrips) {
  WorkerReport r;
  r.pid = 4242;
  r.executorStats = {{{1, 1}, spoutStats()}, {{4, 4}, boltStats()}};
  r.errors = {{1, "check", kTraceback, 1700000002}, {7, "sink", "boom", 1700000009}};
  WorkerReport back = workerReportFromJson(toJson(r), "slot/worker-0.report");
  EXPECT_EQ(back, r);
  EXPECT_EQ(back.errors[0].error, kTraceback);  // every line, quotes, tab and UTF-8 intact
}

TEST(StatsJson, LongErrorsAreCutAndSaySo) {
  std::string longText(kMaxErrorChars * 3, 'x');
  longText += "\xc3\xa9";
  std::string kept = boundedErrorText(longText);
  EXPECT_LE(kept.size(), kMaxErrorChars);
  EXPECT_NE(kept.find("(cut: the error was longer than 16 KiB)"), std::string::npos);
  EXPECT_EQ(boundedErrorText(kTraceback), kTraceback);
  // The encoder applies the bound, so the decoder's check never refuses what a worker wrote.
  WorkerReport r;
  r.pid = 1;
  r.errors = {{1, "check", longText, 1}};
  EXPECT_EQ(workerReportFromJson(toJson(r), "f").errors[0].error, kept);
  // Cut on a UTF-8 boundary: no partial sequence before the marker.
  std::string accents;
  while (accents.size() < kMaxErrorChars + 10) accents += "\xc3\xa9";
  std::string cut = boundedErrorText(accents);
  std::string body = cut.substr(0, cut.find("\n... (cut"));
  EXPECT_EQ(body.size() % 2, 0u);
}

TEST(StatsJson, MalformedStatsAreRefusedNamingThePlace) {
  struct Case {
    std::string stats;
    std::string says;
  };
  const Case cases[] = {
      {R"({"a": 1})", "field 'executor_stats': is not a list"},
      {R"([[1, 1]])", "is not [start_task, end_task, {stats}]"},
      {R"([[0, 1, {"bolt": {}}]])", "executor [0-1]: is not a task range"},
      {R"([[3, 2, {"bolt": {}}]])", "executor [3-2]: is not a task range"},
      {R"([[1, 1, {"bolt": {}}], [1, 1, {"bolt": {}}]])", "executor [1-1]: appears twice"},
      {R"([[1, 1, {}]])", "needs exactly one of 'spout', 'bolt'"},
      {R"([[1, 1, {"spout": {}, "bolt": {}}]])", "needs exactly one of 'spout', 'bolt'"},
      {R"([[1, 1, {"bolt": {}, "emitted": {"60": {"default": 1}}}]])",
       "'emitted': has window '60', not one of 600, 10800, 86400, :all-time"},
      {R"([[1, 1, {"bolt": {}, "emitted": {"600": {"default": -1}}}]])",
       "'emitted'[600][default]: is not a non-negative integer"},
      {R"([[1, 1, {"bolt": {}, "emitted": {"600": {"default": "7"}}}]])",
       "is not a non-negative integer"},
      {R"([[1, 1, {"bolt": {}, "emitted": {"600": [1]}}]])", "is not an object of streams"},
      {R"([[1, 1, {"spout": {"complete_ms_avg": {"600": {"s": -0.5}}}}]])",
       "executor [1-1] spout 'complete_ms_avg'[600][s]: is not a non-negative number"},
      {R"([[1, 1, {"bolt": {"acked": {"600": [["c", "s"]]}}}]])",
       "holds an entry that is not [component, stream, value]"},
      {R"([[1, 1, {"bolt": {"acked": {"600": [[1, "s", 1]]}}}]])", "component: is not a string"},
      {R"([[1, 1, {"bolt": {}, "rate": true}]])", "'rate': is not a non-negative number"},
  };
  for (const auto& c : cases) {
    std::string message = reportError(reportWithStats(c.stats));
    EXPECT_NE(message.find("slot/worker-0.report"), std::string::npos) << c.stats;
    EXPECT_NE(message.find(c.says), std::string::npos) << c.stats << " -> " << message;
  }
  // The heartbeat's node names itself the same way.
  try {
    workerHeartbeatFromJson(R"({"storm_id": "t", "time_secs": 1, "executor_stats": 5})",
                            "/workerbeats/t/n-6700");
    FAIL() << "accepted executor_stats: 5";
  } catch (const ClusterStateError& e) {
    EXPECT_STREQ(e.what(), "node /workerbeats/t/n-6700: field 'executor_stats': is not a list");
  }
}

TEST(StatsJson, DecodingIsBounded) {
  // Too many executors, too many streams in a window.
  std::string many = "[";
  for (size_t i = 1; i <= kMaxStatExecutors + 1; ++i) {
    many += (i > 1 ? "," : "") + std::string("[") + std::to_string(i) + "," + std::to_string(i) +
            R"(,{"bolt":{}}])";
  }
  many += "]";
  EXPECT_NE(reportError(reportWithStats(many)).find("has more than 10000 executors"),
            std::string::npos);
  std::string streams = R"([[1, 1, {"bolt": {}, "emitted": {"600": {)";
  for (size_t i = 0; i <= kMaxStatKeys; ++i) {
    streams += (i ? "," : "") + std::string("\"s") + std::to_string(i) + "\": 1";
  }
  streams += "}}}]]";
  EXPECT_NE(reportError(reportWithStats(streams)).find("has more than 1000 streams"),
            std::string::npos);
  // A report larger than its bound is refused before it is parsed.
  std::string huge = R"({"pid": 1, "pad": ")" + std::string(kMaxReportBytes, 'x') + "\"}";
  EXPECT_NE(reportError(huge).find("more than a report's 1048576"), std::string::npos);
}

TEST(StatsJson, MalformedReportsAreRefused) {
  EXPECT_NE(reportError("{").find("slot/worker-0.report: not JSON at offset 1"), std::string::npos);
  EXPECT_NE(reportError("[]").find("is not a JSON object"), std::string::npos);
  EXPECT_NE(reportError(R"({"errors": []})").find("field 'pid' is missing"), std::string::npos);
  auto withErrors = [](const std::string& errors) {
    return R"({"pid": 3, "errors": )" + errors + "}";
  };
  EXPECT_NE(reportError(withErrors("{}")).find("field 'errors': is not a list"), std::string::npos);
  EXPECT_NE(reportError(withErrors(R"([{"seq": 1, "component": "c"}])"))
                .find("without seq, component, error and error_time_secs"),
            std::string::npos);
  std::string twice =
      R"([{"seq": 2, "component": "c", "error": "a", "error_time_secs": 1},
          {"seq": 2, "component": "c", "error": "b", "error_time_secs": 1}])";
  EXPECT_NE(reportError(withErrors(twice)).find("seq 2 does not follow 2"), std::string::npos);
  std::string tooLong = R"([{"seq": 1, "component": "c", "error": ")" +
                        std::string(kMaxErrorChars + 1, 'e') + R"(", "error_time_secs": 1}])";
  EXPECT_NE(reportError(withErrors(tooLong)).find("error 1 is longer than 16384 bytes"),
            std::string::npos);
  std::string tooMany = "[";
  for (size_t i = 1; i <= kMaxReportErrors + 1; ++i) {
    tooMany += (i > 1 ? "," : "") + std::string(R"({"seq": )") + std::to_string(i) +
               R"(, "component": "c", "error": "e", "error_time_secs": 1})";
  }
  tooMany += "]";
  EXPECT_NE(reportError(withErrors(tooMany)).find("has more than 20 errors"), std::string::npos);
}
