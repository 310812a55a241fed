#pragma once
// `squall package FILE [-o OUT]` and `squall submit FILE [-n NAME] [-c key=value]...
// [--config storm.yaml]`: the topology artifact (src/artifact: a jar in Storm's layout) of a
// loaded topology file, and its submission to nimbus over Storm's Thrift service as
// `storm jar ... --remote` and `sparse submit` do it.

#include <string>
#include <vector>

#include "flux/topology_file.h"

namespace squall::cli {

struct PackageOptions {
  std::string output;                  // -o: the jar; default NAME.jar in the current folder
  std::vector<std::string> findLinks;  // --find-links: folders of wheels pip may use
  int pipTimeoutSecs = 600;
};

struct PackageResult {
  std::string jar;
  size_t resources = 0;                   // files under resources/
  std::vector<std::string> requirements;  // name==version of each wheel packed
  std::string resourcesRoot;              // the local folder packed as resources/ (absolute)
};

// Packs the topology: its file and resources folder (a streamparse project's src/) as
// resources/, and wheels of the project's requirements.txt (streamparse's
// virtualenvs/NAME.txt too) built offline with `pip wheel --no-index` as squall-python/.
// Throws std::runtime_error (artifact::ArtifactError) with pip's output when a wheel cannot
// be built.
PackageResult packageTopology(const flux::TopologyFile& file, const flux::PythonSetup& python,
                              const PackageOptions& options);

struct SubmitOptions {
  std::string configFile;              // --config: storm.yaml
  std::vector<std::string> overrides;  // -c key=value: found nimbus with, and in the conf
  bool inactive = false;               // -i: Storm's TopologyInitialStatus.INACTIVE
  PackageOptions package;
};

// Packs, uploads (beginFileUpload/uploadChunk/finishFileUpload to the leader) and calls
// submitTopologyWithOpts. Prints what StormSubmitter logs and the topology's id; returns the
// exit status (1 with Storm's exception, "AlreadyAliveException: ...", when nimbus refuses).
int submitTopology(const flux::TopologyFile& file, const flux::PythonSetup& python,
                   const SubmitOptions& options);

// `squall unpack JAR DIR [--python-cache CACHE]`: what a supervisor does with a jar, to look
// at: extracts it (artifact::extractArtifact) and, with a cache folder, builds its Python
// environment (artifact::preparePythonEnvironment), printing the interpreter to use.
int unpackArtifact(const std::string& jar, const std::string& dir, const std::string& cache);

}  // namespace squall::cli
