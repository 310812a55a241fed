#include "cli/storm_forms.h"

#include <fmt/format.h>

#include <set>

namespace squall::cli {

namespace {

constexpr const char* kFlux = "org.apache.storm.flux.Flux";

bool topologyFile(const std::string& s) {
  return s.ends_with(".yaml") || s.ends_with(".yml") || s.ends_with(".py");
}

// `storm local` / `storm jar` take the jar, then the main class. Returns the index after them,
// or sets `error` when the main class is not Flux.
size_t skipJarAndClass(const std::vector<std::string>& a, size_t i, StormForm& out,
                       const std::string& command) {
  if (i < a.size() && a[i].ends_with(".jar")) ++i;
  if (i < a.size() && a[i] == kFlux) return i + 1;
  if (i < a.size() && !topologyFile(a[i]) && a[i][0] != '-') {
    out.error = fmt::format(
        "`storm {}` names the Java main class '{}'; Squall runs no JVM, so it runs Flux "
        "topologies only: storm {} X.jar {} [options] topology.yaml",
        command, a[i], command, kFlux);
  }
  return i;
}

}  // namespace

std::optional<StormForm> rewriteStormForm(std::vector<std::string> args, bool asStorm) {
  if (!asStorm) {
    if (args.empty()) return std::nullopt;
    if (args[0] == "storm") {
      args.erase(args.begin());
      asStorm = true;
    } else if (args[0] != "local" && args[0] != "jar") {
      return std::nullopt;
    }
  }
  StormForm out;
  if (args.empty() || (args[0] != "local" && args[0] != "jar")) {
    out.error = fmt::format(
        "as `storm`, squall runs `storm local [X.jar {0}] FILE` and `storm jar X.jar {0} "
        "--local FILE`; got `storm{1}{2}`. Other storm commands need a Storm cluster, which "
        "Squall does not have yet",
        kFlux, args.empty() ? "" : " ", args.empty() ? "" : args[0]);
    return out;
  }
  const std::string command = args[0];
  out.args = {"run", kFluxDetailFlag};
  size_t i = 1;
  if (command == "local") {
    // storm local's own options, before the jar.
    static const std::set<std::string> ignoredWithValue = {
        "--local-zookeeper", "--java-debug",           "--jars",
        "--artifacts",       "--artifactRepositories", "--mavenLocalRepositoryDirectory",
        "--proxyUrl",        "--proxyUsername",        "--proxyPassword",
        "--config"};
    while (i < args.size() && args[i].rfind("-", 0) == 0) {
      const std::string& o = args[i];
      if (o == "--local-ttl" && i + 1 < args.size()) {
        out.args.insert(out.args.end(), {"--local-ttl", args[i + 1]});
        i += 2;
      } else if (o == "-c" && i + 1 < args.size()) {
        out.args.insert(out.args.end(), {"-c", args[i + 1]});
        i += 2;
      } else if (ignoredWithValue.count(o) && i + 1 < args.size()) {
        out.notes.push_back(
            fmt::format("storm local's {} {} means nothing here and is ignored", o, args[i + 1]));
        i += 2;
      } else {
        break;  // Flux options (or the file) follow
      }
    }
    i = skipJarAndClass(args, i, out, command);
  } else {
    if (i >= args.size() || !args[i].ends_with(".jar")) {
      out.error = fmt::format("`storm jar` takes X.jar {} [options] topology.yaml", kFlux);
      return out;
    }
    i = skipJarAndClass(args, i, out, command);
    out.args.push_back(kStormJarFlag);
  }
  for (; i < args.size(); ++i) {
    // Under `storm local` every submission runs in the local cluster, as in Storm.
    if (command == "local" && (args[i] == "-r" || args[i] == "--remote")) continue;
    out.args.push_back(args[i]);
  }
  return out;
}

}  // namespace squall::cli
