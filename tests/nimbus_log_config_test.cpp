// Storm's dynamic log levels on a cluster: the CLI's -l/-r syntax (Storm's SetLogLevel), how
// nimbus merges a setLogConfig into what is set (logs/log_config.h, nimbus/log_config_thrift.h),
// the JSON kept in /logconfigs/ID, and a worker following it (set, reset when removed, expired
// on time).

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "logs/debug_sampling.h"
#include "logs/log_config.h"
#include "nimbus/log_config_thrift.h"

using namespace squall;
using logs::LogLevelAction;

TEST(SetLogLevelSyntax, ParsesStormsForms) {
  auto [name, s] = logs::parseLogSetting("ROOT=DEBUG:30", false);
  EXPECT_EQ(name, "ROOT");
  EXPECT_EQ(s.action, LogLevelAction::Update);
  EXPECT_EQ(s.targetLevel, "DEBUG");
  EXPECT_EQ(s.timeoutSecs, 30);
  auto [name2, s2] = logs::parseLogSetting("count=warn", false);
  EXPECT_EQ(name2, "count");
  EXPECT_EQ(s2.targetLevel, "WARN");
  EXPECT_EQ(s2.timeoutSecs, 0);
  EXPECT_EQ(logs::parseLogSetting("root=INFO", false).first, "ROOT");
  auto [name3, s3] = logs::parseLogSetting("count", true);
  EXPECT_EQ(name3, "count");
  EXPECT_EQ(s3.action, LogLevelAction::Remove);
}

TEST(SetLogLevelSyntax, RefusesWhatStormRefusesSayingWhy) {
  for (const char* bad : {"ROOT", "ROOT=", "=DEBUG", "a=b=DEBUG", "ROOT=LOUD", "ROOT=DEBUG:x",
                          "ROOT=DEBUG:-1", "ROOT=DEBUG:30s"}) {
    EXPECT_THROW(logs::parseLogSetting(bad, false), std::invalid_argument) << bad;
  }
  try {
    logs::parseLogSetting("ROOT=LOUD", false);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'LOUD' is not a level"), std::string::npos) << e.what();
  }
  EXPECT_THROW(logs::parseLogSetting("", true), std::invalid_argument);
}

TEST(LogConfigMerge, UpdatesStampTimeoutsRemovesDropAndOldEntriesAreUnchanged) {
  logs::LogConfig change;
  change["ROOT"] = logs::parseLogSetting("ROOT=DEBUG:30", false).second;
  change["count"] = logs::parseLogSetting("count=ERROR", false).second;
  logs::LogConfig merged = logs::mergeLogConfig({}, change, 1'000'000);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged["ROOT"].timeoutEpochMs, 1'030'000);
  EXPECT_EQ(merged["count"].timeoutEpochMs, 0);  // kept until removed

  logs::LogConfig next;
  next["count"] = logs::parseLogSetting("count", true).second;
  next["split"] = logs::parseLogSetting("split=TRACE:5", false).second;
  merged = logs::mergeLogConfig(merged, next, 2'000'000);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged["ROOT"].action, LogLevelAction::Unchanged);
  EXPECT_EQ(merged["ROOT"].timeoutEpochMs, 1'030'000);
  EXPECT_EQ(merged["split"].action, LogLevelAction::Update);
  EXPECT_EQ(merged["split"].timeoutEpochMs, 2'005'000);
  EXPECT_EQ(merged.count("count"), 0u);

  // Through Thrift and the JSON of /logconfigs/ID, unchanged.
  EXPECT_EQ(nimbus::fromThrift(nimbus::toThrift(merged)), merged);
  EXPECT_EQ(logs::logConfigFromJson(logs::logConfigToJson(merged)), merged);
}

