// Exceptions thrown by user components (storm.md 2.1, 2.2; docs/ARCHITECTURE.md): the
// executor reports them, rebuilds the task and carries on, without touching other topologies;
// a basic bolt's FailedException fails the input instead, and ReportedFailedException also
// reports it.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine_fixtures.h"

using namespace squall;
using namespace squall::engine_test;

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int64_t> bystanderExecuted{0};

// Emits [n] about once a millisecond, forever: a topology that should just keep running.
class PacedSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
  }
  void nextTuple() override {
    auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(1)) return;
    last_ = now;
    collector_->emit(Values{n_++});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

 private:
  SpoutOutputCollector* collector_ = nullptr;
  Clock::time_point last_{};
  int64_t n_ = 0;
};

class BystanderBolt : public BaseBasicBolt {
 public:
  void execute(const Tuple&, BasicOutputCollector&) override { ++bystanderExecuted; }
  void declareOutputFields(OutputFieldsDeclarer&) override {}
};

StormTopology bystander() {
  TopologyBuilder b;
  b.setSpout("spout", PacedSpout(), 1);
  b.setBolt("bolt", BystanderBolt(), 1).shuffleGrouping("spout");
  return b.createTopology();
}

enum class Throw { RuntimeError, NonStd };

// Records [n] of each input, except that it throws on n == `throwOn` (once per process), and
// optionally once in prepare().
class ThrowingBolt : public BaseRichBolt {
 public:
  ThrowingBolt(std::string label, int64_t throwOn, Throw kind = Throw::RuntimeError,
               bool throwInPrepare = false)
      : label_(std::move(label)), throwOn_(throwOn), kind_(kind), throwInPrepare_(throwInPrepare) {}
  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
    started().add(label_, Started{task_, 0, context.getThisComponentId(),
                                  std::this_thread::get_id(), this});
    if (throwInPrepare_ && events().count(label_ + ".prepare-threw") == 0) {
      events().add(label_ + ".prepare-threw", "");
      throw std::runtime_error("cannot prepare " + label_);
    }
  }
  void execute(const Tuple& t) override {
    int64_t n = t.getLongByField("n");
    if (n == throwOn_ && events().count(label_ + ".threw") == 0) {
      events().add(label_ + ".threw", "");
      if (kind_ == Throw::NonStd) throw 42;
      throw std::runtime_error("boom on " + std::to_string(n));
    }
    seen().add(label_, Seen{task_, t.getSourceComponent(), t.getSourceStreamId(),
                            t.getSourceTask(), t.getValues(), false});
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::string label_;
  int64_t throwOn_;
  Throw kind_;
  bool throwInPrepare_;
  OutputCollector* collector_ = nullptr;
  int task_ = 0;
};

std::set<int64_t> numbersSeen(const std::string& label) {
  std::set<int64_t> out;
  for (const auto& s : seen().get(label)) out.insert(s.values.at(1).asInt());
  return out;
}

std::set<int64_t> range(int64_t from, int64_t to, std::set<int64_t> except = {}) {
  std::set<int64_t> out;
  for (int64_t i = from; i < to; ++i) {
    if (!except.count(i)) out.insert(i);
  }
  return out;
}

