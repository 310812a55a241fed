#pragma once
// Storm's launch commands, so scripts written for Storm run unchanged when `storm` is squall
// (a link named storm, or `squall storm ...`):
//   storm local [storm options] [X.jar] [org.apache.storm.flux.Flux] [Flux options] FILE
//   storm jar X.jar org.apache.storm.flux.Flux [Flux options] FILE
// become `squall run` arguments. `squall local ...` and `squall jar ...` are the same forms.

#include <optional>
#include <string>
#include <vector>

namespace squall::cli {

// Hidden `run` flags the forms add: Flux prints the topology's details by default, and
// `storm jar` submits to a cluster unless Flux's --local is given.
inline constexpr const char* kFluxDetailFlag = "--flux-detail";
inline constexpr const char* kStormJarFlag = "--storm-jar";

struct StormForm {
  std::vector<std::string> args;   // for the squall command line, without argv[0]
  std::string error;               // a sentence when the form cannot run here
  std::vector<std::string> notes;  // storm options that mean nothing here, for warnings
};

// `args` is argv without argv[0]; `asStorm` when the program was started as `storm`.
// nullopt when `args` is not one of the forms (an ordinary squall command line).
std::optional<StormForm> rewriteStormForm(std::vector<std::string> args, bool asStorm);

}  // namespace squall::cli
