#include "cli/short_flags.h"

#include <filesystem>

#include "cli/storm_forms.h"

namespace squall::cli {

namespace {

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool isYaml(const std::string& s) {
  return endsWith(s, ".yaml") || endsWith(s, ".yml");
}

bool isTopologyFile(const std::string& s) {
  std::error_code ec;
  return isYaml(s) || endsWith(s, ".py") || std::filesystem::is_regular_file(s, ec);
}

}  // namespace

void disambiguateRunFlags(std::vector<std::string>& args) {
  if (args.empty() || args[0] != "run") return;
  bool flux = false;
  for (const auto& a : args) {
    if (isYaml(a) || a == kFluxDetailFlag || a == kStormJarFlag) flux = true;
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "-n") {
      bool named = i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-' &&
                   !isTopologyFile(args[i + 1]);
      args[i] = named ? "--name" : "--no-splash";
      if (named) ++i;
    } else if (args[i] == "-d") {
      args[i] = flux ? "--dry-run" : "--debug";
    }
  }
}

}  // namespace squall::cli