TEST(UserException, ThrowingBoltIsReportedRebuiltAndTheClusterCarriesOn) {
  LocalCluster cluster;
  cluster.submitTopology("bystander", testConfig(1), bystander());
  ASSERT_TRUE(waitFor([] { return bystanderExecuted > 0; }));

  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("boom.spout", 20), 1);
  b.setBolt("boom", ThrowingBolt("boom", 5), 1).shuffleGrouping("spout");
  cluster.submitTopology("boom", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([] { return seen().count("boom") >= 19; }))
      << describe(cluster.getErrors("boom"));
  int64_t bystanderBefore = bystanderExecuted;
  auto errors = cluster.getErrors("boom");

  // One report, naming the component, its task, where it threw and what.
  auto prepared = started().get("boom");
  ASSERT_EQ(prepared.size(), 2u) << "the task is rebuilt and prepared again";
  EXPECT_NE(prepared[0].instance, nullptr);
  EXPECT_EQ(prepared[0].task, prepared[1].task);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].component, "boom");
  EXPECT_EQ(errors[0].task, prepared[0].task);
  EXPECT_NE(errors[0].message.find("execute"), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].message.find("boom on 5"), std::string::npos) << errors[0].message;
  EXPECT_GT(errors[0].timeSecs, 0);

  // Everything but the tuple that crashed the task was processed (acking is off: no replay).
  EXPECT_EQ(numbersSeen("boom"), range(0, 20, {5}));

  // The other topology never noticed.
  EXPECT_TRUE(waitFor([&] { return bystanderExecuted > bystanderBefore + 10; }));
  EXPECT_TRUE(cluster.getErrors("bystander").empty()) << describe(cluster.getErrors("bystander"));
  auto summaries = cluster.getTopologySummaries();
  ASSERT_EQ(summaries.size(), 2u);
  for (const auto& s : summaries) EXPECT_EQ(s.status, TopologyStatus::Active) << s.name;
  cluster.killTopologyWithOpts("boom", KillOptions{0});
  EXPECT_EQ(seen().count("boom"), 19u);
}

TEST(UserException, ANonStandardExceptionIsReportedToo) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("odd.spout", 10), 1);
  b.setBolt("odd", ThrowingBolt("odd", 3, Throw::NonStd), 1).shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology("odd", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([] { return seen().count("odd") >= 9; }))
      << describe(cluster.getErrors("odd"));
  auto errors = cluster.getErrors("odd");
  cluster.killTopologyWithOpts("odd", KillOptions{0});
  EXPECT_TRUE(hasErrorContaining(errors, "odd", "unknown exception")) << describe(errors);
  EXPECT_EQ(started().count("odd"), 2u);
  EXPECT_EQ(numbersSeen("odd"), range(0, 10, {3}));
}

TEST(UserException, ThrowingInPrepareIsReportedAndPrepareIsRetried) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("prep.spout", 10), 1);
  b.setBolt("prep", ThrowingBolt("prep", -1, Throw::RuntimeError, /*throwInPrepare=*/true), 1)
      .shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology("prep", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([] { return seen().count("prep") >= 10; }))
      << describe(cluster.getErrors("prep"));
  auto errors = cluster.getErrors("prep");
  cluster.killTopologyWithOpts("prep", KillOptions{0});
  EXPECT_TRUE(hasErrorContaining(errors, "prep", "cannot prepare prep")) << describe(errors);
  EXPECT_TRUE(hasErrorContaining(errors, "prep", "prepare")) << describe(errors);
  EXPECT_EQ(started().count("prep"), 2u);
  // Tuples that arrived while the task was down waited for it.
  EXPECT_EQ(numbersSeen("prep"), range(0, 10));
}

enum class SpoutThrow { InNextTuple, InOpen };

// Emits [k, n] for n in 0..9; its first instance throws (in nextTuple before emitting 3, or
// in open). A rebuilt instance starts again from 0.
class ThrowingSpout : public BaseRichSpout {
 public:
  ThrowingSpout(std::string label, SpoutThrow where) : label_(std::move(label)), where_(where) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    events().add(label_, "open");
    if (where_ == SpoutThrow::InOpen && events().count(label_ + ".threw") == 0) {
      events().add(label_ + ".threw", "");
      throw std::runtime_error("cannot open");
    }
  }
  void activate() override { events().add(label_, "activate"); }
  void close() override { events().add(label_, "close"); }
  void nextTuple() override {
    if (next_ >= 10) return;
    if (where_ == SpoutThrow::InNextTuple && next_ == 3 && events().count(label_ + ".threw") == 0) {
      events().add(label_ + ".threw", "");
      throw std::runtime_error("spout broke at 3");
    }
    int64_t n = next_++;
    collector_->emit(Values{"k", n});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"key", "n"}); }

 private:
  std::string label_;
  SpoutThrow where_;
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
};

