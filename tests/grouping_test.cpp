// Stream groupings (storm.md 2.7): which consumer tasks each grouping picks, what emit()
// returns, and the errors of direct streams.

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

// (producer task, n) -> the tasks that received it.
std::map<std::pair<int, int64_t>, std::multiset<int>> receivers(const std::vector<Seen>& s) {
  std::map<std::pair<int, int64_t>, std::multiset<int>> out;
  for (const auto& e : s) out[{e.sourceTask, e.values.at(1).asInt()}].insert(e.task);
  return out;
}

// Every emit of `spoutLabel` returned exactly the tasks that received the tuple.
void expectEmitReturnedReceivers(const std::string& spoutLabel, const std::vector<Seen>& received) {
  auto got = receivers(received);
  auto emits = emitted().get(spoutLabel);
  ASSERT_FALSE(emits.empty());
  for (const auto& e : emits) {
    std::multiset<int> returned(e.tasks.begin(), e.tasks.end());
    EXPECT_EQ(returned, (got[{e.sourceTask, e.n}]))
        << "emit " << e.n << " of task " << e.sourceTask;
  }
}

void runUntil(LocalCluster& cluster, const std::string& name, const Config& conf,
              const StormTopology& topology, const std::function<bool()>& done) {
  cluster.submitTopology(name, conf, topology);
  ASSERT_TRUE(waitFor(done)) << describe(cluster.getErrors(name));
  // Killing joins every executor: nothing arrives after this, so exact counts can be checked.
  cluster.killTopologyWithOpts(name, KillOptions{0});
}

TEST(Grouping, FieldsSendsEachKeyToOneTaskWhateverTheProducer) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("fields.spout", 200, 20), 2);
  b.setBolt("count", RecordingBolt("fields"), 4).fieldsGrouping("spout", Fields{"key"});
  LocalCluster cluster;
  // Every task started, too: one that gets no key may prepare after the last tuple arrived.
  runUntil(cluster, "fields", testConfig(), b.createTopology(),
           [] { return dataCount("fields") >= 400 && tasksOf("fields").size() == 4; });

  auto s = dataSeen("fields");
  ASSERT_EQ(s.size(), 400u);
  std::map<std::string, std::set<int>> tasksOfKey;
  std::set<int> used;
  for (const auto& e : s) {
    tasksOfKey[e.values.at(0).asString()].insert(e.task);
    used.insert(e.task);
  }
  ASSERT_EQ(tasksOfKey.size(), 20u);
  for (const auto& [key, tasks] : tasksOfKey) EXPECT_EQ(tasks.size(), 1u) << key;
  EXPECT_GT(used.size(), 1u) << "20 keys over 4 tasks all landed on one task";
  auto consumers = tasksOf("fields");
  ASSERT_EQ(consumers.size(), 4u);
  for (int t : used) EXPECT_TRUE(std::binary_search(consumers.begin(), consumers.end(), t));
  // Both spout tasks sent every key; they agree on where it goes.
  std::set<int> producers;
  for (const auto& e : s) producers.insert(e.sourceTask);
  EXPECT_EQ(producers.size(), 2u);
  expectEmitReturnedReceivers("fields.spout", s);
}

TEST(Grouping, GlobalSendsEverythingToTheLowestTask) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("global.spout", 60), 2);
  b.setBolt("g", RecordingBolt("global"), 3).setNumTasks(4).globalGrouping("spout");
  LocalCluster cluster;
  // Every task started, too: only the lowest gets tuples, and the others may prepare after the
  // last one arrived.
  runUntil(cluster, "global", testConfig(), b.createTopology(),
           [] { return dataCount("global") >= 120 && tasksOf("global").size() == 4; });

  auto consumers = tasksOf("global");
  ASSERT_EQ(consumers.size(), 4u);
  auto s = dataSeen("global");
  ASSERT_EQ(s.size(), 120u);
  for (const auto& e : s) EXPECT_EQ(e.task, consumers.front());
  expectEmitReturnedReceivers("global.spout", s);
}

