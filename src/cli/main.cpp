// The `squall` command: runs, checks and describes Storm topologies written as Flux YAML
// files or Python DSL modules, with no JVM.
//
//   squall run FILE [--duration SECS] [-c key=value]... [--debug] [-f props] [-e]
//              [Flux's options: --local, --remote, --dry-run, --sleep MS, -q, -n, -i, -R]
//   squall run [NAME] [-t SECS] [-o key=value]... [-n NAME]  (in a streamparse project)
//   squall run FILE --ui PORT ...     (Storm's UI REST API and /metrics on PORT)
//   squall run FILE --workers N ...   (N worker processes over TCP loopback)
//   squall worker FILE ... --assignment PATH --index I   (one of them)
//   squall worker --storm-dist DIR --assignment PATH --index I   (a supervisor's worker)
//   squall supervisor ...  (Storm's supervisor daemon: cli/supervisor_command.h)
//   squall logs TOPOLOGY [COMPONENT] [-f]   (its logs under storm.log.dir: cli/logs_command.h)
//   squall validate FILE
//   squall describe FILE [--dot]
//   squall classes
//   squall dev-kafka ...   (a development Kafka cluster, when built with src/kafka)
//   squall dev-cluster ... (a development cluster: ZooKeeper for now; src/cluster)
//   squall package FILE [-o OUT] | submit FILE [-n NAME] [-c k=v]... [--config storm.yaml]
//              (the topology's jar, and submitting it to nimbus: cli/package_command.h)
//   squall nimbus | list | kill | activate | deactivate | rebalance | set_log_level | ui ...
//              (Storm's cluster verbs over its Nimbus Thrift service: cli/cluster_commands.h)
//   squall local ... / squall jar ... / squall storm ... / a link named `storm`: Storm's
//              launch commands for Flux files (cli/storm_forms.h)
//
// Exit status: 0 success, 1 the topology is invalid or cannot start, 2 usage error,
// 3 a component failed fatally while running.

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <climits>
#include <filesystem>
#include <iostream>

#include "cli/cluster_commands.h"
#include "cli/logs_command.h"
#include "cli/package_command.h"
#include "cli/run_command.h"
#include "cli/short_flags.h"
#include "cli/storm_forms.h"
#include "cli/supervisor_command.h"
#include "cluster/dev_cluster.h"
#include "flux/builtins.h"
#include "flux/check.h"
#include "flux/describe.h"
#include "flux/streamparse_project.h"
#include "flux/topology_file.h"
#include "squall/component_registry.h"
#include "squall/metrics_consumer.h"
#include "supervisor/stormdist_topology.h"
#include "worker/testing_components.h"

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
  bool envFilter = false;  // Flux's -e: ${ENV-NAME} substitution only when asked
  bool resource = false;   // Flux's -R: FILE is a classpath resource
  std::vector<std::string> config;
  std::string name;
  bool verbose = false;
  int exportTimeoutSecs = flux::LoadOptions{}.exportTimeoutSecs;
};

// Flux's own options of `storm jar ... org.apache.storm.flux.Flux` (and `storm local`).
struct FluxOptions {
  bool local = false;
  bool remote = false;
  bool dryRun = false;
  bool noDetail = false;
  bool noSplash = false;
  bool inactive = false;
  bool quiet = false;
  std::string zookeeper;
  bool detail = false;    // hidden: Flux's form prints details unless -q
  bool stormJar = false;  // hidden: `storm jar` submits to a cluster unless --local
};

void addFileOptions(CLI::App* cmd, FileOptions& o) {
  cmd->add_option("FILE", o.file,
                  "Topology file: Flux YAML (.yaml, .yml) or Python DSL (.py); in a "
                  "streamparse project, a topology name (topologies/NAME.py)");
  cmd->add_option("-f,--filter", o.filter,
                  "Properties file for ${key} substitution in the YAML (Flux's --filter)");
  cmd->add_flag("-e,--env-filter", o.envFilter,
                "Substitute ${ENV-NAME} with environment variables (off by default, as in Flux)");
  cmd->add_flag("-R,--resource", o.resource,
                "FILE is a classpath resource (\"/topology.yaml\"): looked up in resources/ "
                "and src/main/resources/");
  cmd->add_option("-c,--config,-o,--option", o.config,
                  "Configuration override key=value (value read as YAML; -o as in sparse run)")
      ->take_all();
  cmd->add_option("--name", o.name,
                  "Topology name (default: the file's name:, else its file name)");
  cmd->add_flag("-v,--verbose", o.verbose, "Show more detail when loading fails");
  cmd->add_option("--export-timeout", o.exportTimeoutSecs,
                  "Seconds a Python DSL module may take to import and export (default 30)")
      ->check(CLI::Range(1, 1000000));
}