TEST(UserException, ThrowingSpoutIsReportedRebuiltAndReactivated) {
  LocalCluster cluster;
  cluster.submitTopology("bystander", testConfig(), bystander());
  TopologyBuilder b;
  b.setSpout("spout", ThrowingSpout("tspout", SpoutThrow::InNextTuple), 1);
  b.setBolt("sink", RecordingBolt("tspout.sink"), 1).shuffleGrouping("spout");
  cluster.submitTopology("tspout", testConfig(1), b.createTopology());
  ASSERT_TRUE(waitFor([] { return dataCount("tspout.sink") >= 13; }))
      << describe(cluster.getErrors("tspout"));
  auto errors = cluster.getErrors("tspout");
  int64_t bystanderBefore = bystanderExecuted;
  EXPECT_TRUE(waitFor([&] { return bystanderExecuted > bystanderBefore + 10; }));
  EXPECT_TRUE(cluster.getErrors("bystander").empty());
  cluster.killTopologyWithOpts("tspout", KillOptions{0});

  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].component, "spout");
  EXPECT_NE(errors[0].message.find("nextTuple"), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].message.find("spout broke at 3"), std::string::npos) << errors[0].message;
  auto ev = events().get("tspout");
  ASSERT_GE(ev.size(), 4u);
  EXPECT_EQ((std::vector<std::string>(ev.begin(), ev.begin() + 4)),
            (std::vector<std::string>{"open", "activate", "open", "activate"}));
  // 0, 1, 2 from the first instance, then 0..9 from its replacement.
  std::multiset<int64_t> got;
  for (const auto& s : dataSeen("tspout.sink")) got.insert(s.values.at(1).asInt());
  std::multiset<int64_t> expected{0, 1, 2};
  for (int64_t i = 0; i < 10; ++i) expected.insert(i);
  EXPECT_EQ(got, expected);
}

TEST(UserException, ThrowingInOpenIsReportedAndOpenIsRetried) {
  TopologyBuilder b;
  b.setSpout("spout", ThrowingSpout("topen", SpoutThrow::InOpen), 1);
  b.setBolt("sink", RecordingBolt("topen.sink"), 1).shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology("topen", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([] { return dataCount("topen.sink") >= 10; }))
      << describe(cluster.getErrors("topen"));
  auto errors = cluster.getErrors("topen");
  cluster.killTopologyWithOpts("topen", KillOptions{0});
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].component, "spout");
  EXPECT_NE(errors[0].message.find("cannot open"), std::string::npos) << errors[0].message;
  auto ev = events().get("topen");
  ASSERT_GE(ev.size(), 3u);
  // The instance whose open() threw is neither activated nor closed.
  EXPECT_EQ((std::vector<std::string>(ev.begin(), ev.begin() + 3)),
            (std::vector<std::string>{"open", "open", "activate"}));
  EXPECT_EQ(std::count(ev.begin(), ev.end(), "close"), 1);
  EXPECT_EQ(dataCount("topen.sink"), 10u);
}

