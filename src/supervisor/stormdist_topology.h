#pragma once
// The topology a `squall worker --storm-dist DIR` runs: stormcode.ser (the submitted
// StormTopology) translated with nimbus::toTopologyDef, as nimbus planned it, and stormconf.ser
// (the topology's configuration, JSON). Shell components run in DIR/resources, Storm's working
// directory for them (DIR when the jar had none).

#include <map>
#include <string>

#include "flux/topology_file.h"

namespace squall::supervisor {

// std::runtime_error naming the file when one is missing or malformed;
// InvalidTopologyException naming the component the translation refuses.
flux::TopologyFile loadStormDist(const std::string& dir);

// The topology's configuration alone (DIR/stormconf.ser), for the supervisor's choices about
// its workers; std::runtime_error naming the file when it is missing or not a JSON object.
Config loadStormConf(const std::string& dir);

// Makes the shell components of a loaded stormdist topology runnable on this machine, as
// `squall run` does for a file: "python"/"python3" become `python.interpreter` (the topology's
// virtualenv when its jar carried one), a program shipped in the resources folder is named by
// its path, the squall package (and the resources folder) go on PYTHONPATH, and `extraEnv`
// (the virtualenv's VIRTUAL_ENV and PATH) is set. The submitting machine's paths never reach
// the cluster (squall submit strips them), so this is where the worker's own are put back.
void localizeShellComponents(flux::TopologyFile& file, const flux::PythonSetup& python,
                             const std::map<std::string, std::string>& extraEnv);

}  // namespace squall::supervisor

namespace squall::supervisor {

// What `squall worker --storm-dist DIR` runs: loadStormDist, then the topology's virtualenv
// (artifact::preparePythonEnvironment, cached per content under the supervisor's
// storm.local.dir/supervisor/python-envs, beside stormdist/) when its jar carried
// squall-python/, then localizeShellComponents with the squall package found from `exe`.
flux::TopologyFile loadStormDistForWorker(const std::string& dir, const std::string& exe);

}  // namespace squall::supervisor
