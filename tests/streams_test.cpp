// Named streams and tuple metadata (storm.md 2.2, 2.3, 2.5): several streams per component,
// several inputs per bolt, the source component/stream/task of each tuple, field access.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine_fixtures.h"

using namespace squall;
using namespace squall::engine_test;

namespace {

// Emits 0..19: odd numbers on "odd" as [n], even numbers on "even" as [n, n / 2].
class OddEvenSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    started().add("oddeven.spout", Started{context.getThisTaskId(), context.getThisTaskIndex(),
                                           context.getThisComponentId(),
                                           std::this_thread::get_id(), this});
  }
  void nextTuple() override {
    if (next_ >= 20) return;
    int64_t n = next_++;
    if (n % 2) {
      collector_->emit("odd", Values{n});
    } else {
      collector_->emit("even", Values{n, n / 2});
    }
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declareStream("odd", Fields{"n"});
    d.declareStream("even", Fields{"n", "half"});
  }

 private:
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
};

struct FieldRead {
  std::string stream;
  std::vector<std::string> fields;
  int64_t n = 0;
  int64_t half = -1;
  std::string unknownFieldError;
  std::string outOfRangeError;
  std::string wrongTypeError;
};

Recorder<FieldRead>& fieldReads() {
  static Recorder<FieldRead> r;
  return r;
}

// Reads its input by field name, and probes the errors of a wrong name, index and type.
class FieldReaderBolt : public BaseBasicBolt {
 public:
  void execute(const Tuple& t, BasicOutputCollector&) override {
    FieldRead r;
    r.stream = t.getSourceStreamId();
    r.fields = t.getFields().toList();
    r.n = t.getLongByField("n");
    if (t.contains("half")) {
      r.half = t.getIntegerByField("half");
      EXPECT_EQ(t.fieldIndex("half"), 1u);
      EXPECT_EQ(t.select(Fields{"half", "n"}), (Values{r.half, r.n}));
    }
    try {
      t.getValueByField("nope");
    } catch (const IllegalArgumentException& e) {
      r.unknownFieldError = e.what();
    }
    try {
      t.getValue(7);
    } catch (const IllegalArgumentException& e) {
      r.outOfRangeError = e.what();
    }
    try {
      t.getStringByField("n");
    } catch (const ClassCastException& e) {
      r.wrongTypeError = e.what();
    }
    fieldReads().add("reader", r);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}
};

TEST(Streams, EachStreamReachesOnlyItsSubscribers) {
  TopologyBuilder b;
  b.setSpout("spout", OddEvenSpout(), 1);
  b.setBolt("odds", RecordingBolt("odds"), 2).shuffleGrouping("spout", "odd");
  b.setBolt("evens", RecordingBolt("evens"), 2).shuffleGrouping("spout", "even");
  b.setBolt("reader", FieldReaderBolt(), 1)
      .shuffleGrouping("spout", "odd")
      .shuffleGrouping("spout", "even");
  LocalCluster cluster;
  cluster.submitTopology("streams", testConfig(1), b.createTopology());
  ASSERT_TRUE(waitFor([] {
    return dataCount("odds") >= 10 && dataCount("evens") >= 10 &&
           fieldReads().count("reader") >= 20;
  })) << describe(cluster.getErrors("streams"));
  cluster.killTopologyWithOpts("streams", KillOptions{0});

  auto spoutTasks = tasksOf("oddeven.spout");
  ASSERT_EQ(spoutTasks.size(), 1u);
  for (const char* label : {"odds", "evens"}) {
    auto s = dataSeen(label);
    ASSERT_EQ(s.size(), 10u) << label;
    std::set<int64_t> ns;
    for (const auto& e : s) {
      EXPECT_EQ(e.component, "spout");
      EXPECT_EQ(e.sourceTask, spoutTasks[0]);
      ns.insert(e.values.at(0).asInt());
      if (std::string(label) == "odds") {
        EXPECT_EQ(e.stream, "odd");
        EXPECT_EQ(e.values.size(), 1u);
        EXPECT_EQ(e.values.at(0).asInt() % 2, 1);
      } else {
        EXPECT_EQ(e.stream, "even");
        ASSERT_EQ(e.values.size(), 2u);
        EXPECT_EQ(e.values.at(0).asInt() % 2, 0);
        EXPECT_EQ(e.values.at(1).asInt(), e.values.at(0).asInt() / 2);
      }
    }
    EXPECT_EQ(ns.size(), 10u) << label;
  }

  auto reads = fieldReads().get("reader");
  ASSERT_EQ(reads.size(), 20u);
  std::set<int64_t> ns;
  for (const auto& r : reads) {
    SCOPED_TRACE("n=" + std::to_string(r.n));
    ns.insert(r.n);
    if (r.n % 2) {
      EXPECT_EQ(r.stream, "odd");
      EXPECT_EQ(r.fields, (std::vector<std::string>{"n"}));
      EXPECT_EQ(r.half, -1);
    } else {
      EXPECT_EQ(r.stream, "even");
      EXPECT_EQ(r.fields, (std::vector<std::string>{"n", "half"}));
      EXPECT_EQ(r.half, r.n / 2);
    }
    // A wrong field name names the field, the stream and the fields it does have.
    EXPECT_NE(r.unknownFieldError.find("'nope'"), std::string::npos) << r.unknownFieldError;
    EXPECT_NE(r.unknownFieldError.find("spout:" + r.stream), std::string::npos)
        << r.unknownFieldError;
    EXPECT_NE(r.unknownFieldError.find("n"), std::string::npos) << r.unknownFieldError;
    EXPECT_NE(r.outOfRangeError.find("index 7"), std::string::npos) << r.outOfRangeError;
    EXPECT_NE(r.outOfRangeError.find(r.stream), std::string::npos) << r.outOfRangeError;
    EXPECT_NE(r.wrongTypeError.find("string"), std::string::npos) << r.wrongTypeError;
  }
  EXPECT_EQ(ns.size(), 20u);
}

