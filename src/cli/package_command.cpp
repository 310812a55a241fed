#include "cli/package_command.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "artifact/artifact.h"
#include "artifact/process.h"
#include "artifact/python_environment.h"
#include "cli/cluster_commands.h"
#include "cli/run_command.h"
#include "flux/check.h"
#include "flux/shell_components.h"
#include "flux/streamparse_project.h"
#include "nimbus/json_conf.h"
#include "nimbus/storm_config.h"
#include "nimbus/storm_topology_translation.h"
#include "submit/nimbus_submit.h"

namespace fs = std::filesystem;

namespace squall::cli {
namespace {

constexpr size_t kMaxFiles = 100000;

// A temporary folder, removed with what it holds.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/squall-package-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool skipped(const fs::path& p) {
  std::string name = p.filename().string();
  return name.empty() || name[0] == '.' || name == "__pycache__" || p.extension() == ".pyc" ||
         p.extension() == ".jar";
}

// Where the topology's files come from: the folder packed as resources/, the requirement
// files, and pip's extra wheel folders.
struct Layout {
  fs::path root;
  std::vector<fs::path> requirements;
  std::vector<fs::path> findLinks;
};

Layout layoutOf(const flux::TopologyFile& file) {
  Layout l;
  fs::path dir = fs::absolute(file.dir).lexically_normal();
  auto addIfFile = [&](const fs::path& p) {
    if (fs::is_regular_file(p)) l.requirements.push_back(p);
  };
  fs::path projectRoot = dir;
  if (auto project = flux::findStreamparseProject(file.path);
      project && flux::isDirectory(project->srcDir)) {
    projectRoot = fs::path(project->root);
    l.root = fs::path(project->srcDir);
    addIfFile(projectRoot / "requirements.txt");
    addIfFile(projectRoot / "virtualenvs" / (file.name + ".txt"));
  } else {
    l.root = fs::path(flux::resourcesDir(dir.string()));
    addIfFile(dir / "requirements.txt");
  }
  if (fs::is_directory(projectRoot / "wheels")) l.findLinks.push_back(projectRoot / "wheels");
  l.root = fs::absolute(l.root).lexically_normal();
  return l;
}

void collect(const fs::path& root, const fs::path& output,
             std::vector<artifact::ArtifactFile>& files, std::set<std::string>& names) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot read: {}", root.string(), ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw std::runtime_error(fmt::format("{}: {}", it->path().string(), ec.message()));
    if (skipped(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || fs::equivalent(it->path(), output, ec)) continue;
    // The name where the file is found (a symlink into the project is packed as a file).
    std::string name = "resources/" + it->path().lexically_relative(root).generic_string();
    if (!names.insert(name).second) continue;
    if (files.size() >= kMaxFiles) {
      throw std::runtime_error(
          fmt::format("{}: more than {} files to pack; is this the topology's resources folder?",
                      root.string(), kMaxFiles));
    }
    files.push_back({name, it->path().string(), {}, false});
  }
}

std::string pythonVersion(const std::string& interpreter) {
  auto r = artifact::runCommand(
      {interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"}, {}, {}, 60);
  if (!r.ok) {
    throw std::runtime_error(fmt::format("cannot run {}: {}", interpreter, r.error));
  }
  std::string v = r.output;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  return v;
}

// Squall's own Python package provides these import names (python/): a streamparse
// project's virtualenvs/NAME.txt lists streamparse, which is not built into a wheel.
bool providedBySquall(const std::string& line) {
  size_t end = line.find_first_of("<>=!~[; \t@");
  std::string name = line.substr(0, end);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c == '_' ? '-' : static_cast<char>(std::tolower(c));
  });
  return name == "streamparse" || name == "pystorm" || name == "squall";
}

// The requirements file without what Squall provides, written beside `tmp`; nullopt when
// nothing is left to build.
std::optional<fs::path> filteredRequirements(const fs::path& req, const fs::path& tmp) {
  std::ifstream in(req);
  if (!in) throw std::runtime_error(req.string() + ": cannot read");
  std::string line, kept;
  bool any = false;
  while (std::getline(in, line)) {
    std::string trimmed = line.substr(0, line.find('#'));
    trimmed.erase(0, trimmed.find_first_not_of(" \t\r"));
    if (!trimmed.empty() && trimmed[0] != '-' && providedBySquall(trimmed)) {
      std::cerr << req.string() << ": note: " << trimmed
                << " is provided by Squall's Python package; not packed\n";
      continue;
    }
    if (!trimmed.empty()) any = true;
    kept += line + "\n";
  }
  if (!any) return std::nullopt;
  fs::path out = tmp / fmt::format("requirements-{}.txt", std::hash<std::string>{}(req.string()));
  std::ofstream(out) << kept;
  return out;
}

