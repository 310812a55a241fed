// Process logs (src/logs): rotation as Storm's worker log4j2 does it, lines held until the
// file is named, Storm's workers-artifacts layout and its defaults, finding a topology's logs,
// reading them by component and following them across rotation, the component tag in each
// line, and dynamic levels with their timeouts.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "logs/debug_sampling.h"
#include "logs/log_layout.h"
#include "logs/log_levels.h"
#include "logs/log_reader.h"
#include "logs/log_tag.h"
#include "logs/rotating_file_sink.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace squall;
using namespace squall::logs;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "squall-logs-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return (fs::path(path_) / rel).string(); }

 private:
  std::string path_;
};

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// A logger writing through `sink` with the file pattern, the way ProcessLog sets it up.
std::shared_ptr<spdlog::logger> loggerOn(std::shared_ptr<spdlog::sinks::sink> sink) {
  sink->set_formatter(taggedFormatter("%v"));
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(spdlog::level::trace);
  return logger;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string line;
  while (std::getline(s, line)) out.push_back(line);
  return out;
}

}  // namespace

TEST(LogsRotation, RotatesBySizeKeepingStormsNumberOfFiles) {
  TempDir dir;
  std::string path = dir / "worker.log";
  auto sink = std::make_shared<RotatingFileSink>(100, 2);
  sink->open(path);
  auto log = loggerOn(sink);
  // 10 lines of 40 bytes (with the newline): two lines per 100-byte file.
  for (int i = 0; i < 10; ++i) log->info("line {:02} {}", i, std::string(31, 'x'));
  EXPECT_EQ(lines(readAll(path)).size(), 2u);
  EXPECT_EQ(readAll(path).substr(0, 7), "line 08");
  EXPECT_EQ(readAll(path + ".1").substr(0, 7), "line 06");
  EXPECT_EQ(readAll(path + ".2").substr(0, 7), "line 04");
  EXPECT_FALSE(fs::exists(path + ".3"));  // the oldest went: 2 rotated files kept
  for (const auto& f : {path, path + ".1", path + ".2"}) EXPECT_LE(fs::file_size(f), 100u) << f;
}

TEST(LogsRotation, NoRotatedFilesStartsOver) {
  TempDir dir;
  std::string path = dir / "worker.log";
  auto sink = std::make_shared<RotatingFileSink>(50, 0);
  sink->open(path);
  auto log = loggerOn(sink);
  for (int i = 0; i < 5; ++i) log->info("line {} {}", i, std::string(30, 'y'));
  EXPECT_EQ(readAll(path).substr(0, 6), "line 4");
  EXPECT_FALSE(fs::exists(path + ".1"));
}

TEST(LogsRotation, AppendsToAnExistingFileAndCountsItsSize) {
  TempDir dir;
  std::string path = dir / "worker.log";
  writeFile(path, std::string(90, 'a') + "\n");
  auto sink = std::make_shared<RotatingFileSink>(100, 3);
  sink->open(path);
  loggerOn(sink)->info("{}", std::string(20, 'b'));
  EXPECT_EQ(readAll(path + ".1"), std::string(90, 'a') + "\n");
  EXPECT_EQ(readAll(path), std::string(20, 'b') + "\n");
}

TEST(LogsRotation, HoldsLinesUntilTheFileIsNamed) {
  TempDir dir;
  auto sink = std::make_shared<RotatingFileSink>(1 << 20, 9);
  auto log = loggerOn(sink);
  log->info("before the topology had an id");
  std::string path = dir / "workers-artifacts/t-1-5/local/worker.log";
  sink->open(path);  // creates the folders
  log->info("after");
  EXPECT_EQ(readAll(path), "before the topology had an id\nafter\n");
  EXPECT_EQ(sink->path(), path);
}

