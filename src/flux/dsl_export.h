#pragma once
// The JSON that `python -m squall.dsl.export` prints, read into a TopologyFile: each Python
// component becomes a "squall.ShellBolt"/"squall.ShellSpout" running
// `python -m squall.dsl.run MODULE:CLASS`. Kept apart from running the exporter so that it
// can be tested and fuzzed without Python.

#include <string>

#include "flux/streamparse_project.h"
#include "flux/topology_file.h"

namespace squall::flux {

// `path` is the module as given on the command line. Throws FluxError naming it (and the
// component's line when the JSON gives one) for JSON that is malformed, too deep or too
// large (options.yamlLimits.maxDepth and maxValues bound it as they bound a YAML file), or
// that names a component, stream or field with a NUL or bytes that are not UTF-8.
// In a streamparse `project`, its config.json's options sit below the module's config, and
// its src/ is the components' import root and working directory.
TopologyFile readDslExport(const std::string& json, const std::string& path,
                           const LoadOptions& options, const StreamparseProject* project = nullptr);

}  // namespace squall::flux