// pip wheel of each requirements file, offline; the wheels it made, dependencies included.
std::vector<fs::path> buildWheels(const Layout& l, const flux::PythonSetup& python,
                                  const PackageOptions& o, const fs::path& wheelDir) {
  for (const auto& original : l.requirements) {
    auto filtered = filteredRequirements(original, wheelDir.parent_path());
    if (!filtered) continue;
    const fs::path& req = *filtered;
    std::vector<std::string> argv = {python.interpreter,
                                     "-m",
                                     "pip",
                                     "wheel",
                                     "--no-index",
                                     "--no-build-isolation",
                                     "--wheel-dir",
                                     wheelDir.string()};
    for (const auto& link : l.findLinks) argv.insert(argv.end(), {"--find-links", link.string()});
    for (const auto& link : o.findLinks) {
      argv.insert(argv.end(), {"--find-links", fs::absolute(link).string()});
    }
    argv.insert(argv.end(), {"-r", req.string()});
    // Local paths in a requirements file are relative to the folder pip runs in.
    auto r =
        artifact::runCommand(argv, {{"PIP_NO_INPUT", "1"}, {"PIP_DISABLE_PIP_VERSION_CHECK", "1"}},
                             original.parent_path().string(), o.pipTimeoutSecs);
    if (!r.ok) {
      throw std::runtime_error(fmt::format(
          "{}: building wheels offline (pip wheel --no-index) failed: {}; a requirement that is "
          "neither a local path nor a wheel in --find-links cannot be built here (and pip "
          "needs Debian's python3-pip):\n{}",
          original.string(), r.error, artifact::lastLines(r.output, 12)));
    }
  }
  std::vector<fs::path> wheels;
  if (fs::is_directory(wheelDir)) {
    for (const auto& e : fs::directory_iterator(wheelDir)) {
      if (e.path().extension() == ".whl") wheels.push_back(e.path());
    }
  }
  std::sort(wheels.begin(), wheels.end());
  return wheels;
}

// "greet_lib-1.0-py3-none-any.whl" -> "greet_lib==1.0" (the wheel file name's first two parts).
std::string requirementOf(const fs::path& wheel) {
  std::string stem = wheel.stem().string();
  size_t a = stem.find('-');
  size_t b = a == std::string::npos ? a : stem.find('-', a + 1);
  if (b == std::string::npos) {
    throw std::runtime_error(wheel.string() + ": not a wheel file name (NAME-VERSION-...whl)");
  }
  return stem.substr(0, a) + "==" + stem.substr(a + 1, b - a - 1);
}

// The definition as the cluster's workers will read it: paths under the folders packed as
// resources/ made relative to it (shell components run there), the local interpreter named
// "python3" again (the worker's, or the topology's virtualenv, takes its place), and the
// PYTHONPATH entries of this machine dropped but for those folders.
TopologyDef relocatable(TopologyDef def, const std::vector<fs::path>& packed,
                        const std::string& interpreter) {
  auto relative = [&](const std::string& s) -> std::optional<std::string> {
    fs::path p(s);
    if (!p.is_absolute()) return std::nullopt;
    p = p.lexically_normal();
    for (const auto& dir : packed) {
      fs::path rel = p.lexically_relative(dir);
      if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
    }
    return std::nullopt;
  };
  for (auto& c : def.components) {
    if (!flux::isShellClass(c.className) || c.args.size() != 1 || !c.args[0].isMap()) continue;
    Map m = c.args[0].asMap();
    if (auto cmd = m.find("command"); cmd != m.end() && cmd->second.isList()) {
      List list = cmd->second.asList();
      for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].isString()) continue;
        if (i == 0 && list[i].asString() == interpreter) {
          list[i] = Value("python3");
        } else if (auto rel = relative(list[i].asString())) {
          list[i] = Value(*rel);
        }
      }
      cmd->second = Value(std::move(list));
    }
    if (auto cwd = m.find("cwd"); cwd != m.end() && cwd->second.isString()) {
      if (auto rel = relative(cwd->second.asString())) {
        if (*rel == ".")
          m.erase(cwd);
        else
          cwd->second = Value(*rel);
      }
    }
    if (auto env = m.find("env"); env != m.end() && env->second.isMap()) {
      Map vars = env->second.asMap();
      if (auto pp = vars.find("PYTHONPATH"); pp != vars.end() && pp->second.isString()) {
        std::string kept;
        std::set<std::string> seen;
        std::string all = pp->second.asString();
        for (size_t start = 0; start <= all.size();) {
          size_t end = std::min(all.find(':', start), all.size());
          if (auto rel = relative(all.substr(start, end - start));
              rel && seen.insert(*rel).second) {
            kept += (kept.empty() ? "" : ":") + *rel;
          }
          start = end + 1;
        }
        // The working folder is on a Python child's path already (`-m`, or its script's).
        if (kept.empty() || kept == ".")
          vars.erase(pp);
        else
          pp->second = Value(kept);
      }
      if (vars.empty())
        m.erase(env);
      else
        env->second = Value(std::move(vars));
    }
    c.args = Values{Value(std::move(m))};
  }
  return def;
}

}  // namespace

