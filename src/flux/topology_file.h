#pragma once
// TopologyFile: a topology read from a file (Flux YAML or a Python DSL module): the
// definition the engine runs, its configuration, and where each part was written so that
// every error can point at a file and line. Plain data; built by loadTopologyFile().

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flux/yaml_limits.h"
#include "squall/config.h"
#include "squall/errors.h"
#include "squall/output_fields_declarer.h"
#include "squall/topology_builder.h"

namespace squall::flux {

// Where something was written. `context` names the Python class and attribute for a DSL
// module ("class WordCount, attribute 'count'"); empty for YAML.
struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 when only the file is known
  std::string context;

  // "file:line" (or "file"), then ", context" when there is one.
  std::string toString() const;
};

// A problem in a topology file. what() is "file:line: error: [context: ]message".
class FluxError : public InvalidTopologyException {
 public:
  FluxError(SourceLocation where, const std::string& message);
  // Several problems found in one pass: what() has one line per problem, in the order given
  // (each already combined error contributes all of its lines). `errors` must not be empty.
  static FluxError all(const std::vector<FluxError>& errors);

  const SourceLocation& where() const { return where_; }
  const std::string& message() const { return message_; }
  size_t count() const { return count_; }

 private:
  FluxError(const std::string& text, SourceLocation where, std::string message, size_t count);
  SourceLocation where_;
  std::string message_;
  size_t count_ = 1;
};

enum class ComponentLanguage { Native, Python, Shell };

// What the file says about one component, beyond its ComponentDef.
struct ComponentSource {
  SourceLocation where;       // the component's definition
  SourceLocation classWhere;  // its className (or python:/command:) entry
  // As the file names it: "org.apache.storm.testing.TestWordCounter",
  // "FluxShellBolt: python3 splitsentence.py", "python: split.py", "python: mod.Class".
  std::string displayClass;
  ComponentLanguage language = ComponentLanguage::Native;
  std::vector<SourceLocation> inputs;                // parallel to ComponentDef::inputs
  std::map<std::string, SourceLocation> configKeys;  // where each component config key is set
};

struct TopologyFile {
  std::string path;  // as given on the command line
  std::string dir;   // its folder, absolute
  std::string name;
  SourceLocation nameWhere;
  Config conf;
  std::map<std::string, SourceLocation> configKeys;  // where each topology config key is set
  StormTopology topology;
  std::map<std::string, ComponentSource> sources;  // by component id
  std::vector<std::string> warnings;

  const ComponentSource& source(const std::string& id) const;
  // Where `key` of the topology configuration was set (the file when unknown).
  SourceLocation configWhere(const std::string& key) const;
};

// How Python components are started.
struct PythonSetup {
  std::string interpreter = "/usr/bin/python3";
  std::string packageDir;  // the folder holding the `squall` package (and storm.py)

  // SQUALL_PYTHON, else /usr/bin/python3. SQUALL_PYTHONPATH, else found from the executable
  // (never from the folder it was built in): <exe>/../share/squall/python,
  // <exe>/../lib/squall/python, the python/ folder of a source tree above the CMake build
  // folder it is in; else where the interpreter imports `squall` from. Empty when none holds
  // the package.
  static PythonSetup discover(const std::string& executablePath);
};

struct LoadOptions {
  std::string filterFile;  // Flux's --filter: a properties file for ${key} substitution
  bool envFilter = false;  // Flux's --env-filter: substitute ${ENV-NAME} (off unless asked)
  std::string nameOverride;
  Map configOverrides;  // -c key=value, applied over the file's config
  PythonSetup python;
  bool verbose = false;
  YamlLimits yamlLimits;
  // Bound on running the DSL exporter, which imports the module (the CLI's --export-timeout).
  int exportTimeoutSecs = 30;
  // Receives each warning as it is found ("file:line: warning: ..."), so warnings reach the
  // user even when loading then fails; without it they are kept in TopologyFile::warnings.
  std::function<void(const std::string&)> onWarning;
};

// A classpath resource as Flux's `resource: true` and `-R` name it ("/configs/a.yaml"; the
// leading '/' is the classpath root): the first of <root>/<resource> that is a file, trying
// each root in order. nullopt when none is.
std::optional<std::string> findResource(const std::string& resource,
                                        const std::vector<std::string>& roots);

// The roots a classpath resource is looked up in from `dir` (a topology file's folder, or
// the working folder): dir/resources, dir, then the working folder's resources/ and
// src/main/resources/ (a Maven project's), as a jar would hold them.
std::vector<std::string> resourceRoots(const std::string& dir);

// Reads a .yaml/.yml (Flux) or .py (DSL) topology. Throws FluxError naming the file and line;
// a YAML file with several problems gets one FluxError listing all of them.
TopologyFile loadTopologyFile(const std::string& path, const LoadOptions& options);

TopologyFile loadYamlTopology(const std::string& path, const LoadOptions& options);
TopologyFile loadPythonTopology(const std::string& path, const LoadOptions& options);

// Parses a command-line `key=value` config override; the value is read as YAML ("2" is an
// int, "[a, b]" a list). Throws ConfigError.
std::pair<std::string, Value> parseConfigOverride(const std::string& text);

}  // namespace squall::flux