TEST(Grouping, AllSendsEveryTupleToEveryTask) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("all.spout", 50), 1);
  b.setBolt("every", RecordingBolt("all"), 3).allGrouping("spout");
  LocalCluster cluster;
  runUntil(cluster, "all", testConfig(1), b.createTopology(),
           [] { return dataCount("all") >= 150; });

  auto consumers = tasksOf("all");
  ASSERT_EQ(consumers.size(), 3u);
  auto s = dataSeen("all");
  ASSERT_EQ(s.size(), 150u);
  std::map<int, std::set<int64_t>> byTask;
  for (const auto& e : s) byTask[e.task].insert(e.values.at(1).asInt());
  ASSERT_EQ(byTask.size(), 3u);
  for (const auto& [task, ns] : byTask) EXPECT_EQ(ns.size(), 50u) << "task " << task;
  for (const auto& e : emitted().get("all.spout")) {
    std::vector<int> sorted = e.tasks;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, consumers);
  }
  expectEmitReturnedReceivers("all.spout", s);
}

TEST(Grouping, ShuffleWithoutLoadAwarenessIsStrictRoundRobinPerProducer) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("rr.spout", 301), 2);
  b.setBolt("work", RecordingBolt("rr"), 3).shuffleGrouping("spout");
  Config conf = testConfig();
  conf.set(Config::TOPOLOGY_DISABLE_LOADAWARE_MESSAGING, true);
  LocalCluster cluster;
  runUntil(cluster, "rr", conf, b.createTopology(), [] { return dataCount("rr") >= 602; });

  auto s = dataSeen("rr");
  ASSERT_EQ(s.size(), 602u);
  std::map<int, std::map<int, int>> perProducer;  // source task -> dest task -> count
  for (const auto& e : s) ++perProducer[e.sourceTask][e.task];
  ASSERT_EQ(perProducer.size(), 2u);
  for (const auto& [src, counts] : perProducer) {
    ASSERT_EQ(counts.size(), 3u) << "producer " << src;
    for (const auto& [dest, n] : counts) {
      EXPECT_TRUE(n == 100 || n == 101) << "producer " << src << " -> " << dest << ": " << n;
    }
  }
  // Round-robin: each producer's i-th emit goes where its (i-3)-th went.
  std::map<int, std::vector<int>> order;
  for (const auto& e : emitted().get("rr.spout")) {
    ASSERT_EQ(e.tasks.size(), 1u);
    order[e.sourceTask].push_back(e.tasks[0]);
  }
  for (const auto& [src, dests] : order) {
    ASSERT_EQ(dests.size(), 301u);
    for (size_t i = 3; i < dests.size(); ++i) EXPECT_EQ(dests[i], dests[i - 3]) << i;
  }
  expectEmitReturnedReceivers("rr.spout", s);
}

TEST(Grouping, LoadAwareShuffleIsBalancedWhenConsumersKeepUp) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("la.spout", 3000), 1);
  b.setBolt("work", RecordingBolt("la"), 3).shuffleGrouping("spout");
  LocalCluster cluster;
  runUntil(cluster, "la", testConfig(), b.createTopology(), [] { return dataCount("la") >= 3000; });

  auto s = dataSeen("la");
  ASSERT_EQ(s.size(), 3000u);
  auto counts = countsByTask(s);
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [task, n] : counts) {
    EXPECT_GE(n, 950) << "task " << task;
    EXPECT_LE(n, 1050) << "task " << task;
  }
  expectEmitReturnedReceivers("la.spout", s);
}

TEST(Grouping, LocalOrShuffleReachesEveryTask) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("los.spout", 300), 1);
  b.setBolt("work", RecordingBolt("los"), 3).localOrShuffleGrouping("spout");
  LocalCluster cluster;
  runUntil(cluster, "los", testConfig(), b.createTopology(),
           [] { return dataCount("los") >= 300; });

  auto s = dataSeen("los");
  ASSERT_EQ(s.size(), 300u);
  auto counts = countsByTask(s);
  ASSERT_EQ(counts.size(), 3u);
  // Everything is worker-local in one process, so this is a (load-aware) shuffle: ~100 each.
  for (const auto& [task, n] : counts) EXPECT_GE(n, 60) << "task " << task;
  expectEmitReturnedReceivers("los.spout", s);
}

TEST(Grouping, NoneSendsEachTupleToOneTask) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("none.spout", 300), 1);
  b.setBolt("work", RecordingBolt("none"), 3).noneGrouping("spout");
  LocalCluster cluster;
  runUntil(cluster, "none", testConfig(), b.createTopology(),
           [] { return dataCount("none") >= 300; });

  auto s = dataSeen("none");
  ASSERT_EQ(s.size(), 300u);
  for (const auto& [key, tasks] : receivers(s)) EXPECT_EQ(tasks.size(), 1u);
  // Uniformly random: all three tasks get some of 300 tuples (a miss has odds ~1e-53).
  EXPECT_EQ(countsByTask(s).size(), 3u);
  expectEmitReturnedReceivers("none.spout", s);
}