TEST(LogsRotation, HeldLinesAreBounded) {
  TempDir dir;
  auto sink = std::make_shared<RotatingFileSink>(1 << 30, 1);
  auto log = loggerOn(sink);
  std::string big(1 << 16, 'z');
  size_t n = RotatingFileSink::kPendingBytes / big.size() + 10;
  for (size_t i = 0; i < n; ++i) log->info("{}", big);
  sink->open(dir / "worker.log");
  std::string text = readAll(dir / "worker.log");
  EXPECT_LE(text.size(), RotatingFileSink::kPendingBytes + 200);
  EXPECT_NE(text.find("lines logged before this file was opened were not kept"), std::string::npos);
}

TEST(LogsRotation, OpenNamesTheFileItCannotWrite) {
  TempDir dir;
  writeFile(dir / "file", "x");
  RotatingFileSink sink(100, 1);
  try {
    sink.open(dir / "file/worker.log");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("file/worker.log"), std::string::npos) << e.what();
  }
}

TEST(LogsLayout, StormsWorkersArtifactsPath) {
  EXPECT_EQ(workerArtifactsDir("/var/log/squall", "wc-1-1700000000", "6700"),
            "/var/log/squall/workers-artifacts/wc-1-1700000000/6700");
  EXPECT_EQ(workerArtifactsDir("logs", "wc-1-1700000000", kLocalPort),
            "logs/workers-artifacts/wc-1-1700000000/local");
}

TEST(LogsLayout, DefaultDirIsTheBuildTreeOrTheUsersStateFolder) {
  TempDir dir;
  writeFile(dir / "build/CMakeCache.txt", "");
  EXPECT_EQ(defaultLogDir(dir / "build/src/cli/squall"), dir / "build/logs");

  std::string oldState = getenv("XDG_STATE_HOME") ? getenv("XDG_STATE_HOME") : "";
  setenv("XDG_STATE_HOME", (dir / "state").c_str(), 1);
  EXPECT_EQ(defaultLogDir(dir / "prefix/bin/squall"), dir / "state/squall/logs");
  unsetenv("XDG_STATE_HOME");
  std::string home = getenv("HOME") ? getenv("HOME") : "";
  if (!home.empty()) {
    EXPECT_EQ(defaultLogDir(dir / "prefix/bin/squall"), home + "/.local/state/squall/logs");
  }
  if (!oldState.empty()) setenv("XDG_STATE_HOME", oldState.c_str(), 1);

  Config conf;
  conf.set(Config::STORM_LOG_DIR, dir / "mine");
  EXPECT_EQ(logDir(conf, dir / "build/src/cli/squall"), dir / "mine");
}

TEST(LogsLayout, FindsATopologyByIdOrByNameLatestRunFirst) {
  TempDir dir;
  writeFile(dir / "workers-artifacts/wc-1-100/local/worker.log", "");
  writeFile(dir / "workers-artifacts/wc-1-200/6701/worker.log", "");
  writeFile(dir / "workers-artifacts/wc-1-200/6700/worker.log", "");
  writeFile(dir / "workers-artifacts/other-3-150/local/worker.log", "");
  ASSERT_TRUE(writeWorkerYaml(dir / "workers-artifacts/renamed-1-50/local", "renamed-1-50",
                              "my-topo", "renamed-1-50-local", kLocalPort));

  auto all = listTopologyLogs(dir.path());
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.front().name, "my-topo");  // from worker.yaml
  auto latest = findTopologyLogs(dir.path(), "wc");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->id, "wc-1-200");
  EXPECT_EQ(latest->ports, (std::vector<std::string>{"6700", "6701"}));
  auto byId = findTopologyLogs(dir.path(), "wc-1-100");
  ASSERT_TRUE(byId);
  EXPECT_EQ(byId->ports, std::vector<std::string>{"local"});
  EXPECT_TRUE(findTopologyLogs(dir.path(), "my-topo"));
  EXPECT_FALSE(findTopologyLogs(dir.path(), "nothing"));
  EXPECT_TRUE(listTopologyLogs(dir / "absent").empty());
}

