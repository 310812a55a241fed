#pragma once
// Shell (multilang) components as a topology file declares them: Flux's FluxShellBolt /
// FluxShellSpout, Squall's `python:` / `command:` short form, and the DSL's Python and shell
// specs all become "squall.ShellBolt" / "squall.ShellSpout" with one Map argument
// {command, fields | streams, cwd, env}, the form the multilang engine (src/multilang) takes.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flux/topology_file.h"
#include "squall/output_fields_declarer.h"
#include "squall/topology_def.h"

namespace squall::flux {

inline constexpr const char* kFluxShellBolt = "org.apache.storm.flux.wrappers.bolts.FluxShellBolt";
inline constexpr const char* kFluxShellSpout =
    "org.apache.storm.flux.wrappers.spouts.FluxShellSpout";
inline constexpr const char* kShellBolt = "squall.ShellBolt";
inline constexpr const char* kShellSpout = "squall.ShellSpout";

bool isShellClass(const std::string& className);

// One multilang child process and what it declares.
struct ShellArgs {
  std::vector<std::string> command;
  std::string cwd;  // empty: the engine's working directory
  std::map<std::string, std::string> env;
  std::map<std::string, StreamInfo> streams;
  std::string serializer;  // empty: topology.multilang.serializer

  // [Map{"command", "fields" (only a default stream) or "streams", "cwd", "env",
  // "serializer"}]
  Values args() const;
};

// The outputs a shell component declares, read from its constructor arguments (either class
// family); nullopt when the arguments are not in the expected shape.
std::optional<std::map<std::string, StreamInfo>> shellOutputs(const ComponentDef& def);

// A script named in a topology file in `dir`: an absolute path, or relative to `dir`, or to
// `dir`/resources (Storm's folder for shipped scripts). The absolute path, or nullopt.
std::optional<std::string> findScript(const std::string& dir, const std::string& script);

// The topology's resources folder, Storm's working directory for shell components:
// `dir`/resources when it exists, else `dir`.
std::string resourcesDir(const std::string& dir);

// The index of the script argument of `command` when command[0] is an interpreter Squall
// knows (python*, pypy*, node, ruby, perl, php, sh, bash, lua, Rscript): its first argument
// that is not an option; nullopt for other programs or when code comes from -c/-m/-e.
std::optional<size_t> interpreterScript(const std::vector<std::string>& command);

struct ResolvedCommand {
  std::vector<std::string> command;
  std::string cwd;            // where the child runs
  std::string missingScript;  // the interpreter's script argument, not found from `cwd`
};

// Resolves a command written in a topology file in `dir` the way Storm runs it: as written,
// with `cwd` (default: resourcesDir(dir)) as its working directory, so relative arguments
// are relative to that folder. Only two things change: "python"/"python3" become the
// configured interpreter, and a program without '/' that is a file in `cwd` (an executable
// script shipped with the topology) is named by its absolute path. Which argument is "the
// script" is never guessed: only an interpreter's script is checked, to fail at load time.
ResolvedCommand resolveCommand(std::vector<std::string> command, const std::string& dir,
                               const PythonSetup& python, std::string cwd = {});

// "script 'x' not found in examples/resources/ (...)" for a command whose script is missing;
// `shownDir` is the topology file's folder `dir` as the user wrote it ("examples/").
std::string missingScriptMessage(const ResolvedCommand& resolved, const std::string& dir,
                                 const std::string& shownDir);

// PYTHONPATH for a child: `first`, then the squall package, then the inherited PYTHONPATH
// (or `inherited` when given), without duplicates.
std::string childPythonPath(const std::vector<std::string>& first, const PythonSetup& python,
                            const std::string* inherited = nullptr);

// The folder a file is in (absolute), and whether a path exists.
std::string parentDir(const std::string& path);
bool pathExists(const std::string& path);
bool isDirectory(const std::string& path);
std::string absolutePath(const std::string& path);

}  // namespace squall::flux
