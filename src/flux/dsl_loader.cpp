// Python DSL module -> TopologyFile. Runs `python -m squall.dsl.export FILE` once, bounded in
// time (--export-timeout) and output (the exporter checks the definition and
// prints it as JSON), then reads that JSON with readDslExport (dsl_export.h).

#include <fmt/format.h>

#include <cstring>
#include <iostream>

#include "flux/dsl_export.h"
#include "flux/shell_components.h"
#include "flux/streamparse_project.h"
#include "flux/subprocess.h"
#include "flux/topology_file.h"

namespace squall::flux {

namespace {

// Each of the exporter's stdout (the JSON) and stderr (the module's prints) is kept up to
// this size: a module that prints without end must not take the memory with it.
constexpr size_t kMaxExportOutput = 4 << 20;

// "FILE:LINE: error: MESSAGE" (the exporter's last line) as a FluxError.
[[noreturn]] void exporterFailed(const std::string& path, const std::string& err, int exitCode,
                                 int signal, bool verbose) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < err.size()) {
    size_t nl = err.find('\n', start);
    std::string line = err.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty()) lines.push_back(line);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (exitCode == 2 && !lines.empty()) {
    if (verbose) {
      for (size_t i = 0; i + 1 < lines.size(); ++i) std::cerr << lines[i] << "\n";
    }
    // "WHERE: error: MESSAGE", WHERE being FILE or FILE:LINE; parsed by hand because
    // std::regex overflows the stack on a long line.
    const std::string& last = lines.back();
    static const std::string marker = ": error: ";
    if (size_t at = last.find(marker); at != std::string::npos) {
      std::string where = last.substr(0, at), message = last.substr(at + marker.size());
      size_t colon = where.rfind(':');
      std::string digits = colon == std::string::npos ? "" : where.substr(colon + 1);
      if (!digits.empty() && digits.size() <= 9 &&
          digits.find_first_not_of("0123456789") == std::string::npos) {
        throw FluxError({where.substr(0, colon), std::stoi(digits), {}}, message);
      }
      throw FluxError({where, 0, {}}, message);
    }
  }
  std::string tail;
  for (size_t i = lines.size() > 12 ? lines.size() - 12 : 0; i < lines.size(); ++i) {
    tail += "\n  " + lines[i];
  }
  std::string how = signal ? fmt::format("killed by signal {} ({})", signal, strsignal(signal))
                           : fmt::format("exit status {}", exitCode);
  throw FluxError({path, 0, {}},
                  fmt::format("reading the topology with `python -m squall.dsl.export` failed "
                              "({}){}",
                              how, tail));
}

}  // namespace

TopologyFile loadPythonTopology(const std::string& path, const LoadOptions& options) {
  const PythonSetup& py = options.python;
  if (py.packageDir.empty()) {
    throw FluxError({path, 0, {}},
                    "cannot find the squall Python package (looked in SQUALL_PYTHONPATH, "
                    "<squall>/../share/squall/python, <squall>/../lib/squall/python, the source "
                    "tree above the build folder of the squall executable, and `import "
                    "squall` in " +
                        py.interpreter +
                        "); set SQUALL_PYTHONPATH to the folder that holds "
                        "squall/");
  }
  // A streamparse project's src/ is its components' import root and working directory (the
  // resources folder streamparse ships), and its config.json holds settings.
  std::optional<StreamparseProject> project = findStreamparseProject(path);
  std::vector<std::string> projectPath;
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& text) {
    if (options.onWarning) {
      options.onWarning(text);
    } else {
      warnings.push_back(text);
    }
  };
  if (project) {
    if (isDirectory(project->srcDir)) projectPath.push_back(project->srcDir);
    for (const auto& w : project->warnings) warn(w);
  }
  std::vector<std::string> argv = {py.interpreter, "-m", "squall.dsl.export", path};
  if (options.verbose) argv.push_back("--verbose");
  int timeoutSecs = options.exportTimeoutSecs;
  ProcessResult r = runProcess(argv, {{"PYTHONPATH", childPythonPath(projectPath, py)}},
                               timeoutSecs, kMaxExportOutput);
  if (!r.started) {
    throw FluxError({path, 0, {}},
                    fmt::format("cannot run the Python interpreter '{}': {} (set SQUALL_PYTHON "
                                "to another one)",
                                py.interpreter, r.startError));
  }
  if (r.timedOut) {
    throw FluxError({path, 0, {}},
                    fmt::format("loading the module took more than {} s, so it was stopped; does "
                                "it do work at import time? (--export-timeout SECONDS sets the "
                                "limit)",
                                timeoutSecs));
  }
  if (r.outTooLarge) {
    throw FluxError({path, 0, {}},
                    fmt::format("the exporter printed more than {} bytes of JSON, so it was "
                                "stopped; is the topology's config or args that large?",
                                kMaxExportOutput));
  }
  if (r.exitCode != 0) exporterFailed(path, r.err, r.exitCode, r.signal, options.verbose);
  if (r.out.empty()) {
    // The exporter always prints its JSON or an error: the module ended the process itself.
    throw FluxError({path, 0, {}},
                    "the module ended the Python process while it was being imported (exit status "
                    "0, nothing exported); does it call os._exit()?");
  }
  // What the module printed while loading.
  if (r.errTruncated) r.err += "\n[more output while loading was dropped]";
  size_t start = 0;
  while (start < r.err.size()) {
    size_t nl = r.err.find('\n', start);
    std::string line =
        r.err.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty()) {
      warn(fmt::format("{}: output while loading: {}", path, line));
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }

  TopologyFile file = readDslExport(r.out, path, options, project ? &*project : nullptr);
  file.warnings.insert(file.warnings.begin(), warnings.begin(), warnings.end());
  return file;
}

}  // namespace squall::flux
