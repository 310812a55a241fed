// Python DSL module -> TopologyFile. Runs `python -m squall.dsl.export FILE` once (the
// exporter checks the definition and prints it as JSON) and turns each Python component into
// a "squall.ShellBolt"/"squall.ShellSpout" that runs `python -m squall.dsl.run MODULE:CLASS`.

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <filesystem>
#include <iostream>
#include <regex>

#include "flux/shell_components.h"
#include "flux/streamparse_project.h"
#include "flux/subprocess.h"
#include "flux/topology_file.h"

namespace squall::flux {

namespace {

namespace fs = std::filesystem;

constexpr int kExportTimeoutSecs = 60;

Value jsonValue(const rapidjson::Value& v) {
  if (v.IsNull()) return Value();
  if (v.IsBool()) return Value(v.GetBool());
  if (v.IsInt64()) return Value(v.GetInt64());
  if (v.IsNumber()) return Value(v.GetDouble());
  if (v.IsString()) return Value(std::string(v.GetString(), v.GetStringLength()));
  if (v.IsArray()) {
    List list;
    for (const auto& item : v.GetArray()) list.push_back(jsonValue(item));
    return Value(std::move(list));
  }
  Map map;
  for (const auto& m : v.GetObject()) {
    map.insert_or_assign(std::string(m.name.GetString(), m.name.GetStringLength()),
                         jsonValue(m.value));
  }
  return Value(std::move(map));
}

std::string str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

int integer(const rapidjson::Value& obj, const char* key, int fallback) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsInt()) return fallback;
  return it->value.GetInt();
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

GroupingDef groupingOf(const rapidjson::Value& g) {
  GroupingDef out;
  std::string type = str(g, "type");
  static const std::map<std::string, GroupingType> types = {
      {"shuffle", GroupingType::Shuffle}, {"local_or_shuffle", GroupingType::LocalOrShuffle},
      {"fields", GroupingType::Fields},   {"partial_key", GroupingType::PartialKey},
      {"all", GroupingType::All},         {"global", GroupingType::Global},
      {"none", GroupingType::None},       {"direct", GroupingType::Direct},
      {"custom", GroupingType::Custom}};
  auto it = types.find(type);
  if (it == types.end()) throw SquallError("unknown grouping type '" + type + "'");
  out.type = it->second;
  if (const auto* fields = member(g, "fields"); fields && fields->IsArray()) {
    for (const auto& f : fields->GetArray()) {
      if (f.IsString()) out.fields.push_back(f.GetString());
    }
  }
  out.customClass = str(g, "class");
  if (const auto* args = member(g, "args"); args && args->IsArray()) {
    for (const auto& a : args->GetArray()) out.customArgs.push_back(jsonValue(a));
  }
  return out;
}

// "FILE:LINE: error: MESSAGE" (the exporter's last line) as a FluxError.
[[noreturn]] void exporterFailed(const std::string& path, const std::string& err, int exitCode,
                                 bool verbose) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < err.size()) {
    size_t nl = err.find('\n', start);
    std::string line = err.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty()) lines.push_back(line);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  static const std::regex withLine("^(.*):([0-9]+): error: (.*)$");
  static const std::regex withoutLine("^(.*): error: (.*)$");
  std::smatch m;
  if (exitCode == 2 && !lines.empty()) {
    if (verbose) {
      for (size_t i = 0; i + 1 < lines.size(); ++i) std::cerr << lines[i] << "\n";
    }
    const std::string& last = lines.back();
    if (std::regex_match(last, m, withLine)) {
      throw FluxError({m[1].str(), std::stoi(m[2].str()), {}}, m[3].str());
    }
    if (std::regex_match(last, m, withoutLine)) throw FluxError({m[1].str(), 0, {}}, m[2].str());
  }
  std::string tail;
  for (size_t i = lines.size() > 12 ? lines.size() - 12 : 0; i < lines.size(); ++i) {
    tail += "\n  " + lines[i];
  }
  throw FluxError({path, 0, {}},
                  fmt::format("reading the topology with `python -m squall.dsl.export` failed "
                              "(exit status {}){}",
                              exitCode, tail));
}

}  // namespace