TEST(LogsTag, FilePatternCarriesTheThreadsComponentAndTask) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(taggedFormatter(kFilePattern));
  spdlog::logger log("t", sink);
  log.info("untagged");
  setThreadTag(componentTag("split", 3, 3));
  log.warn("from split");
  setThreadTag(componentTag("count", 4, 5));
  log.info("from count");
  setThreadTag("");
  auto got = lines(out.str());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(startsEntry(got[0]));
  EXPECT_EQ(got[0].substr(23), " - [info] untagged");
  EXPECT_EQ(got[1].substr(23), " split:3 [warning] from split");
  EXPECT_EQ(got[2].substr(23), " count:4-5 [info] from count");
  EXPECT_TRUE(lineHasComponent(got[1], "split"));
  EXPECT_FALSE(lineHasComponent(got[1], "spli"));
  EXPECT_FALSE(lineHasComponent(got[0], "split"));
  EXPECT_EQ(lineComponent(got[2]), "count");
  EXPECT_FALSE(startsEntry("  File \"bolt.py\", line 3"));
}

TEST(LogsReader, PrintsRotatedFilesOldestFirstAndOneComponentsEntries) {
  TempDir dir;
  std::string port = dir / "workers-artifacts/wc-1-100/local";
  writeFile(port + "/worker.log.2",
            "2026-01-01 00:00:00.000 split:3 [info] one\n"
            "2026-01-01 00:00:00.001 count:4 [info] two\n");
  writeFile(port + "/worker.log.1",
            "2026-01-01 00:00:01.000 split:3 [error] three: Traceback\n"
            "  File \"split.py\", line 9\n"
            "2026-01-01 00:00:01.001 - [info] four\n");
  writeFile(port + "/worker.log", "2026-01-01 00:00:02.000 split:3 [info] five\n");
  writeFile(port + "/worker.log.out", "not a log file of ours\n");
  auto t = findTopologyLogs(dir.path(), "wc");
  ASSERT_TRUE(t);

  std::vector<std::string> all;
  LogReader everything(*t, "",
                       [&](const std::string&, std::string_view l) { all.emplace_back(l); });
  everything.readExisting();
  ASSERT_EQ(all.size(), 6u);
  EXPECT_NE(all.front().find("one"), std::string::npos);
  EXPECT_NE(all.back().find("five"), std::string::npos);
  EXPECT_EQ(everything.componentsSeen(), (std::set<std::string>{"count", "split"}));

  std::vector<std::string> split;
  LogReader one(*t, "split",
                [&](const std::string&, std::string_view l) { split.emplace_back(l); });
  one.readExisting();
  ASSERT_EQ(split.size(), 4u);  // one, three and its traceback line, five
  EXPECT_EQ(split[2], "  File \"split.py\", line 9");
}

TEST(LogsReader, FollowsAcrossRotationAndNewPorts) {
  TempDir dir;
  std::string topo = dir / "workers-artifacts/wc-1-100";
  auto sink = std::make_shared<RotatingFileSink>(120, 3);
  sink->open(topo + "/6700/worker.log");
  auto log = loggerOn(sink);
  log->info("2026-01-01 00:00:00.000 split:3 [info] before");
  auto t = findTopologyLogs(dir.path(), "wc-1-100");
  ASSERT_TRUE(t);
  std::vector<std::string> got;
  LogReader reader(*t, "", [&](const std::string&, std::string_view l) { got.emplace_back(l); });
  reader.readExisting();
  ASSERT_EQ(got.size(), 1u);
  // Enough lines to rotate several times between two polls is not needed: one at a time.
  for (int i = 0; i < 6; ++i) {
    log->info("2026-01-01 00:00:01.000 split:3 [info] after {} {}", i, std::string(40, 'x'));
    reader.poll();
  }
  EXPECT_TRUE(fs::exists(topo + "/6700/worker.log.2"));  // it did rotate
  ASSERT_EQ(got.size(), 7u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_NE(got[1 + i].find(fmt::format("after {} ", i)), std::string::npos) << got[1 + i];
  }
  // A worker restarted on another port: its folder is picked up.
  writeFile(topo + "/6701/worker.log", "2026-01-01 00:00:02.000 count:4 [info] new port\n");
  EXPECT_EQ(reader.poll(), 1u);
  EXPECT_NE(got.back().find("new port"), std::string::npos);
}

