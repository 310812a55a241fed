// Validation at submit (storm.md 2.3, 2.6, 2.8): a bad topology is rejected with an exception
// naming the component and the problem, and nothing starts.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <atomic>
#include <string>
#include <vector>

#include "engine_fixtures.h"

using namespace squall;
using namespace squall::engine_test;

namespace {

std::atomic<int> opened{0};
std::atomic<int> prepared{0};

class CountingSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext&, SpoutOutputCollector&) override { ++opened; }
  void nextTuple() override {}
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(Fields{"word", "n"});
    d.declareStream("direct", /*direct=*/true, Fields{"word"});
  }
};
SQUALL_REGISTER_COMPONENT(CountingSpout);

class CountingBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector&) override { ++prepared; }
  void execute(const Tuple&) override {}
  void declareOutputFields(OutputFieldsDeclarer&) override {}
};

class ReservedStreamBolt : public CountingBolt {
 public:
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declareStream("__s", Fields{"x"}); }
};

class ThrowingDeclareBolt : public CountingBolt {
 public:
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(Fields{"a"});
    d.declare(Fields{"b"});  // the default stream twice
  }
};

// Submits `topology` and expects E with every one of `parts` in its message, and nothing
// running or opened afterwards.
template <class E>
void expectRejected(const StormTopology& topology, const std::vector<std::string>& parts,
                    const Config& conf = testConfig(1), const std::string& name = "bad") {
  opened = 0;
  prepared = 0;
  LocalCluster cluster;
  try {
    cluster.submitTopology(name, conf, topology);
    ADD_FAILURE() << "the topology was accepted";
  } catch (const E& e) {
    std::string what = e.what();
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
  EXPECT_TRUE(cluster.getTopologySummaries().empty());
  EXPECT_EQ(opened.load(), 0);
  EXPECT_EQ(prepared.load(), 0);
}

TEST(Validation, SubscriptionToAnUnknownComponent) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", CountingBolt(), 1).shuffleGrouping("nope");
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'b'", "unknown component 'nope'"});
}

TEST(Validation, SubscriptionToTheAckerIsNotAllowed) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", CountingBolt(), 1).shuffleGrouping("__acker", "__ack_ack");
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'b'", "'__acker'"});
}

TEST(Validation, SubscriptionToAnUndeclaredStream) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", CountingBolt(), 1).shuffleGrouping("spout", "nostream");
  expectRejected<InvalidTopologyException>(b.createTopology(),
                                           {"'b'", "'nostream'", "'spout'", "default"});
}

TEST(Validation, FieldsGroupingOnAnUndeclaredField) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", CountingBolt(), 2).fieldsGrouping("spout", Fields{"word", "color"});
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'b'", "'color'", "'spout'"});
}

TEST(Validation, PartialKeyGroupingOnAnUndeclaredField) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", CountingBolt(), 2).partialKeyGrouping("spout", Fields{"color"});
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'b'", "'color'"});
}

TEST(Validation, DirectGroupingMustMatchADirectStream) {
  {
    TopologyBuilder b;
    b.setSpout("spout", CountingSpout(), 1);
    b.setBolt("b", CountingBolt(), 1).directGrouping("spout");
    expectRejected<InvalidTopologyException>(b.createTopology(),
                                             {"'b'", "not declared direct"});
  }
  {
    TopologyBuilder b;
    b.setSpout("spout", CountingSpout(), 1);
    b.setBolt("b", CountingBolt(), 1).shuffleGrouping("spout", "direct");
    expectRejected<InvalidTopologyException>(b.createTopology(),
                                             {"'b'", "'direct'", "needs direct grouping"});
  }
}

TEST(Validation, SubscribingTwiceToOneStream) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", CountingBolt(), 1).shuffleGrouping("spout").allGrouping("spout");
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'b'", "twice"});
}

TEST(Validation, UnregisteredCustomGrouping) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", CountingBolt(), 1).customGrouping("spout", "default", "NoSuchGrouping");
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'b'", "'NoSuchGrouping'"});
}

TEST(Validation, DuplicateIdsAreRejectedByTheBuilder) {
  TopologyBuilder b;
  b.setSpout("x", CountingSpout(), 1);
  try {
    b.setBolt("x", CountingBolt(), 1);
    FAIL() << "a second 'x' was accepted";
  } catch (const IllegalArgumentException& e) {
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(b.setSpout("x", CountingSpout(), 1), IllegalArgumentException);
  b.setBolt("y", CountingBolt(), 1);
  EXPECT_THROW(b.setBolt("y", ComponentSpec{"CountingSpout"}, 1), IllegalArgumentException);
}

TEST(Validation, ReservedComponentIds) {
  for (bool spout : {true, false}) {
    TopologyBuilder b;
    b.setSpout("spout", CountingSpout(), 1);
    if (spout) {
      b.setSpout("__x", CountingSpout(), 1);
    } else {
      b.setBolt("__x", CountingBolt(), 1).shuffleGrouping("spout");
    }
    expectRejected<InvalidTopologyException>(b.createTopology(), {"'__x'", "reserved"});
  }
}

TEST(Validation, ReservedStreamIds) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", ReservedStreamBolt(), 1).shuffleGrouping("spout");
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'b'", "'__s'", "reserved"});
}

