#pragma once
// A topology's Python environment, from the squall-python/ folder of its jar (see artifact.h):
// a virtualenv built once per content hash, offline, shared by every worker of every
// topology whose squall-python/ is the same.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace squall::artifact {

// squall-python/manifest.json.
struct PythonManifest {
  std::string interpreter = "python3";    // the program the topology's python components name
  std::string version;                    // "3.11": the interpreter's major.minor at package time
  std::vector<std::string> requirements;  // "name==version", each a wheel in wheels/
};

std::string toJson(const PythonManifest& manifest);
// Throws ArtifactError naming `where` when the text is not such a manifest.
PythonManifest parsePythonManifest(const std::string& text, const std::string& where);

struct PythonEnvironmentOptions {
  // The interpreter to build the virtualenv with; empty: "python<version>" from the manifest,
  // else its interpreter, looked up on PATH. Its major.minor must be the manifest's version
  // (wheels with compiled code are built for one).
  std::string interpreter;
  int timeoutSecs = 600;  // for the lock wait, `python -m venv`, and `pip install` each
};

// What a worker needs to run the topology's Python components in the environment.
struct PythonEnvironment {
  std::string venvDir;      // cacheRoot/<hash>
  std::string interpreter;  // venvDir/bin/python: the topology's "python"/"python3"
  std::string contentHash;  // SHA-256 of squall-python/ (names, executable bits, bytes)
  std::map<std::string, std::string> env;  // VIRTUAL_ENV, PATH (venv/bin first)
  bool created = false;                    // this call built it (false: it was in the cache)
};

// The virtualenv of `stormdistDir`/squall-python under `cacheRoot`, built when missing:
// `python -m venv --without-pip`, then `python -m pip --python VENV/bin/python install
// --no-index --find-links wheels REQ...` with the interpreter's own pip (the environment's,
// from ensurepip, when it has none), no network. Two processes (supervisors, workers) asking at
// once build it once: the builder holds `cacheRoot/<hash>.lock` (flock), builds in
// `cacheRoot/<hash>`, and marks it ready by renaming a marker file into it last; a folder without
// the marker (a builder that died) is removed and built again. nullopt when the jar has no
// squall-python/ (the topology runs with the worker's own Python). Throws ArtifactError with pip's
// or venv's last output lines.
std::optional<PythonEnvironment> preparePythonEnvironment(
    const std::string& stormdistDir, const std::string& cacheRoot,
    const PythonEnvironmentOptions& options = {});

}  // namespace squall::artifact