TEST(LogsLevels, StormsLevelNames) {
  EXPECT_EQ(parseLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(parseLevel("WARN"), spdlog::level::warn);
  EXPECT_EQ(parseLevel("FATAL"), spdlog::level::critical);
  EXPECT_EQ(parseLevel("ALL"), spdlog::level::trace);
  EXPECT_EQ(parseLevel("OFF"), spdlog::level::off);
  EXPECT_FALSE(parseLevel("LOUD"));
  EXPECT_EQ(levelName(spdlog::level::err), "ERROR");
  EXPECT_EQ(multilangLevel(1), spdlog::level::debug);
  EXPECT_EQ(multilangLevel(9), spdlog::level::info);
}

TEST(LogsLevels, AComponentsLevelAndTheRootsAndTheirReset) {
  LogLevels& levels = LogLevels::global();
  levels.clear();
  auto root = spdlog::default_logger_raw()->level();
  ASSERT_EQ(root, spdlog::level::info);
  EXPECT_FALSE(levels.allows("split", spdlog::level::debug));
  levels.update("split", spdlog::level::debug, 0);
  EXPECT_TRUE(levels.allows("split", spdlog::level::debug));
  EXPECT_FALSE(levels.allows("count", spdlog::level::debug));  // the others keep the root's
  auto cfg = levels.config();
  ASSERT_EQ(cfg.count("split"), 1u);
  EXPECT_EQ(cfg["split"].targetLevel, "DEBUG");
  EXPECT_EQ(cfg["split"].resetLevel, "INFO");
  EXPECT_EQ(cfg["split"].timeoutEpochMs, 0);

  levels.update(kRootLogger, spdlog::level::err, 0);  // the root is spdlog's level
  EXPECT_EQ(spdlog::default_logger_raw()->level(), spdlog::level::err);
  EXPECT_FALSE(levels.allows("count", spdlog::level::info));
  EXPECT_TRUE(levels.allows("split", spdlog::level::debug));
  levels.remove(kRootLogger);
  EXPECT_EQ(spdlog::default_logger_raw()->level(), spdlog::level::info);
  levels.remove("split");
  EXPECT_FALSE(levels.allows("split", spdlog::level::debug));
  EXPECT_TRUE(levels.config().empty());
}

TEST(LogsLevels, ATimeoutPutsTheLevelBack) {
  LogLevels& levels = LogLevels::global();
  levels.clear();
  levels.update("split", spdlog::level::trace, 1);
  EXPECT_GT(levels.config()["split"].timeoutEpochMs, 0);
  EXPECT_TRUE(levels.allows("split", spdlog::level::trace));
  EXPECT_TRUE(squall::testing::waitFor(
      [&] { return !levels.allows("split", spdlog::level::trace); }, std::chrono::seconds(5)));
  EXPECT_TRUE(levels.config().empty());
}

TEST(LogsDebugSampling, AComponentsSettingWinsOverTheTopologys) {
  auto& d = DebugSampling::global();
  d.clear();
  auto* split = d.slot("split");
  EXPECT_FALSE(d.sample(split));
  d.setTopology(true, 100);
  EXPECT_TRUE(d.sample(split));
  EXPECT_EQ(d.componentPercent("split"), 100);
  d.setComponent("split", false, 100);
  EXPECT_FALSE(d.sample(split));
  EXPECT_EQ(d.componentPercent("split"), 0);
  d.setComponent("split", true, 50);
  int traced = 0;
  for (int i = 0; i < 2000; ++i) traced += d.sample(split);
  EXPECT_GT(traced, 700);
  EXPECT_LT(traced, 1300);
  d.unsetComponent("split");
  d.setTopology(false, 100);
  EXPECT_FALSE(d.sample(split));
  d.setTopology(true, 250);  // clamped
  EXPECT_EQ(d.topologyPercent(), 100);
  d.clear();
}