TEST(Validation, ParallelismBelowOne) {
  for (int p : {0, -3}) {
    TopologyBuilder b;
    b.setSpout("spout", CountingSpout(), 1);
    b.setBolt("b", CountingBolt(), p).shuffleGrouping("spout");
    expectRejected<InvalidTopologyException>(b.createTopology(),
                                             {"'b'", "parallelism", std::to_string(p)});
  }
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1).setNumTasks(0);
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'spout'", "topology.tasks"});
}

TEST(Validation, UnregisteredClassName) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", ComponentSpec{"NoSuchClass"}, 1).shuffleGrouping("spout");
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'b'", "'NoSuchClass'"});
}

TEST(Validation, RegisteredClassOfTheWrongKind) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", ComponentSpec{"CountingSpout"}, 1).shuffleGrouping("spout");
  expectRejected<InvalidTopologyException>(b.createTopology(),
                                           {"'b'", "'CountingSpout'", "is a spout"});
}

TEST(Validation, ConstructorArgumentsTheClassDoesNotTake) {
  TopologyBuilder b;
  b.setSpout("spout", ComponentSpec{"CountingSpout", Values{1}}, 1);
  expectRejected<InvalidTopologyException>(b.createTopology(),
                                           {"'spout'", "'CountingSpout'", "no constructor"});
}

TEST(Validation, DeclaringAStreamTwice) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setBolt("b", ThrowingDeclareBolt(), 1).shuffleGrouping("spout");
  expectRejected<InvalidTopologyException>(b.createTopology(),
                                           {"'b'", "'default'", "declared twice"});
}

TEST(Validation, BadTopologyConfigValues) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  StormTopology t = b.createTopology();
  // Config::set() refuses these at once; a map from a file or another process is checked at
  // submit.
  expectRejected<ConfigError>(t, {"topology.workers", "\"x\""},
                              Config(Map{{"topology.workers", "x"}}));
  expectRejected<ConfigError>(t, {"topology.message.timeout.secs", "range"},
                              Config(Map{{"topology.message.timeout.secs", 0}}));
  expectRejected<ConfigError>(t, {"topology.debug"}, Config(Map{{"topology.debug", "yes"}}));
}

TEST(Validation, BadComponentConfigValues) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1).addConfiguration("topology.max.spout.pending", "many");
  expectRejected<InvalidTopologyException>(b.createTopology(),
                                           {"'spout'", "topology.max.spout.pending"});
}

TEST(Validation, TopologyNamesWithIllegalCharacters) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  StormTopology t = b.createTopology();
  for (std::string name : {"my.topology", "a/b", "a:b", "a\\b"}) {
    SCOPED_TRACE(name);
    expectRejected<InvalidTopologyException>(t, {name}, testConfig(1), name);
  }
  expectRejected<InvalidTopologyException>(t, {"empty"}, testConfig(1), "");
}

TEST(Validation, ATopologyNeedsASpout) {
  TopologyBuilder b;
  b.setBolt("lonely", CountingBolt(), 1);
  expectRejected<InvalidTopologyException>(b.createTopology(), {"'bad'", "no spout"});
  expectRejected<InvalidTopologyException>(TopologyBuilder().createTopology(),
                                           {"'bad'", "no components"});
}

TEST(Validation, ASpoutCannotSubscribe) {
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(), 1);
  b.setSpout("other", CountingSpout(), 1);
  StormTopology t = b.createTopology();
  t.def.components[1].inputs.push_back(InputDef{"spout", "default", GroupingDef{}});
  expectRejected<InvalidTopologyException>(t, {"'other'", "cannot subscribe"});
}

TEST(Validation, ARejectedNameCanBeSubmittedAgainAndARunningOneCannot) {
  LocalCluster cluster;
  TopologyBuilder bad;
  bad.setSpout("spout", CountingSpout(), 1);
  bad.setBolt("b", CountingBolt(), 1).shuffleGrouping("nope");
  EXPECT_THROW(cluster.submitTopology("again", testConfig(), bad.createTopology()),
               InvalidTopologyException);
  EXPECT_TRUE(cluster.getTopologySummaries().empty());

  TopologyBuilder good;
  good.setSpout("spout", CountingSpout(), 1);
  good.setBolt("b", CountingBolt(), 1).shuffleGrouping("spout");
  opened = 0;
  prepared = 0;
  cluster.submitTopology("again", testConfig(), good.createTopology());
  ASSERT_TRUE(waitFor([] { return opened == 1 && prepared == 1; }));
  try {
    cluster.submitTopology("again", testConfig(), good.createTopology());
    FAIL() << "a second 'again' was accepted";
  } catch (const IllegalArgumentException& e) {
    EXPECT_NE(std::string(e.what()).find("'again'"), std::string::npos) << e.what();
  }
  auto summaries = cluster.getTopologySummaries();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].name, "again");
  EXPECT_EQ(summaries[0].status, TopologyStatus::Active);
  EXPECT_EQ(opened.load(), 1) << "the refused duplicate must not start anything";
}

}  // namespace
