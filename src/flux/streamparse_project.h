#pragma once
// A streamparse project as `sparse quickstart` makes it: config.json at the root,
// topologies/*.py (the DSL) and src/ (the components' packages, which streamparse ships as the
// topology's resources folder). Read so that `squall run` runs such a project unchanged.

#include <optional>
#include <string>
#include <vector>

#include "squall/value.h"

namespace squall::flux {

struct StreamparseProject {
  std::string root;           // the folder holding config.json (absolute)
  std::string configFile;     // root/config.json
  std::string srcDir;         // root/src: on the Python path; the components' working directory
  std::string topologySpecs;  // "topology_specs", default "topologies/"
  std::string environment;    // the "envs" entry whose settings were read ("" when none)
  // Storm configuration in streamparse's order of precedence (lowest first; the topology's
  // `config` and -o/-c overrides go over it): the environment's "options", its "log" settings
  // as pystorm.log.*, and "serializer" as topology.multilang.serializer.
  Map options;
  std::vector<std::string> warnings;
};

// The project `topologyFile` belongs to: a config.json with "topology_specs" (or beside
// topologies/ and src/) in the file's folder or the one above it. Throws FluxError naming
// config.json and the line when the file is not valid JSON or a setting has the wrong type.
std::optional<StreamparseProject> findStreamparseProject(const std::string& topologyFile);

// `squall run wordcount` in a project folder: the topology file named `name` (a bare name, no
// ".py") in the project's topology_specs folder under `folder`; nullopt when `name` is not that.
std::optional<std::string> streamparseTopologyByName(const std::string& name,
                                                     const std::string& folder = ".");

}  // namespace squall::flux