TEST(Grouping, PartialKeySplitsAHotKeyEvenlyOverTwoTasks) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("pk.spout", 1000, /*keys=*/1), 1);
  b.setBolt("work", RecordingBolt("pk"), 4).partialKeyGrouping("spout", Fields{"key"});
  LocalCluster cluster;
  runUntil(cluster, "pk", testConfig(), b.createTopology(), [] { return dataCount("pk") >= 1000; });

  auto s = dataSeen("pk");
  ASSERT_EQ(s.size(), 1000u);
  auto counts = countsByTask(s);
  ASSERT_EQ(counts.size(), 2u) << "one key must reach exactly its two candidate tasks";
  for (const auto& [task, n] : counts) EXPECT_EQ(n, 500) << "task " << task;
  expectEmitReturnedReceivers("pk.spout", s);
}

TEST(Grouping, PartialKeySendsEveryKeyToAtMostTwoTasks) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("pk2.spout", 800, /*keys=*/16), 1);
  b.setBolt("work", RecordingBolt("pk2"), 4).partialKeyGrouping("spout", Fields{"key"});
  LocalCluster cluster;
  runUntil(cluster, "pk2", testConfig(), b.createTopology(),
           [] { return dataCount("pk2") >= 800; });

  auto s = dataSeen("pk2");
  ASSERT_EQ(s.size(), 800u);
  std::map<std::string, std::map<int, int>> perKey;
  for (const auto& e : s) ++perKey[e.values.at(0).asString()][e.task];
  ASSERT_EQ(perKey.size(), 16u);
  for (const auto& [key, counts] : perKey) EXPECT_LE(counts.size(), 2u) << key;
  // Balanced overall: the less-loaded candidate is chosen, so no task gets swamped (a fair
  // share is 200; which tasks are candidates at all depends on the key hashes).
  auto counts = countsByTask(s);
  EXPECT_GE(counts.size(), 3u);
  for (const auto& [task, n] : counts) EXPECT_LE(n, 300) << "task " << task;
  expectEmitReturnedReceivers("pk2.spout", s);
}

// --- direct grouping ------------------------------------------------------------------------

// Emits [target, n] to task target = consumers[n % size] of component `consumer`.
class DirectSpout : public BaseRichSpout {
 public:
  DirectSpout(std::string label, std::string consumer, int64_t count)
      : label_(std::move(label)), consumer_(std::move(consumer)), count_(count) {}
  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    targets_ = context.getComponentTasks(consumer_);
  }
  void nextTuple() override {
    if (next_ >= count_) return;
    int64_t n = next_++;
    int target = targets_[static_cast<size_t>(n) % targets_.size()];
    collector_->emitDirect(target, Values{target, n});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(/*direct=*/true, Fields{"target", "n"});
  }

 private:
  std::string label_;
  std::string consumer_;
  int64_t count_;
  SpoutOutputCollector* collector_ = nullptr;
  std::vector<int> targets_;
  int64_t next_ = 0;
};

// Relays what it gets to task n % size of `consumer` on its direct stream "d".
class DirectRelayBolt : public BaseRichBolt {
 public:
  explicit DirectRelayBolt(std::string consumer) : consumer_(std::move(consumer)) {}
  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    targets_ = context.getComponentTasks(consumer_);
  }
  void execute(const Tuple& t) override {
    int64_t n = t.getLongByField("n");
    int target = targets_[static_cast<size_t>(n) % targets_.size()];
    collector_->emitDirect(target, "d", t, Values{target, n});
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declareStream("d", /*direct=*/true, Fields{"target", "n"});
  }

 private:
  std::string consumer_;
  OutputCollector* collector_ = nullptr;
  std::vector<int> targets_;
};