// FILE may be left out in a streamparse project: `-n NAME` then names the topology, as in
// `sparse run -n NAME`. False (after saying why) when there is no topology to load.
bool resolveFile(FileOptions& o, const char* command) {
  if (!o.file.empty()) return true;
  if (!o.name.empty()) {
    if (auto named = flux::streamparseTopologyByName(o.name)) {
      o.file = *named;
      return true;
    }
  }
  std::cerr << "squall " << command
            << ": a topology FILE is required (in a streamparse project, -n NAME or NAME "
               "names topologies/NAME.py)\n";
  return false;
}

// The file and its options again, for each `squall worker` of `run --workers`.
std::vector<std::string> fileArgs(const FileOptions& o) {
  std::vector<std::string> args = {o.file};
  if (!o.filter.empty()) args.insert(args.end(), {"--filter", o.filter});
  if (o.envFilter) args.push_back("--env-filter");
  if (o.resource) args.push_back("--resource");
  for (const auto& c : o.config) args.insert(args.end(), {"-c", c});
  if (!o.name.empty()) args.insert(args.end(), {"--name", o.name});
  return args;
}

void addFluxOptions(CLI::App* cmd, FluxOptions& o, double& sleepMs) {
  cmd->add_flag("-l,--local", o.local, "Run in local mode (what `run` does; Flux's option)");
  cmd->add_flag("-r,--remote", o.remote,
                "Submit to the cluster's nimbus, as `squall submit` (Flux's option)");
  cmd->add_flag("--dry-run", o.dryRun,
                "Load, validate and print the topology without running it (Flux's option)");
  cmd->add_option("-s,--sleep", sleepMs, "Run this many milliseconds, then stop (Flux's option)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("-q,--no-detail", o.noDetail, "Do not print the topology's details (Flux's -q)");
  cmd->add_flag("--no-splash", o.noSplash, "Accepted for Flux (Squall prints no banner)");
  cmd->add_flag("-i,--inactive", o.inactive,
                "Accepted for Flux; as in Flux, a local run starts active");
  cmd->add_flag("--quiet", o.quiet, "Log warnings and errors only");
  cmd->add_option("-z,--zookeeper", o.zookeeper,
                  "Accepted for Flux and ignored (local mode needs no ZooKeeper)");
  cmd->add_flag(cli::kFluxDetailFlag, o.detail)->group("");
  cmd->add_flag(cli::kStormJarFlag, o.stormJar)->group("");
}

// Flux's topology details (Flux.printTopologyInfo), before the run.
void printFluxDetail(const flux::TopologyFile& file) {
  std::cout << "---------- TOPOLOGY DETAILS ----------\n";
  std::cout << "Topology Name: " << file.name << "\n";
  for (ComponentKind kind : {ComponentKind::Spout, ComponentKind::Bolt}) {
    std::cout << (kind == ComponentKind::Spout ? "--------------- SPOUTS ---------------\n"
                                               : "---------------- BOLTS ---------------\n");
    for (const auto& def : file.topology.def.components) {
      if (def.kind != kind) continue;
      std::cout << fmt::format("{} [{}] ({})\n", def.id, def.parallelism,
                               file.source(def.id).displayClass);
    }
  }
  std::cout << "--------------- STREAMS ---------------\n";
  for (const auto& def : file.topology.def.components) {
    for (const auto& in : def.inputs) {
      std::cout << fmt::format("{} --{}--> {}\n", in.component, groupingTypeName(in.grouping.type),
                               def.id);
    }
  }
  std::cout << "--------------------------------------" << std::endl;
}

std::string executablePath(const char* argv0) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return argv0;
}

