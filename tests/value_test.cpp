#include <gtest/gtest.h>
#include <squall/squall.h>

using namespace squall;

TEST(Value, HoldsEveryTypeAndReadsItBack) {
  Values v{nullptr, true, 42, 2.5, "text", Bytes{"\x01\x02"}, List{1, "a"}, Map{{"k", 7}}};
  EXPECT_TRUE(v[0].isNull());
  EXPECT_TRUE(v[1].asBool());
  EXPECT_EQ(v[2].asInt(), 42);
  EXPECT_DOUBLE_EQ(v[3].asDouble(), 2.5);
  EXPECT_EQ(v[4].asString(), "text");
  EXPECT_EQ(v[5].asBytes().data, "\x01\x02");
  EXPECT_EQ(v[6].asList().at(1).asString(), "a");
  EXPECT_EQ(v[7].find("k")->asInt(), 7);
}

TEST(Value, WrongTypeNamesBothTypes) {
  Value v("word");
  try {
    v.asInt();
    FAIL();
  } catch (const ClassCastException& e) {
    EXPECT_NE(std::string(e.what()).find("string"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("int"), std::string::npos);
  }
}

TEST(Value, EqualValuesHashAlike) {
  EXPECT_EQ(Value("abc").hash(), Value(std::string("abc")).hash());
  EXPECT_EQ(Value(List{1, 2}).hash(), Value(List{1, 2}).hash());
  EXPECT_NE(Value("abc").hash(), Value("abd").hash());
  EXPECT_NE(Value(1).hash(), Value("1").hash());
}

TEST(Fields, RejectsDuplicatesAndNamesUnknownField) {
  EXPECT_THROW(Fields({"a", "a"}), IllegalArgumentException);
  Fields f{"word", "count"};
  EXPECT_EQ(f.fieldIndex("count"), 1u);
  try {
    f.fieldIndex("nope");
    FAIL();
  } catch (const IllegalArgumentException& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("word"), std::string::npos);
  }
  Values sel = f.select(Fields{"count"}, Values{"x", 3});
  EXPECT_EQ(sel.at(0).asInt(), 3);
}

TEST(Config, DeclaredKeysHaveStormDefaultsAndAreValidated) {
  Config c;
  EXPECT_EQ(c.getInt(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS), 30);
  EXPECT_EQ(c.getInt(Config::TOPOLOGY_EXECUTOR_RECEIVE_BUFFER_SIZE), 32768);
  EXPECT_EQ(c.getInt(Config::TOPOLOGY_WORKERS), 1);
  EXPECT_FALSE(c.getOptionalInt(Config::TOPOLOGY_MAX_SPOUT_PENDING).has_value());
  try {
    c.set(Config::TOPOLOGY_WORKERS, "many");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("topology.workers"), std::string::npos);
  }
  EXPECT_THROW(c.set(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS, 0), ConfigError);
  c.set("my.own.key", "anything");  // unknown keys pass through
  EXPECT_EQ(c.get("my.own.key").asString(), "anything");
}

TEST(Config, ComponentOverridesOnlyWhitelistedStormKeys) {
  Config topo;
  topo.set(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS, 30);
  Config merged = topo.mergedWithComponent(Map{{"topology.max.spout.pending", 5},
                                               {"topology.message.timeout.secs", 99},
                                               {"user.key", 1}});
  EXPECT_EQ(*merged.getOptionalInt(Config::TOPOLOGY_MAX_SPOUT_PENDING), 5);
  EXPECT_EQ(merged.getInt(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS), 30);
  EXPECT_EQ(merged.getInt("user.key"), 1);
}
