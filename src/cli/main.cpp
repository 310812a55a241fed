// The `squall` command: runs, checks and describes Storm topologies written as Flux YAML
// files or Python DSL modules, with no JVM.
//
//   squall run FILE [--duration SECS] [-c key=value]... [--debug] [-f props] [-e]
//   squall validate FILE
//   squall describe FILE [--dot]
//   squall classes
//   squall dev-kafka ...   (a development Kafka cluster, when built with src/kafka)
//
// Exit status: 0 success, 1 the topology is invalid or cannot start, 2 usage error,
// 3 a component failed fatally while running.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <iostream>

#include "cli/run_command.h"
#include "flux/builtins.h"
#include "flux/check.h"
#include "flux/describe.h"
#include "flux/topology_file.h"
#include "squall/component_registry.h"

#ifdef SQUALL_HAVE_MULTILANG
#include "squall/shell_component.h"
#endif
#ifdef SQUALL_HAVE_KAFKA
#include "squall/dev_kafka.h"
#include "squall/kafka_registration.h"
#endif

namespace {

using namespace squall;

struct FileOptions {
  std::string file;
  std::string filter;
  bool envFilter = false;  // Flux's -e; ${ENV-NAME} substitution is always on in Squall
  std::vector<std::string> config;
  std::string name;
  bool verbose = false;
  int exportTimeoutSecs = flux::LoadOptions{}.exportTimeoutSecs;
};

void addFileOptions(CLI::App* cmd, FileOptions& o) {
  cmd->add_option("FILE", o.file, "Topology file: Flux YAML (.yaml, .yml) or Python DSL (.py)")
      ->required();
  cmd->add_option("-f,--filter", o.filter,
                  "Properties file for ${key} substitution in the YAML (Flux's --filter)");
  cmd->add_flag("-e,--env-filter", o.envFilter,
                "Accepted for Flux compatibility; ${ENV-NAME} substitution is always on");
  cmd->add_option("-c,--config", o.config, "Configuration override key=value (value read as YAML)")
      ->take_all();
  cmd->add_option("--name", o.name,
                  "Topology name (default: the file's name:, else its file name)");
  cmd->add_flag("-v,--verbose", o.verbose, "Show more detail when loading fails");
  cmd->add_option("--export-timeout", o.exportTimeoutSecs,
                  "Seconds a Python DSL module may take to import and export (default 30)")
      ->check(CLI::Range(1, 1000000));
}

std::string executablePath(const char* argv0) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return argv0;
}

flux::TopologyFile load(const FileOptions& o, const std::string& exe) {
  flux::LoadOptions options;
  options.filterFile = o.filter;
  options.nameOverride = o.name;
  options.verbose = o.verbose;
  options.exportTimeoutSecs = o.exportTimeoutSecs;
  options.python = flux::PythonSetup::discover(exe);
  options.onWarning = [](const std::string& w) { std::cerr << w << "\n"; };
  for (const auto& c : o.config) {
    auto [key, value] = flux::parseConfigOverride(c);
    options.configOverrides.insert_or_assign(key, value);
  }
  return flux::loadTopologyFile(o.file, options);
}

int validate(const FileOptions& o, const std::string& exe) {
  flux::TopologyFile file = load(o, exe);
  flux::CheckedTopology checked = flux::checkTopology(file);
  int spouts = 0, bolts = 0, tasks = 0;
  for (const auto& def : file.topology.def.components) {
    (def.kind == ComponentKind::Spout ? spouts : bolts)++;
    tasks += checked.tasks[def.id];
  }
  if (checked.runnable()) {
    flux::planTopology(file);
  } else {
    std::string ids;
    for (const auto& id : checked.unavailable) ids += (ids.empty() ? "" : ", ") + id;
    std::cerr << o.file << ": note: this squall was built without the multilang engine, so " << ids
              << " cannot run here\n";
  }
  std::cout << fmt::format("{}: topology '{}' is valid: {} spout{}, {} bolt{}, {} task{}\n", o.file,
                           file.name, spouts, spouts == 1 ? "" : "s", bolts, bolts == 1 ? "" : "s",
                           tasks, tasks == 1 ? "" : "s");
  return cli::kExitOk;
}