TEST(Grouping, DirectDeliversOnlyToTheChosenTask) {
  TopologyBuilder b;
  b.setSpout("spout", DirectSpout("direct.spout", "chosen", 30), 1);
  b.setBolt("chosen", RecordingBolt("direct.chosen"), 3).directGrouping("spout");
  // A second direct subscriber: tuples aimed at "chosen" must never reach it.
  b.setBolt("bystander", RecordingBolt("direct.bystander"), 2).directGrouping("spout");
  b.setBolt("relay", DirectRelayBolt("sink"), 1).shuffleGrouping("chosen-src");
  b.setSpout("chosen-src", SeqSpout("direct.src", 30), 1);
  b.setBolt("sink", RecordingBolt("direct.sink"), 3).directGrouping("relay", "d");
  LocalCluster cluster;
  runUntil(cluster, "direct", testConfig(1), b.createTopology(),
           [] { return dataCount("direct.chosen") >= 30 && dataCount("direct.sink") >= 30; });

  for (const char* label : {"direct.chosen", "direct.sink"}) {
    auto s = dataSeen(label);
    ASSERT_EQ(s.size(), 30u) << label;
    for (const auto& e : s) EXPECT_EQ(e.task, e.values.at(0).asInt()) << label;
    auto counts = countsByTask(s);
    ASSERT_EQ(counts.size(), 3u) << label;
    for (const auto& [task, n] : counts) EXPECT_EQ(n, 10) << label << " task " << task;
  }
  EXPECT_EQ(dataCount("direct.bystander"), 0u);
}

enum class BadEmit { ToNonSubscriber, ToUnknownTask, RegularOnDirect, DirectOnNonDirect };

// Makes one bad emit (once per process), reporting the exception type it saw, and rethrows it
// to its executor; its replacement then emits one good tuple.
class BadEmitSpout : public BaseRichSpout {
 public:
  BadEmitSpout(std::string label, BadEmit kind, std::string consumer)
      : label_(std::move(label)), kind_(kind), consumer_(std::move(consumer)) {}
  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    self_ = context.getThisTaskId();
    consumerTask_ = context.getComponentTasks(consumer_).at(0);
    events().add(label_, "open");
  }
  void nextTuple() override {
    if (done_) return;
    done_ = true;
    if (events().count(label_ + ".threw") == 0) {
      events().add(label_ + ".threw", "");
      try {
        badEmit();
      } catch (const IllegalArgumentException& e) {
        events().add(label_, std::string("IllegalArgumentException: ") + e.what());
        throw;
      }
      events().add(label_, "bad emit did not throw");
      return;
    }
    goodEmit();
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(/*direct=*/kind_ != BadEmit::DirectOnNonDirect, Fields{"target", "n"});
  }

 private:
  void badEmit() {
    switch (kind_) {
      case BadEmit::ToNonSubscriber:
        collector_->emitDirect(self_, Values{self_, 0});
        break;
      case BadEmit::ToUnknownTask:
        collector_->emitDirect(100000, Values{100000, 0});
        break;
      case BadEmit::RegularOnDirect:
        collector_->emit(Values{0, 0});
        break;
      case BadEmit::DirectOnNonDirect:
        collector_->emitDirect(consumerTask_, Values{consumerTask_, 0});
        break;
    }
  }
  void goodEmit() {
    if (kind_ == BadEmit::DirectOnNonDirect) {
      collector_->emit(Values{consumerTask_, 1});
    } else {
      collector_->emitDirect(consumerTask_, Values{consumerTask_, 1});
    }
  }

  std::string label_;
  BadEmit kind_;
  std::string consumer_;
  SpoutOutputCollector* collector_ = nullptr;
  int self_ = 0;
  int consumerTask_ = 0;
  bool done_ = false;
};

