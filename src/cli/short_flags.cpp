#include "cli/short_flags.h"

#include <filesystem>

#include "cli/storm_forms.h"

namespace squall::cli {

namespace {

bool isYaml(const std::string& s) {
  return s.ends_with(".yaml") || s.ends_with(".yml");
}

bool isTopologyFile(const std::string& s) {
  std::error_code ec;
  return isYaml(s) || s.ends_with(".py") || std::filesystem::is_regular_file(s, ec);
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
