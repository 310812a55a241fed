// Storm's logconfig endpoint (src/ui/log_config_api.h): the body applied to the process's log
// levels as Storm's putTopologyLogLevel does, bad bodies refused whole, and the reply in
// Storm's getTopologyLogconfig shape.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "logs/log_levels.h"
#include "ui/log_config_api.h"
#include "ui/storm_api.h"

using namespace squall;

namespace {

int statusOf(const std::string& body) {
  try {
    ui::applyLogConfig(body, logs::LogLevels::global());
  } catch (const ui::ApiError& e) {
    return e.status();
  }
  return 200;
}

std::string messageOf(const std::string& body) {
  try {
    ui::applyLogConfig(body, logs::LogLevels::global());
  } catch (const ui::ApiError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(UiLogConfig, SetsAndClearsNamedLoggersInStormsShape) {
  auto& levels = logs::LogLevels::global();
  levels.clear();
  EXPECT_EQ(ui::logConfigJson(levels.config()), R"({"namedLoggerLevels":{}})");
  ui::applyLogConfig(
      R"({"namedLoggerLevels": {"split": {"target_level": "debug", "timeout": 0},
                                "ROOT": {"target_level": "WARN", "timeout": "30"}}})",
      levels);
  EXPECT_TRUE(levels.allows("split", spdlog::level::debug));
  EXPECT_EQ(spdlog::default_logger_raw()->level(), spdlog::level::warn);
  auto cfg = levels.config();
  EXPECT_EQ(cfg["ROOT"].timeoutSecs, 30);
  EXPECT_GT(cfg["ROOT"].timeoutEpochMs, 0);
  std::string json = ui::logConfigJson(cfg);
  EXPECT_NE(json.find(R"("split":{"target_level":"DEBUG","reset_level":"INFO","timeout":0,)"
                      R"("timeout_epoch":0})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("ROOT":{"target_level":"WARN","reset_level":"INFO","timeout":30,)"),
            std::string::npos)
      << json;

  // No target_level: back to the level of before, now.
  ui::applyLogConfig(R"({"namedLoggerLevels": {"ROOT": {}, "split": {"target_level": null}}})",
                     levels);
  EXPECT_EQ(spdlog::default_logger_raw()->level(), spdlog::level::info);
  EXPECT_FALSE(levels.allows("split", spdlog::level::debug));
  EXPECT_TRUE(levels.config().empty());
}

TEST(UiLogConfig, RefusesBadBodiesWholeNamingWhatIsWrong) {
  auto& levels = logs::LogLevels::global();
  levels.clear();
  EXPECT_EQ(statusOf("not json"), 400);
  EXPECT_EQ(statusOf("[]"), 400);
  EXPECT_EQ(statusOf(R"({"namedLoggerLevels": 3})"), 400);
  EXPECT_EQ(statusOf(R"({"namedLoggerLevels": {"x": "DEBUG"}})"), 400);
  EXPECT_EQ(statusOf(R"({"namedLoggerLevels": {"": {"target_level": "DEBUG"}}})"), 400);
  EXPECT_EQ(statusOf(R"({"namedLoggerLevels": {"x": {"target_level": "DEBUG", "timeout": -1}}})"),
            400);
  EXPECT_EQ(statusOf(R"({"namedLoggerLevels": {"x": {"target_level": "DEBUG", "timeout": "1s"}}})"),
            400);
  EXPECT_EQ(statusOf(R"({"namedLoggerLevels": {"x": {"target_level": 3}}})"), 400);
  std::string msg = messageOf(
      R"({"namedLoggerLevels": {"good": {"target_level": "DEBUG"}, "bad": {"target_level": "LOUD"}}})");
  EXPECT_NE(msg.find("'bad'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("LOUD"), std::string::npos) << msg;
  EXPECT_TRUE(levels.config().empty());  // "good" was not applied either
}