TEST(Grouping, DirectStreamMisuseIsReportedAndTheSpoutCarriesOn) {
  struct Case {
    const char* spout;
    BadEmit kind;
    const char* message;
  };
  const Case cases[] = {
      {"to-non-subscriber", BadEmit::ToNonSubscriber, "does not subscribe"},
      {"to-unknown-task", BadEmit::ToUnknownTask, "task 100000"},
      {"regular-on-direct", BadEmit::RegularOnDirect, "regular emit to direct stream"},
      {"direct-on-non-direct", BadEmit::DirectOnNonDirect, "not declared direct"},
  };
  TopologyBuilder b;
  auto& sink = b.setBolt("sink", RecordingBolt("misuse.sink"), 1);
  for (const auto& c : cases) {
    b.setSpout(c.spout, BadEmitSpout(c.spout, c.kind, "sink"), 1);
    if (c.kind == BadEmit::DirectOnNonDirect) {
      sink.shuffleGrouping(c.spout);
    } else {
      sink.directGrouping(c.spout);
    }
  }
  LocalCluster cluster;
  cluster.submitTopology("misuse", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([] { return dataCount("misuse.sink") >= 4; }))
      << describe(cluster.getErrors("misuse"));
  auto errors = cluster.getErrors("misuse");
  cluster.killTopologyWithOpts("misuse", KillOptions{0});

  for (const auto& c : cases) {
    SCOPED_TRACE(c.spout);
    auto ev = events().get(c.spout);
    ASSERT_GE(ev.size(), 3u);
    EXPECT_EQ(ev[0], "open");
    EXPECT_EQ(ev[1].rfind("IllegalArgumentException: ", 0), 0u) << ev[1];
    EXPECT_NE(ev[1].find(c.message), std::string::npos) << ev[1];
    EXPECT_EQ(ev[2], "open") << "the task is rebuilt after the throw";
    EXPECT_TRUE(hasErrorContaining(errors, c.spout, c.message)) << describe(errors);
    // The report names the emitting component.
    EXPECT_TRUE(hasErrorContaining(errors, c.spout, c.spout)) << describe(errors);
  }
  // Only the good emits arrived, one per spout.
  auto s = dataSeen("misuse.sink");
  ASSERT_EQ(s.size(), 4u);
  for (const auto& e : s) EXPECT_EQ(e.values.at(1).asInt(), 1);
}

// --- custom grouping ------------------------------------------------------------------------

struct CustomPrepared {
  std::string producer;
  int producerTask;
  std::string source;
  std::string stream;
  std::vector<int> targets;
};

Recorder<CustomPrepared>& customPrepared() {
  static Recorder<CustomPrepared> r;
  return r;
}

// Sends n to targets[n % size] and the next `fanout - 1` targets after it.
class ModGrouping : public CustomStreamGrouping {
 public:
  explicit ModGrouping(const Values& args) : fanout_(args.empty() ? 1 : args.at(0).asInt()) {}
  void prepare(TopologyContext& context, const std::string& source, const std::string& stream,
               const std::vector<int>& targets) override {
    targets_ = targets;
    customPrepared().add("mod", CustomPrepared{context.getThisComponentId(),
                                               context.getThisTaskId(), source, stream, targets});
  }
  void chooseTasks(int, const Values& values, std::vector<int>& out) override {
    int64_t n = values.at(1).asInt();
    for (int64_t i = 0; i < fanout_; ++i) {
      out.push_back(targets_[static_cast<size_t>(n + i) % targets_.size()]);
    }
  }

 private:
  int64_t fanout_;
  std::vector<int> targets_;
};
SQUALL_REGISTER_COMPONENT(ModGrouping);

// Picks a task that does not consume the stream.
class StrayGrouping : public CustomStreamGrouping {
 public:
  void prepare(TopologyContext&, const std::string&, const std::string&,
               const std::vector<int>&) override {}
  void chooseTasks(int sourceTask, const Values&, std::vector<int>& out) override {
    out.push_back(sourceTask);
  }
};
SQUALL_REGISTER_COMPONENT(StrayGrouping);

TEST(Grouping, CustomGroupingIsPreparedWithSortedTargetsAndItsChoiceIsHonoured) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("custom.spout", 40, 10, "numbers"), 2);
  b.setBolt("mod", RecordingBolt("custom"), 2)
      .setNumTasks(5)
      .customGrouping("spout", "numbers", "ModGrouping", Values{2});
  LocalCluster cluster;
  runUntil(cluster, "custom", testConfig(), b.createTopology(),
           [] { return dataCount("custom") >= 160 && tasksOf("custom").size() == 5; });

  auto consumers = tasksOf("custom");
  ASSERT_EQ(consumers.size(), 5u);
  auto prepared = customPrepared().get("mod");
  ASSERT_EQ(prepared.size(), 2u) << "one grouping instance per producer task";
  std::set<int> producerTasks;
  for (const auto& p : prepared) {
    EXPECT_EQ(p.producer, "spout");
    EXPECT_EQ(p.source, "spout");
    EXPECT_EQ(p.stream, "numbers");
    EXPECT_EQ(p.targets, consumers);  // tasksOf() is ascending
    producerTasks.insert(p.producerTask);
  }
  EXPECT_EQ(producerTasks.size(), 2u);

  auto s = dataSeen("custom");
  ASSERT_EQ(s.size(), 160u);
  for (const auto& [key, tasks] : receivers(s)) {
    size_t n = static_cast<size_t>(key.second);
    std::multiset<int> expected{consumers[n % 5], consumers[(n + 1) % 5]};
    EXPECT_EQ(tasks, expected) << "n=" << n;
  }
  for (const auto& e : s) EXPECT_EQ(e.stream, "numbers");
  expectEmitReturnedReceivers("custom.spout", s);
}