PackageResult packageTopology(const flux::TopologyFile& file, const flux::PythonSetup& python,
                              const PackageOptions& o) {
  Layout l = layoutOf(file);
  PackageResult result;
  result.jar = o.output.empty() ? file.name + ".jar" : o.output;
  result.resourcesRoot = l.root.string();
  fs::path output = fs::absolute(result.jar);

  std::vector<artifact::ArtifactFile> files;
  std::set<std::string> names;
  collect(l.root, output, files, names);
  fs::path topologyFile = fs::absolute(file.path).lexically_normal();
  std::string topologyEntry = "resources/" + topologyFile.filename().string();
  fs::path rel = topologyFile.lexically_relative(l.root);
  if (!rel.empty() && *rel.begin() != "..") {
    topologyEntry = "resources/" + rel.generic_string();
  } else if (names.insert(topologyEntry).second) {
    files.push_back({topologyEntry, topologyFile.string(), {}, false});
  }
  // A DSL module imports the modules beside it: they go beside it.
  if (topologyFile.extension() == ".py") {
    for (const auto& e : fs::directory_iterator(topologyFile.parent_path())) {
      std::string name = "resources/" + e.path().filename().string();
      if (e.is_regular_file() && e.path().extension() == ".py" && !skipped(e.path()) &&
          names.insert(name).second) {
        files.push_back({name, e.path().string(), {}, false});
      }
    }
  }
  result.resources = files.size();

  TempDir tmp;
  auto wheels = buildWheels(l, python, o, tmp.path() / "wheels");
  if (!wheels.empty()) {
    artifact::PythonManifest manifest;
    manifest.interpreter = "python3";
    manifest.version = pythonVersion(python.interpreter);
    for (const auto& w : wheels) {
      manifest.requirements.push_back(requirementOf(w));
      files.push_back({"squall-python/wheels/" + w.filename().string(), w.string(), {}, false});
    }
    files.push_back({"squall-python/manifest.json", {}, artifact::toJson(manifest), false});
    result.requirements = manifest.requirements;
  }
  files.push_back({"META-INF/MANIFEST.MF",
                   {},
                   fmt::format("Manifest-Version: 1.0\r\nCreated-By: squall {}\r\n"
                               "Squall-Topology-Name: {}\r\nSquall-Topology-File: {}\r\n\r\n",
                               SQUALL_VERSION, file.name, topologyEntry),
                   false});
  if (output.has_parent_path()) fs::create_directories(output.parent_path());
  artifact::writeArtifact(output.string(), std::move(files));
  return result;
}

int unpackArtifact(const std::string& jar, const std::string& dir, const std::string& cache) {
  auto extracted = artifact::extractArtifact(jar, dir);
  std::cout << fmt::format("{}: {} entries, {} bytes\n", dir, extracted.entries, extracted.bytes);
  if (cache.empty()) return kExitOk;
  auto env = artifact::preparePythonEnvironment(dir, cache);
  if (!env) {
    std::cout << "python: the jar has no squall-python/; the worker's own Python runs it\n";
  } else {
    std::cout << fmt::format("python: {} ({})\n", env->interpreter,
                             env->created ? "built" : "from the cache");
  }
  return kExitOk;
}

int submitTopology(const flux::TopologyFile& file, const flux::PythonSetup& python,
                   const SubmitOptions& o) {
  Map conf = nimbus::loadStormConfig({o.configFile, o.overrides, {}});
  flux::CheckedTopology checked = flux::checkTopology(file);
  if (checked.runnable()) flux::planTopology(file);

  TempDir tmp;
  PackageOptions packOptions = o.package;
  packOptions.output = (tmp.path() / (file.name + ".jar")).string();
  PackageResult packed = packageTopology(file, python, packOptions);

  std::vector<fs::path> mapped = {fs::path(packed.resourcesRoot),
                                  fs::absolute(file.dir).lexically_normal()};
  storm::StormTopology topology = nimbus::toStormTopology(
      relocatable(file.topology.def, mapped, python.interpreter), checked.outputs);

  submit::Submission submission;
  submission.name = file.name;
  submission.jar = packed.jar;
  submission.jsonConf = nimbus::toJson(Value(file.conf.values()));
  submission.topology = topology;
  submission.inactive = o.inactive;
  try {
    std::string id = submit::submitToNimbus(conf, submission, std::cout);
    if (!id.empty()) std::cout << "Topology id: " << id << std::endl;
  } catch (const apache::thrift::TException& e) {
    std::cerr << "squall submit: " << describeNimbusError(e) << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace squall::cli