flux::TopologyFile load(FileOptions o, const std::string& exe) {
  flux::LoadOptions options;
  if (o.resource) {
    auto found = flux::findResource(o.file, flux::resourceRoots("."));
    if (!found) {
      throw flux::FluxError({o.file, 0, {}},
                            "no such classpath resource (-R): looked in resources/, "
                            "src/main/resources/ and the current folder");
    }
    o.file = *found;
  }
  options.filterFile = o.filter;
  options.envFilter = o.envFilter;
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
  metrics::registerBuiltinMetricsConsumers();  // LoggingMetricsConsumer, the metrics keys' checks
  worker::registerTestingComponents();
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
  if (argc >= 2 && std::string(argv[1]) == "dev-cluster") {
    return cluster::devClusterMain(std::vector<std::string>(argv + 2, argv + argc));
  }

  CLI::App app{
      "squall: run Apache Storm topologies written as Flux YAML or Python (streamparse "
      "DSL), with no JVM"};
  app.require_subcommand(1);
  app.set_version_flag("--version", SQUALL_VERSION);

  FileOptions runFile, validateFile, describeFile;
  cli::RunOptions run;
  FluxOptions fluxOpts;
  double durationSecs = -1, localTtlSecs = -1, sleepMs = -1;
  bool dot = false;

  CLI::App* runCmd = app.add_subcommand(
      "run", "Run a topology in local mode until Ctrl-C or --duration (like `storm local`)");
  addFileOptions(runCmd, runFile);
  runCmd
      ->add_option("--duration,-t,--time", durationSecs,
                   "Stop after this many seconds (default: run until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  runCmd->add_option("--local-ttl", localTtlSecs, "The same as --duration (storm local's name)")
      ->check(CLI::NonNegativeNumber);
  addFluxOptions(runCmd, fluxOpts, sleepMs);
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
  runCmd
      ->add_option("--workers", run.workers,
                   "Run in this many worker processes on this machine, connected over TCP "
                   "loopback (default: one process, like `storm local`)")
      ->check(CLI::Range(1, 256));
  runCmd
      ->add_option("--ui", run.uiPort,
                   "Serve Storm's UI REST API and Prometheus /metrics on this port while the "
                   "topology runs (0: a free port; host: ui.host, default 127.0.0.1)")
      ->check(CLI::Range(0, 65535));

  FileOptions workerFile;
  cli::RunOptions workerRun;
  std::string assignment;
  int workerIndex = -1;
  CLI::App* workerCmd = app.add_subcommand(
      "worker", "Run one worker process of a topology (started by `squall run --workers`)");
  addFileOptions(workerCmd, workerFile);
  workerCmd->add_option("--assignment", assignment, "The assignment file the launcher wrote")
      ->required();
  workerCmd->add_option("--index", workerIndex, "This worker's index in the assignment")
      ->required()
      ->check(CLI::NonNegativeNumber);
  workerCmd->add_flag("--debug", workerRun.debug, "Log every emit, ack, fail and received tuple");
  workerCmd->add_option("--kill-wait", workerRun.killWaitSecs, "Seconds to drain when stopping")
      ->check(CLI::NonNegativeNumber);
  workerCmd->add_option("--max-crashes", workerRun.maxCrashes,
                        "Exit with status 3 when a task crashes this many times in a row");
  // A supervisor's worker: the topology as nimbus stored it, not a topology file.
  std::string stormDist;
  workerCmd->add_option("--storm-dist", stormDist,
                        "Run the topology of this stormdist folder (stormcode.ser, "
                        "stormconf.ser, resources/) instead of FILE (started by `squall "
                        "supervisor`)");

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

  app.add_subcommand("dev-cluster",
                     "Run a development cluster on this machine (squall dev-cluster --help)");
  cli::ClusterCommands cluster;
  cli::addClusterCommands(app, cluster);
  cli::SupervisorCommand supervisorCmd;
  cli::addSupervisorCommand(app, supervisorCmd);

  // The topology artifact and its submission to nimbus (cli/package_command.h). Their -o and
  // --config are Storm's and sparse's (the jar, storm.yaml), so they take their own options.
  FileOptions packageFile, submitFile;
  cli::PackageOptions packageOpts;
  cli::SubmitOptions submitOpts;
  CLI::App* packageCmd = app.add_subcommand(
      "package", "Make the topology's jar: its file, resources, Python code and wheels");
  CLI::App* submitCmd = app.add_subcommand(
      "submit", "Package a topology and submit it to nimbus (storm jar --remote, sparse submit)");
  for (auto [cmd, o] : {std::pair{packageCmd, &packageFile}, std::pair{submitCmd, &submitFile}}) {
    cmd->add_option("FILE", o->file,
                    "Topology file: Flux YAML or Python DSL; in a streamparse project, a "
                    "topology name");
    cmd->add_option("-n,--name", o->name, "Topology name (default: the file's)");
    cmd->add_option("-f,--filter", o->filter, "Properties file for ${key} substitution");
    cmd->add_flag("-e,--env-filter", o->envFilter, "Substitute ${ENV-NAME} in the YAML");
    cmd->add_option("--export-timeout", o->exportTimeoutSecs,
                    "Seconds a Python DSL module may take to import (default 30)")
        ->check(CLI::Range(1, 1000000));
  }
  packageCmd->add_option("-c", packageFile.config, "Topology configuration key=value")
      ->allow_extra_args(false)
      ->take_all();
  packageCmd->add_option("-o,--output", packageOpts.output, "The jar (default: NAME.jar)");
  packageCmd->add_option("--find-links", packageOpts.findLinks,
                         "A folder of wheels pip may use (repeatable)");
  submitCmd
      ->add_option("-c,-o,--option", submitOpts.overrides,
                   "Configuration key=value: of the topology, and to find nimbus")
      ->allow_extra_args(false)
      ->take_all();
  submitCmd->add_option("--config", submitOpts.configFile,
                        "A storm.yaml to read instead of ~/.storm/storm.yaml");
  submitCmd->add_flag("-i,--inactive", submitOpts.inactive, "Submit with its spouts inactive");
  submitCmd->add_option("--find-links", submitOpts.package.findLinks,
                        "A folder of wheels pip may use (repeatable)");
  std::string unpackJar, unpackDir, unpackCache;
  CLI::App* unpackCmd = app.add_subcommand(
      "unpack", "Extract a topology jar as a supervisor does (and build its Python environment)");
  unpackCmd->add_option("JAR", unpackJar, "The jar")->required();
  unpackCmd->add_option("DIR", unpackDir, "A folder that does not exist yet")->required();
  unpackCmd->add_option("--python-cache", unpackCache,
                        "Build the jar's virtualenv in this cache folder");
  cli::LogsOptions logsOptions;
  CLI::App* logsCmd = cli::addLogsCommand(app, logsOptions);

  app.add_subcommand("local", "Storm's `storm local [X.jar org.apache.storm.flux.Flux] FILE`");
  app.add_subcommand("jar", "Storm's `storm jar X.jar org.apache.storm.flux.Flux --local FILE`");
  app.add_subcommand("storm", "`squall storm local|jar ...`: Storm's launch commands");

  // Storm's launch commands (also when this program is started through a link named storm).
  std::vector<std::string> args(argv + 1, argv + argc);
  bool asStorm = std::filesystem::path(argv[0]).filename() == "storm";
  if (auto form = cli::rewriteStormForm(args, asStorm)) {
    if (!form->error.empty()) {
      std::cerr << "squall: error: " << form->error << "\n";
      return cli::kExitUsage;
    }
    for (const auto& note : form->notes) std::cerr << "squall: note: " << note << "\n";
    args = form->args;
  }
  cli::disambiguateRunFlags(args);

  // An unknown command is an error even with --help after it (scripts probe for commands).
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    commands.push_back(sub->get_name());
  }
  if (!args.empty() && args[0][0] != '-' &&
      std::find(commands.begin(), commands.end(), args[0]) == commands.end()) {
    std::cerr << "squall: unknown command '" << args[0]
              << "' (commands: " << fmt::format("{}", fmt::join(commands, ", ")) << ")\n";
    return cli::kExitUsage;
  }

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }

  std::string exe = executablePath(argv[0]);
  try {
    if ((*runCmd && !resolveFile(runFile, "run")) ||
        (*validateCmd && !resolveFile(validateFile, "validate")) ||
        (*describeCmd && !resolveFile(describeFile, "describe"))) {
      return cli::kExitUsage;
    }
    if (*runCmd) {
      int given = (durationSecs >= 0) + (localTtlSecs >= 0) + (sleepMs >= 0);
      if (given > 1) {
        std::cerr << "squall: error: --duration, --local-ttl and --sleep all set how long the "
                     "topology runs (seconds, seconds, milliseconds); give only one of them\n";
        return cli::kExitUsage;
      }
      if (durationSecs >= 0) run.durationSecs = durationSecs;
      if (localTtlSecs >= 0) run.durationSecs = localTtlSecs;
      if (sleepMs >= 0) run.durationSecs = sleepMs / 1000.0;
      if (fluxOpts.local && fluxOpts.remote) {
        std::cerr << "squall: error: --local and --remote contradict each other; give one\n";
        return cli::kExitUsage;
      }
      bool remote = fluxOpts.remote || (fluxOpts.stormJar && !fluxOpts.local);
      if (remote && !fluxOpts.dryRun) {
        // Flux's --remote (and `storm jar` without --local): what `squall submit` does, nimbus
        // found from ~/.storm/storm.yaml and -c as `storm jar` finds it.
        cli::SubmitOptions remoteOpts;
        remoteOpts.overrides = runFile.config;
        remoteOpts.inactive = fluxOpts.inactive;
        return cli::submitTopology(load(runFile, exe), flux::PythonSetup::discover(exe),
                                   remoteOpts);
      }
      if (fluxOpts.quiet) spdlog::set_level(spdlog::level::warn);
      if (!fluxOpts.zookeeper.empty()) {
        spdlog::warn("--zookeeper {} is ignored: local mode needs no ZooKeeper",
                     fluxOpts.zookeeper);
      }
      if (fluxOpts.inactive && !fluxOpts.dryRun) {
        spdlog::warn(
            "--inactive applies to cluster submission; a local run starts active (as in "
            "Flux)");
      }
      flux::TopologyFile file = load(runFile, exe);
      if ((fluxOpts.detail || fluxOpts.dryRun) && !fluxOpts.noDetail) {
        printFluxDetail(file);
      }
      if (fluxOpts.dryRun) {
        flux::CheckedTopology checked = flux::checkTopology(file);
        if (checked.runnable()) flux::planTopology(file);
        std::cout << fmt::format("{}: dry run: topology '{}' is valid; not running it\n",
                                 runFile.file, file.name);
        return cli::kExitOk;
      }
      run.executable = exe;
      if (run.workers > 0) {
        run.workerArgs = fileArgs(runFile);
        if (run.debug) run.workerArgs.push_back("--debug");
        run.workerArgs.insert(run.workerArgs.end(),
                              {"--max-crashes", std::to_string(run.maxCrashes)});
      }
      return cli::runTopology(std::move(file), run);
    }
    if (*workerCmd) {
      workerRun.executable = exe;
      if (!stormDist.empty()) {
        if (!workerFile.file.empty()) {
          std::cerr << "squall worker: give either FILE or --storm-dist, not both\n";
          return cli::kExitUsage;
        }
        flux::TopologyFile dist = supervisor::loadStormDistForWorker(stormDist, exe);
        // The supervisor's own settings for its workers (storm.log.dir), as Storm passes -D.
        for (const auto& c : workerFile.config) {
          auto [key, value] = flux::parseConfigOverride(c);
          dist.conf.set(key, value);
        }
        return cli::runWorker(std::move(dist), workerRun, assignment, workerIndex);
      }
      if (!resolveFile(workerFile, "worker")) return cli::kExitUsage;
      return cli::runWorker(load(workerFile, exe), workerRun, assignment, workerIndex);
    }
    if (*supervisorCmd.cmd) return cli::runSupervisorCommand(supervisorCmd, exe);
    if (auto rc = cli::runClusterCommand(cluster)) return *rc;
    if (*unpackCmd) return cli::unpackArtifact(unpackJar, unpackDir, unpackCache);
    if (*packageCmd || *submitCmd) {
      FileOptions& o = *packageCmd ? packageFile : submitFile;
      if (*submitCmd) o.config = submitOpts.overrides;
      if (!resolveFile(o, packageCmd->parsed() ? "package" : "submit")) return cli::kExitUsage;
      flux::TopologyFile file = load(o, exe);
      auto python = flux::PythonSetup::discover(exe);
      if (*submitCmd) return cli::submitTopology(file, python, submitOpts);
      auto packed = cli::packageTopology(file, python, packageOpts);
      std::cout << fmt::format("{}: topology '{}': {} resource file{}, {} wheel{}\n", packed.jar,
                               file.name, packed.resources, packed.resources == 1 ? "" : "s",
                               packed.requirements.size(),
                               packed.requirements.size() == 1 ? "" : "s");
      return cli::kExitOk;
    }
    if (*logsCmd) return cli::runLogs(logsOptions, exe);
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
    if (e.count() > 1) std::cerr << "squall: " << e.count() << " errors\n";
    return cli::kExitInvalid;
  } catch (const std::exception& e) {
    std::cerr << "squall: error: " << e.what() << "\n";
    return cli::kExitInvalid;
  }
  return cli::kExitUsage;
}