TEST(Grouping, CustomGroupingChoosingANonConsumerIsReported) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("stray.spout", 1), 1);
  b.setBolt("sink", RecordingBolt("stray"), 2).customGrouping("spout", "default", "StrayGrouping");
  LocalCluster cluster;
  cluster.submitTopology("stray", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([&] {
    return hasErrorContaining(cluster.getErrors("stray"), "spout", "does not consume");
  })) << describe(cluster.getErrors("stray"));
  cluster.killTopologyWithOpts("stray", KillOptions{0});
  EXPECT_EQ(dataCount("stray"), 0u);
}

// --- what emit() returns ----------------------------------------------------------------------

// Emits each n on "default" (subscribed twice) and on "orphan" (subscribed by nobody).
class TwoStreamSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
  }
  void nextTuple() override {
    if (next_ >= 20) return;
    int64_t n = next_++;
    const TaskIds& to = collector_->emit(Values{"k", n});
    emitted().add("multi.spout", Emitted{task_, n, {to.begin(), to.end()}});
    const TaskIds& none = collector_->emit("orphan", Values{n});
    emitted().add("multi.orphan", Emitted{task_, n, {none.begin(), none.end()}});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(Fields{"key", "n"});
    d.declareStream("orphan", Fields{"n"});
  }

 private:
  SpoutOutputCollector* collector_ = nullptr;
  int task_ = 0;
  int64_t next_ = 0;
};

// Forwards [key, n] with a fields grouping downstream, recording what emit() returned.
class RelayBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
  }
  void execute(const Tuple& t) override {
    int64_t n = t.getLongByField("n");
    const TaskIds& to = collector_->emit(t, Values{t.getStringByField("key"), n});
    emitted().add("multi.relay", Emitted{task_, n, {to.begin(), to.end()}});
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"key", "n"}); }

 private:
  OutputCollector* collector_ = nullptr;
  int task_ = 0;
};

TEST(Grouping, EmitReturnsTheTasksOfEverySubscriber) {
  TopologyBuilder b;
  b.setSpout("spout", TwoStreamSpout(), 1);
  b.setBolt("everyone", RecordingBolt("multi.all"), 3).allGrouping("spout");
  b.setBolt("lowest", RecordingBolt("multi.global"), 2).globalGrouping("spout");
  b.setBolt("relay", RelayBolt(), 1).shuffleGrouping("spout");
  b.setBolt("sink", RecordingBolt("multi.sink"), 3).fieldsGrouping("relay", Fields{"n"});
  LocalCluster cluster;
  runUntil(cluster, "multi", testConfig(1), b.createTopology(), [] {
    return dataCount("multi.all") >= 60 && dataCount("multi.global") >= 20 &&
           dataCount("multi.sink") >= 20;
  });

  auto all = tasksOf("multi.all");
  auto global = tasksOf("multi.global");
  auto relay = emitted().get("multi.relay");
  ASSERT_EQ(relay.size(), 20u);
  int relayTask = relay[0].sourceTask;
  std::multiset<int> expected(all.begin(), all.end());
  expected.insert(global.front());
  expected.insert(relayTask);
  auto emits = emitted().get("multi.spout");
  ASSERT_EQ(emits.size(), 20u);
  for (const auto& e : emits) {
    EXPECT_EQ(std::multiset<int>(e.tasks.begin(), e.tasks.end()), expected) << "n=" << e.n;
  }
  for (const auto& e : emitted().get("multi.orphan")) EXPECT_TRUE(e.tasks.empty());

  // A bolt's emit returns its receivers too.
  auto sink = receivers(dataSeen("multi.sink"));
  ASSERT_EQ(sink.size(), 20u);
  for (const auto& e : relay) {
    ASSERT_EQ(e.tasks.size(), 1u);
    EXPECT_EQ((sink[{relayTask, e.n}]), std::multiset<int>{e.tasks[0]});
  }
}

}  // namespace
