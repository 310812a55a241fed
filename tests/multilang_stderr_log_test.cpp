// A multilang child's stderr in the process log (src/logs, src/multilang/shell_process.h):
// every line reaches worker.log with the child's component and task, also past the console's
// rate limit (those go to the file alone), and a component's level filters them.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "logs/log_levels.h"
#include "logs/process_log.h"
#include "multilang/shell_process.h"

namespace fs = std::filesystem;
using namespace squall;

namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void runChild(const std::string& component, int lines) {
  internal::LaunchOptions o;
  o.argv = {"/usr/bin/python3", "-c",
            "import sys\nfor i in range(" + std::to_string(lines) +
                "): print('flood', i, file=sys.stderr)\n"};
  o.env = internal::childEnvironment({});
  o.label = "ShellBolt '" + component + "' task 7";
  o.component = component;
  o.tag = component + ":7";
  auto p = internal::ShellProcess::launch(o);
  p->terminate(std::chrono::seconds(20));  // waits for the child to end, then for its stderr
}

}  // namespace

TEST(MultilangStderrLog, EveryLineReachesTheFileTaggedAndFilteredByLevel) {
  std::string tmpl = (fs::temp_directory_path() / "squall-stderr-XXXXXX").string();
  std::string dir = mkdtemp(tmpl.data());
  logs::ProcessLog& log = logs::ProcessLog::attach(Config());
  log.open(dir, "t-1-1", "t", "t-1-1-local", "local");

  runChild("flood", 1000);  // five times the console's 200 lines a second
  std::string text = readAll(dir + "/worker.log");
  size_t all = 0;
  for (size_t at = text.find("] flood "); at != std::string::npos;
       at = text.find("] flood ", at + 1)) {
    ++all;
  }
  EXPECT_EQ(all, 1000u);  // 800 of them past the console's limit
  // The last one, logged to the file alone, still carries the tag.
  EXPECT_TRUE(std::regex_search(
      text,
      std::regex(R"(\n\S+ \S+ flood:7 \[info\] \[ShellBolt 'flood' task 7 pid \d+\] flood 999\n)")))
      << text.substr(0, 2000);

  // A component whose level is above INFO: its stderr is not logged.
  logs::LogLevels::global().update("quiet", spdlog::level::warn, 0);
  runChild("quiet", 5);
  EXPECT_EQ(readAll(dir + "/worker.log").find("'quiet'"), std::string::npos);
  logs::LogLevels::global().clear();
  std::error_code ec;
  fs::remove_all(dir, ec);
}