TopologyFile loadPythonTopology(const std::string& path, const LoadOptions& options) {
  TopologyFile file;
  file.path = path;
  file.dir = parentDir(path);
  const PythonSetup& py = options.python;
  if (py.packageDir.empty()) {
    throw FluxError({path, 0, {}},
                    "cannot find the squall Python package (looked in SQUALL_PYTHONPATH, "
                    "<squall>/../share/squall/python, <squall>/../lib/squall/python, a source "
                    "tree above the squall executable, and `import squall` in " +
                        py.interpreter +
                        "); set SQUALL_PYTHONPATH to the folder that holds "
                        "squall/");
  }
  // A streamparse project's src/ is its components' import root and working directory (the
  // resources folder streamparse ships), and its config.json holds settings.
  std::optional<StreamparseProject> project = findStreamparseProject(path);
  std::vector<std::string> projectPath;
  if (project) {
    if (isDirectory(project->srcDir)) projectPath.push_back(project->srcDir);
    for (const auto& w : project->warnings) {
      if (options.onWarning) {
        options.onWarning(w);
      } else {
        file.warnings.push_back(w);
      }
    }
  }
  std::vector<std::string> argv = {py.interpreter, "-m", "squall.dsl.export", path};
  if (options.verbose) argv.push_back("--verbose");
  ProcessResult r =
      runProcess(argv, {{"PYTHONPATH", childPythonPath(projectPath, py)}}, kExportTimeoutSecs);
  if (!r.started) {
    throw FluxError({path, 0, {}},
                    fmt::format("cannot run the Python interpreter '{}': {} (set SQUALL_PYTHON "
                                "to another one)",
                                py.interpreter, r.startError));
  }
  if (r.timedOut) {
    throw FluxError({path, 0, {}},
                    fmt::format("loading the module took more than {} s; does it do work at "
                                "import time?",
                                kExportTimeoutSecs));
  }
  if (r.exitCode != 0) exporterFailed(path, r.err, r.exitCode, options.verbose);
  // What the module printed while loading.
  size_t start = 0;
  while (start < r.err.size()) {
    size_t nl = r.err.find('\n', start);
    std::string line =
        r.err.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty()) {
      std::string text = fmt::format("{}: output while loading: {}", path, line);
      if (options.onWarning) {
        options.onWarning(text);
      } else {
        file.warnings.push_back(text);
      }
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }

  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw FluxError({path, 0, {}}, fmt::format("the exporter printed something that is not its "
                                               "JSON ({} at offset {})",
                                               rapidjson::GetParseError_En(doc.GetParseError()),
                                               doc.GetErrorOffset()));
  }
  std::string cls = str(doc, "topology");
  file.name = options.nameOverride.empty() ? str(doc, "name") : options.nameOverride;
  file.nameWhere = options.nameOverride.empty()
                       ? SourceLocation{path, integer(doc, "line", 0), "class " + cls}
                       : SourceLocation{"--name", 0, {}};
  Map conf;
  if (project) {
    for (const auto& [key, value] : project->options) {
      conf.insert_or_assign(key, value);
      file.configKeys[key] = SourceLocation{project->configFile, 0, {}};
    }
  }
  SourceLocation configWhere{path, integer(doc, "config_line", integer(doc, "line", 0)),
                             fmt::format("class {}, attribute 'config'", cls)};
  if (const auto* c = member(doc, "config"); c && c->IsObject()) {
    for (const auto& m : c->GetObject()) {
      std::string key = m.name.GetString();
      conf.insert_or_assign(key, jsonValue(m.value));
      file.configKeys[key] = configWhere;
    }
  }
  for (const auto& [key, value] : options.configOverrides) {
    conf.insert_or_assign(key, value);
    file.configKeys[key] = SourceLocation{"-c " + key, 0, {}};
  }
  file.conf = Config(conf);

  std::string resources = (fs::path(file.dir) / "resources").string();
  // Where shell components run: Storm's resources folder (a streamparse project's src/).
  std::string shellCwd =
      project && isDirectory(project->srcDir) ? project->srcDir : resourcesDir(file.dir);
  const auto* components = member(doc, "components");
  if (!components || !components->IsArray()) {
    throw FluxError({path, 0, {}}, "the exporter's JSON has no components");
  }
  for (const auto& c : components->GetArray()) {
    ComponentDef def;
    ComponentSource src;
    def.id = str(c, "name");
    def.kind = str(c, "kind") == "spout" ? ComponentKind::Spout : ComponentKind::Bolt;
    def.parallelism = integer(c, "par", 1);
    std::string attribute = str(c, "attribute");
    src.where =
        SourceLocation{path, integer(c, "line", 0),
                       attribute.empty() ? "class " + cls
                                         : fmt::format("class {}, attribute '{}'", cls, attribute)};
    src.classWhere = src.where;
    def.origin = src.where.toString();
    if (const auto* cc = member(c, "config"); cc && cc->IsObject()) {
      for (const auto& m : cc->GetObject()) {
        def.conf.insert_or_assign(m.name.GetString(), jsonValue(m.value));
        src.configKeys[m.name.GetString()] = src.where;
      }
    }
    if (const auto* inputs = member(c, "inputs"); inputs && inputs->IsArray()) {
      for (const auto& in : inputs->GetArray()) {
        InputDef input;
        input.component = str(in, "component");
        input.stream = str(in, "stream");
        if (input.stream.empty()) input.stream = "default";
        try {
          const auto* g = member(in, "grouping");
          if (!g) throw SquallError("an input has no grouping");
          input.grouping = groupingOf(*g);
        } catch (const SquallError& e) {
          throw FluxError(src.where, e.what());
        }
        def.inputs.push_back(std::move(input));
        src.inputs.push_back(src.where);
      }
    }
    std::string type = str(c, "type");
    if (type == "class") {
      def.className = str(c, "class_name");
      if (const auto* args = member(c, "args"); args && args->IsArray()) {
        for (const auto& a : args->GetArray()) def.args.push_back(jsonValue(a));
      }
      src.displayClass = def.className;
      src.language = ComponentLanguage::Native;
    } else {
      ShellArgs shell;
      if (const auto* outputs = member(c, "outputs"); outputs && outputs->IsObject()) {
        for (const auto& o : outputs->GetObject()) {
          std::vector<std::string> fields;
          if (const auto* f = member(o.value, "fields"); f && f->IsArray()) {
            for (const auto& name : f->GetArray()) fields.push_back(name.GetString());
          }
          if (const auto* direct = member(o.value, "direct"); direct && direct->IsTrue()) {
            throw FluxError(src.where, fmt::format("stream '{}' is declared direct; direct output "
                                                   "streams of components in other languages "
                                                   "are not supported yet",
                                                   o.name.GetString()));
          }
          shell.streams[o.name.GetString()] = StreamInfo{Fields(fields), false};
        }
      }
      std::vector<std::string> pythonPath;
      if (type == "python") {
        std::string module = str(c, "module"), qualname = str(c, "class"), root = str(c, "path");
        if (root.empty()) {
          throw FluxError(src.where, fmt::format("class {}.{} was not loaded from a file, so a "
                                                 "child process cannot import it",
                                                 module, qualname));
        }
        shell.command = {py.interpreter, "-m", "squall.dsl.run", module + ":" + qualname};
        shell.cwd = project && isDirectory(project->srcDir) ? project->srcDir : file.dir;
        pythonPath = {root};
        pythonPath.insert(pythonPath.end(), projectPath.begin(), projectPath.end());
        pythonPath.push_back(file.dir);
        if (isDirectory(resources)) pythonPath.push_back(resources);
        shell.serializer = str(c, "serializer");  // the class's own choice, if it made one
        src.displayClass = fmt::format("python: {}.{}", module, qualname);
        src.language = ComponentLanguage::Python;
      } else if (type == "shell") {
        std::vector<std::string> written;
        if (const auto* cmd = member(c, "command"); cmd && cmd->IsArray()) {
          for (const auto& part : cmd->GetArray()) written.push_back(part.GetString());
        }
        if (std::string script = str(c, "script"); !script.empty()) written.push_back(script);
        ResolvedCommand resolved = resolveCommand(written, file.dir, py, shellCwd);
        if (!resolved.missingScript.empty()) {
          std::string shown = fs::path(path).parent_path().string();
          shown = shown.empty() ? "./" : shown + "/";
          throw FluxError(src.where, missingScriptMessage(resolved, file.dir, shown));
        }
        shell.command = resolved.command;
        shell.cwd = resolved.cwd;
        std::string joined;
        for (const auto& w : written) joined += (joined.empty() ? "" : " ") + w;
        src.displayClass = "shell: " + joined;
        src.language = ComponentLanguage::Shell;
      } else {
        throw FluxError(src.where, "the exporter gave an unknown component type '" + type + "'");
      }
      shell.env["PYTHONPATH"] = childPythonPath(pythonPath, py);
      def.className = def.kind == ComponentKind::Bolt ? kShellBolt : kShellSpout;
      def.args = shell.args();
    }
    file.sources[def.id] = std::move(src);
    file.topology.def.components.push_back(std::move(def));
  }
  return file;
}

}  // namespace squall::flux