TEST(Streams, ABoltMayConsumeSeveralComponents) {
  TopologyBuilder b;
  b.setSpout("a", SeqSpout("merge.a", 10), 2);
  b.setSpout("b", SeqSpout("merge.b", 10, 10, "other"), 1);
  b.setBolt("merge", RecordingBolt("merge"), 2)
      .shuffleGrouping("a")
      .fieldsGrouping("b", "other", Fields{"key"});
  LocalCluster cluster;
  cluster.submitTopology("merge", testConfig(1), b.createTopology());
  ASSERT_TRUE(waitFor([] { return dataCount("merge") >= 30; }))
      << describe(cluster.getErrors("merge"));
  cluster.killTopologyWithOpts("merge", KillOptions{0});

  auto aTasks = tasksOf("merge.a");
  auto bTasks = tasksOf("merge.b");
  ASSERT_EQ(aTasks.size(), 2u);
  ASSERT_EQ(bTasks.size(), 1u);
  auto s = dataSeen("merge");
  ASSERT_EQ(s.size(), 30u);
  std::map<std::pair<std::string, int>, std::set<int64_t>> bySource;
  for (const auto& e : s) {
    if (e.component == "a") {
      EXPECT_EQ(e.stream, "default");
      EXPECT_TRUE(e.sourceTask == aTasks[0] || e.sourceTask == aTasks[1]) << e.sourceTask;
    } else {
      EXPECT_EQ(e.component, "b");
      EXPECT_EQ(e.stream, "other");
      EXPECT_EQ(e.sourceTask, bTasks[0]);
    }
    bySource[{e.component, e.sourceTask}].insert(e.values.at(1).asInt());
  }
  ASSERT_EQ(bySource.size(), 3u);
  for (const auto& [src, ns] : bySource) EXPECT_EQ(ns.size(), 10u) << src.first << src.second;
}

TEST(Streams, EachSubscriptionHasItsOwnGrouping) {
  TopologyBuilder b;
  b.setSpout("spout", OddEvenSpout(), 1);
  // Odd numbers by fields (one task each), even numbers to all (both tasks).
  b.setBolt("both", RecordingBolt("both"), 2)
      .fieldsGrouping("spout", "odd", Fields{"n"})
      .allGrouping("spout", "even");
  LocalCluster cluster;
  cluster.submitTopology("both", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([] { return dataCount("both") >= 30; }))
      << describe(cluster.getErrors("both"));
  cluster.killTopologyWithOpts("both", KillOptions{0});

  auto s = dataSeen("both");
  ASSERT_EQ(s.size(), 30u);
  std::map<int64_t, std::set<int>> tasksOfN;
  for (const auto& e : s) tasksOfN[e.values.at(0).asInt()].insert(e.task);
  ASSERT_EQ(tasksOfN.size(), 20u);
  for (const auto& [n, tasks] : tasksOfN) EXPECT_EQ(tasks.size(), n % 2 ? 1u : 2u) << n;
}

// Emits once on an undeclared stream, then (after its restart) once with too few values.
class BadStreamSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
  }
  void nextTuple() override {
    size_t attempt = events().count("badstream");
    if (attempt >= 3) return;
    events().add("badstream", "emit");
    if (attempt == 0) collector_->emit("nope", Values{"k", 1});
    if (attempt == 1) collector_->emit(Values{"only-one"});
    if (attempt == 2) collector_->emit(Values{"k", 2});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"key", "n"}); }

 private:
  SpoutOutputCollector* collector_ = nullptr;
};

TEST(Streams, EmitOnAnUndeclaredStreamOrWithTheWrongArityIsReported) {
  TopologyBuilder b;
  b.setSpout("src", BadStreamSpout(), 1);
  b.setBolt("sink", RecordingBolt("badstream.sink"), 1).shuffleGrouping("src");
  LocalCluster cluster;
  cluster.submitTopology("badstream", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([] { return dataCount("badstream.sink") >= 1; }))
      << describe(cluster.getErrors("badstream"));
  auto errors = cluster.getErrors("badstream");
  cluster.killTopologyWithOpts("badstream", KillOptions{0});

  EXPECT_TRUE(hasErrorContaining(errors, "src", "undeclared stream 'nope'")) << describe(errors);
  EXPECT_TRUE(hasErrorContaining(errors, "src", "emitted 1 values on stream 'default'"))
      << describe(errors);
  auto s = dataSeen("badstream.sink");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].values, (Values{"k", 2}));
}

}  // namespace