// Emits [n] with message id n for n in 0..9 and records acks and fails.
class ReliableSpout : public BaseRichSpout {
 public:
  explicit ReliableSpout(std::string label) : label_(std::move(label)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
  }
  void nextTuple() override {
    if (next_ >= 10) return;
    int64_t n = next_++;
    collector_->emit(Values{n}, Value(n));
  }
  void ack(const Value& id) override { events().add(label_ + ".ack", id.toString()); }
  void fail(const Value& id) override { events().add(label_ + ".fail", id.toString()); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

 private:
  std::string label_;
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
};

enum class BasicThrow { Failed, ReportedFailed, RuntimeError };

// Throws on odd n; acks even n by returning.
class OddFailingBasicBolt : public BaseBasicBolt {
 public:
  OddFailingBasicBolt(std::string label, BasicThrow kind) : label_(std::move(label)), kind_(kind) {}
  void prepare(const Config&, TopologyContext&) override { events().add(label_, "prepare"); }
  void execute(const Tuple& t, BasicOutputCollector&) override {
    int64_t n = t.getLongByField("n");
    if (n % 2 == 0) return;
    std::string what = "odd " + std::to_string(n);
    switch (kind_) {
      case BasicThrow::Failed: throw FailedException(what);
      case BasicThrow::ReportedFailed: throw ReportedFailedException(what);
      case BasicThrow::RuntimeError:
        if (n == 1) throw std::runtime_error(what);
        return;
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::string label_;
  BasicThrow kind_;
};

std::set<std::string> idsOf(const std::string& key) {
  auto v = events().get(key);
  return {v.begin(), v.end()};
}

void runBasic(const std::string& name, BasicThrow kind, std::vector<ReportedError>& errors) {
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(name), 1);
  b.setBolt("basic", OddFailingBasicBolt(name, kind), 1).shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology(name, testConfig(1), b.createTopology());
  ASSERT_TRUE(waitFor([&] {
    return events().count(name + ".ack") + events().count(name + ".fail") >= 10;
  })) << describe(cluster.getErrors(name));
  errors = cluster.getErrors(name);
  cluster.killTopologyWithOpts(name, KillOptions{0});
}

TEST(UserException, BasicBoltFailedExceptionFailsTheTupleWithoutARestart) {
  std::vector<ReportedError> errors;
  runBasic("failed", BasicThrow::Failed, errors);
  EXPECT_EQ(idsOf("failed.ack"), (std::set<std::string>{"0", "2", "4", "6", "8"}));
  EXPECT_EQ(idsOf("failed.fail"), (std::set<std::string>{"1", "3", "5", "7", "9"}));
  EXPECT_EQ(events().count("failed.ack") + events().count("failed.fail"), 10u);
  EXPECT_TRUE(errors.empty()) << describe(errors);
  EXPECT_EQ(events().get("failed"), (std::vector<std::string>{"prepare"}));
}

TEST(UserException, BasicBoltReportedFailedExceptionAlsoReportsIt) {
  std::vector<ReportedError> errors;
  runBasic("reported", BasicThrow::ReportedFailed, errors);
  EXPECT_EQ(idsOf("reported.ack"), (std::set<std::string>{"0", "2", "4", "6", "8"}));
  EXPECT_EQ(idsOf("reported.fail"), (std::set<std::string>{"1", "3", "5", "7", "9"}));
  ASSERT_EQ(errors.size(), 5u) << describe(errors);
  for (int n : {1, 3, 5, 7, 9}) {
    EXPECT_TRUE(hasErrorContaining(errors, "basic", "odd " + std::to_string(n)))
        << describe(errors);
  }
  EXPECT_EQ(events().get("reported"), (std::vector<std::string>{"prepare"}));
}

TEST(UserException, BasicBoltOtherExceptionsRestartTheTask) {
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout("other"), 1);
  b.setBolt("basic", OddFailingBasicBolt("other", BasicThrow::RuntimeError), 1)
      .shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology("other", testConfig(1), b.createTopology());
  // The tuple that crashed the task is neither acked nor failed (it would time out); the
  // other nine are acked.
  ASSERT_TRUE(waitFor([] { return events().count("other.ack") >= 9; }))
      << describe(cluster.getErrors("other"));
  auto errors = cluster.getErrors("other");
  cluster.killTopologyWithOpts("other", KillOptions{0});
  EXPECT_EQ(idsOf("other.ack"), (std::set<std::string>{"0", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(events().count("other.fail"), 0u);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].component, "basic");
  EXPECT_NE(errors[0].message.find("odd 1"), std::string::npos) << errors[0].message;
  EXPECT_EQ(events().get("other"), (std::vector<std::string>{"prepare", "prepare"}));
}

}  // namespace