TEST(LogConfigMerge, RefusesBadEntriesAndMergesNothingThen) {
  storm::LogConfig bad;
  storm::LogLevel l;
  l.action = storm::LogLevelAction::UPDATE;
  l.__set_target_log_level("DEBUG");
  bad.named_logger_level[""] = l;
  try {
    logs::mergeLogConfig({}, nimbus::fromThrift(bad), 0);
    FAIL() << "a logger without a name was merged";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "Named loggers need a valid name. Use ROOT for the root logger");
  }
  storm::LogConfig badLevel;
  l.__set_target_log_level("LOUD");
  badLevel.named_logger_level["ROOT"] = l;
  EXPECT_THROW(logs::mergeLogConfig({}, nimbus::fromThrift(badLevel), 0), std::invalid_argument);
  EXPECT_THROW(logs::logConfigFromJson("{\"named_logger_level\": {\"ROOT\": 3}}"),
               std::invalid_argument);
  EXPECT_THROW(logs::logConfigFromJson("[1"), std::invalid_argument);
  logs::LogConfig many;
  for (size_t i = 0; i <= logs::kMostLoggers; ++i) {
    many["c" + std::to_string(i)] = logs::parseLogSetting("x=INFO", false).second;
  }
  EXPECT_THROW(logs::mergeLogConfig({}, many, 0), std::invalid_argument);
}

TEST(LogConfigFollower, SetsResetsAndLetsTimeoutsExpire) {
  logs::LogLevels levels;
  auto* root = spdlog::default_logger_raw();
  auto was = root->level();
  root->set_level(spdlog::level::info);
  logs::LogConfigFollower follower(levels);
  // LogLevels expires on the system clock, so the follower is given it too.
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();

  logs::LogConfig config =
      logs::mergeLogConfig({},
                           {{"count", logs::parseLogSetting("count=ERROR", false).second},
                            {"split", logs::parseLogSetting("split=DEBUG:30", false).second}},
                           now);
  EXPECT_EQ(follower.apply(config, now), 2);
  EXPECT_EQ(levels.componentLevel("count"), spdlog::level::err);
  EXPECT_EQ(levels.componentLevel("split"), spdlog::level::debug);
  // The same config again (the file is read on every change) changes nothing.
  EXPECT_EQ(follower.apply(config, now + 1000), 0);

  // ROOT set; count removed: back to the root's level.
  config = logs::mergeLogConfig(config,
                                {{"count", logs::parseLogSetting("count", true).second},
                                 {"ROOT", logs::parseLogSetting("ROOT=WARN", false).second}},
                                now + 2000);
  EXPECT_EQ(follower.apply(config, now + 2000), 2);
  EXPECT_EQ(root->level(), spdlog::level::warn);
  EXPECT_EQ(levels.componentLevel("count"), spdlog::level::warn);

  // A setting whose timeout passed before it was read is not applied at all.
  logs::LogConfig late =
      logs::mergeLogConfig({}, {{"top", logs::parseLogSetting("top=TRACE:1", false).second}}, now);
  logs::LogConfigFollower other(levels);
  EXPECT_EQ(other.apply(late, now + 5000), 0);
  EXPECT_EQ(levels.config().count("top"), 0u);

  // ROOT removed: back to INFO, the level it had before.
  config = logs::mergeLogConfig(config, {{"ROOT", logs::parseLogSetting("ROOT", true).second}},
                                now + 3000);
  follower.apply(config, now + 3000);
  EXPECT_EQ(root->level(), spdlog::level::info);
  levels.clear();
  root->set_level(was);
}

// The debug switches a cluster keeps in /debugoptions/ID and its workers apply: through the
// JSON unchanged, bad JSON refused naming the key, the topology's own entry (under its id)
// for the topology, others for their components.
TEST(DebugOptions, JsonRoundTripAndWorkersApplyThem) {
  logs::DebugOptions o{{"t-1-1", {true, 100}}, {"count", {true, 12.5}}, {"split", {false, 0}}};
  EXPECT_EQ(logs::debugOptionsFromJson(logs::debugOptionsToJson(o)), o);
  EXPECT_THROW(logs::debugOptionsFromJson("[1]"), std::invalid_argument);
  try {
    logs::debugOptionsFromJson(R"({"count": {"enable": "yes", "samplingpct": 5}})");
    FAIL() << "a string enable was read";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("count"), std::string::npos) << e.what();
  }

  logs::DebugSampling sampling;
  sampling.apply({{"t-1-1", {true, 40}}, {"count", {false, 0}}}, "t-1-1");
  EXPECT_EQ(sampling.topologyPercent(), 40);
  EXPECT_EQ(sampling.componentPercent("count"), 0);
  EXPECT_EQ(sampling.componentPercent("split"), 40);  // follows the topology's
  sampling.apply({{"count", {true, 12.5}}}, "t-1-1");
  EXPECT_EQ(sampling.componentPercent("count"), 13);
  EXPECT_EQ(sampling.topologyPercent(), 40);  // absent: unchanged
}