int describe(const FileOptions& o, bool dot, const std::string& exe) {
  flux::TopologyFile file = load(o, exe);
  flux::CheckedTopology checked = flux::checkTopology(file);
  std::cout << (dot ? flux::topologyDot(file, checked) : flux::describeTopology(file, checked));
  return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  flux::registerFluxBuiltins();
#ifdef SQUALL_HAVE_MULTILANG
  registerMultilangComponents();
#endif
#ifdef SQUALL_HAVE_KAFKA
  kafka::registerKafkaComponents();
  // Its own command line (shared with the squall-dev-kafka executable).
  if (argc >= 2 && std::string(argv[1]) == "dev-kafka") {
    return devKafkaMain(std::vector<std::string>(argv + 2, argv + argc));
  }
#endif
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [%^%l%$] %v");

  CLI::App app{
      "squall: run Apache Storm topologies written as Flux YAML or Python (streamparse "
      "DSL), with no JVM"};
  app.require_subcommand(1);
  app.set_version_flag("--version", SQUALL_VERSION);

  FileOptions runFile, validateFile, describeFile;
  cli::RunOptions run;
  bool dot = false;

  CLI::App* runCmd = app.add_subcommand(
      "run", "Run a topology in local mode until Ctrl-C or --duration (like `storm local`)");
  addFileOptions(runCmd, runFile);
  runCmd
      ->add_option("--duration,--local-ttl", run.durationSecs,
                   "Stop after this many seconds (default: run until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  runCmd->add_flag("--debug", run.debug,
                   "Log every emit, ack, fail and received tuple (topology.debug)");
  runCmd
      ->add_option("--kill-wait", run.killWaitSecs,
                   "Seconds between deactivating the spouts and killing, to drain (default 1)")
      ->check(CLI::NonNegativeNumber);
  runCmd
      ->add_option("--max-crashes", run.maxCrashes,
                   "Stop with exit status 3 when a task crashes this many times in a row, "
                   "less than 30 s apart (default 3; 0 keeps restarting)")
      ->check(CLI::NonNegativeNumber);

  CLI::App* validateCmd =
      app.add_subcommand("validate", "Check a topology file without running it");
  addFileOptions(validateCmd, validateFile);

  CLI::App* describeCmd = app.add_subcommand(
      "describe", "Print a topology's components, streams, groupings and parallelism");
  addFileOptions(describeCmd, describeFile);
  describeCmd->add_flag("--dot", dot,
                        "Print a Graphviz graph instead (squall describe F --dot | "
                        "dot -Tsvg > topology.svg)");

  CLI::App* classesCmd =
      app.add_subcommand("classes", "List the component classes a topology file can name");
  CLI::App* versionCmd = app.add_subcommand("version", "Print the version");
#ifdef SQUALL_HAVE_KAFKA
  app.add_subcommand("dev-kafka", "Run a development Kafka cluster (squall dev-kafka --help)");
#endif

  // An unknown command is an error even with --help after it (scripts probe for commands).
  auto known = [&](const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == name) return true;
    }
    return false;
  };
  if (argc >= 2 && argv[1][0] != '-' && !known(argv[1])) {
    std::cerr << "squall: unknown command '" << argv[1]
              << "' (commands: run, validate, describe, classes, version)\n";
    return cli::kExitUsage;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }

  std::string exe = executablePath(argv[0]);
  try {
    if (*runCmd) {
      return cli::runTopology(load(runFile, exe), run);
    }
    if (*validateCmd) return validate(validateFile, exe);
    if (*describeCmd) return describe(describeFile, dot, exe);
    if (*classesCmd) {
      for (const auto& name : ComponentRegistry::global().componentNames()) {
        std::cout << name << "\n";
      }
      return cli::kExitOk;
    }
    if (*versionCmd) {
      std::cout << "squall " << SQUALL_VERSION << "\n";
      return cli::kExitOk;
    }
  } catch (const flux::FluxError& e) {
    std::cerr << e.what() << "\n";
    return cli::kExitInvalid;
  } catch (const std::exception& e) {
    std::cerr << "squall: error: " << e.what() << "\n";
    return cli::kExitInvalid;
  }
  return cli::kExitUsage;
}
