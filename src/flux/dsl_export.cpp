#include "flux/dsl_export.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <filesystem>

#include "flux/names.h"
#include "flux/shell_components.h"

namespace squall::flux {

namespace {

namespace fs = std::filesystem;

// Converts JSON to Values within the same bounds as a YAML file.
class JsonValues {
 public:
  explicit JsonValues(const YamlLimits& limits) : limits_(limits) {}

  Value operator()(const rapidjson::Value& v, const SourceLocation& where, int depth = 0) {
    if (++count_ > limits_.maxValues) {
      throw FluxError(
          where, fmt::format("the exported topology holds more than {} values", limits_.maxValues));
    }
    if (v.IsNull()) return Value();
    if (v.IsBool()) return Value(v.GetBool());
    if (v.IsInt64()) return Value(v.GetInt64());
    if (v.IsNumber()) return Value(v.GetDouble());
    if (v.IsString()) return Value(std::string(v.GetString(), v.GetStringLength()));
    if (depth >= limits_.maxDepth) {
      throw FluxError(
          where, fmt::format("lists and dicts are nested more than {} deep", limits_.maxDepth));
    }
    if (v.IsArray()) {
      List list;
      for (const auto& item : v.GetArray()) list.push_back((*this)(item, where, depth + 1));
      return Value(std::move(list));
    }
    Map map;
    for (const auto& m : v.GetObject()) {
      map.insert_or_assign(std::string(m.name.GetString(), m.name.GetStringLength()),
                           (*this)(m.value, where, depth + 1));
    }
    return Value(std::move(map));
  }

 private:
  const YamlLimits& limits_;
  uint64_t count_ = 0;
};

std::string str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

int integer(const rapidjson::Value& obj, const char* key, int fallback) {
  if (!obj.IsObject()) return fallback;
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsInt()) return fallback;
  return it->value.GetInt();
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

// The strings of a JSON list; anything else in it is an error.
std::vector<std::string> strings(const rapidjson::Value& list, const SourceLocation& where,
                                 const std::string& what) {
  std::vector<std::string> out;
  if (!list.IsArray()) throw FluxError(where, what + " must be a list of strings");
  for (const auto& s : list.GetArray()) {
    if (!s.IsString()) throw FluxError(where, what + " must be a list of strings");
    out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

void checkName(const std::string& name, const SourceLocation& where, const std::string& what) {
  if (name.empty()) throw FluxError(where, what + " is empty");
  if (auto problem = nameProblem(name)) throw FluxError(where, what + " " + *problem);
}

Fields fieldsOf(const std::vector<std::string>& names, const SourceLocation& where) {
  for (const auto& n : names) checkName(n, where, fmt::format("field name '{}'", n));
  try {
    return Fields(names);
  } catch (const std::exception& e) {
    throw FluxError(where, e.what());
  }
}

GroupingDef groupingOf(const rapidjson::Value& g, JsonValues& values, const SourceLocation& where) {
  GroupingDef out;
  std::string type = str(g, "type");
  static const std::map<std::string, GroupingType> types = {
      {"shuffle", GroupingType::Shuffle}, {"local_or_shuffle", GroupingType::LocalOrShuffle},
      {"fields", GroupingType::Fields},   {"partial_key", GroupingType::PartialKey},
      {"all", GroupingType::All},         {"global", GroupingType::Global},
      {"none", GroupingType::None},       {"direct", GroupingType::Direct},
      {"custom", GroupingType::Custom}};
  auto it = types.find(type);
  if (it == types.end()) throw FluxError(where, "unknown grouping type '" + type + "'");
  out.type = it->second;
  if (const auto* fields = member(g, "fields")) {
    out.fields = strings(*fields, where, "the fields of a grouping");
  }
  out.customClass = str(g, "class");
  if (const auto* args = member(g, "args"); args && args->IsArray()) {
    for (const auto& a : args->GetArray()) out.customArgs.push_back(values(a, where));
  }
  return out;
}

}  // namespace

TopologyFile readDslExport(const std::string& json, const std::string& path,
                           const LoadOptions& options, const StreamparseProject* project) {
  TopologyFile file;
  file.path = path;
  file.dir = parentDir(path);
  const PythonSetup& py = options.python;
  rapidjson::Document doc;
  // Iterative: a deeply nested document must not exhaust the stack while it is parsed.
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw FluxError(
        {path, 0, {}},
        fmt::format("the exporter printed something that is not its "
                    "JSON ({} at offset {})",
                    doc.HasParseError() ? rapidjson::GetParseError_En(doc.GetParseError())
                                        : "not an object",
                    doc.GetErrorOffset()));
  }
  JsonValues values(options.yamlLimits);
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
      std::string key(m.name.GetString(), m.name.GetStringLength());
      conf.insert_or_assign(key, values(m.value, configWhere));
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
  bool projectSrc = project && isDirectory(project->srcDir);
  std::string shellCwd = projectSrc ? project->srcDir : resourcesDir(file.dir);
  const auto* components = member(doc, "components");
  if (!components || !components->IsArray()) {
    throw FluxError({path, 0, {}}, "the exporter's JSON has no components");
  }
  for (const auto& c : components->GetArray()) {
    ComponentDef def;
    ComponentSource src;
    def.id = str(c, "name");
    def.kind = str(c, "kind") == "spout" ? ComponentKind::Spout : ComponentKind::Bolt;
    std::string attribute = str(c, "attribute");
    src.where =
        SourceLocation{path, integer(c, "line", 0),
                       attribute.empty() ? "class " + cls
                                         : fmt::format("class {}, attribute '{}'", cls, attribute)};
    checkName(def.id, src.where, "the component name");
    def.parallelism = 1;
    if (const auto* par = member(c, "par")) {
      constexpr int64_t kMost = 1'000'000;
      if (!par->IsNumber() || (!par->IsInt64() && !par->IsUint64())) {
        throw FluxError(src.where, "par must be an integer");
      }
      if (par->IsUint64() && par->GetUint64() > static_cast<uint64_t>(kMost)) {
        throw FluxError(src.where,
                        fmt::format("par is too large: {} (at most {})", par->GetUint64(), kMost));
      }
      if (par->GetInt64() < 1) {
        throw FluxError(src.where, fmt::format("par must be at least 1, got {}", par->GetInt64()));
      }
      def.parallelism = static_cast<int>(par->GetInt64());
    }
    src.classWhere = src.where;
    def.origin = src.where.toString();
    if (const auto* cc = member(c, "config"); cc && cc->IsObject()) {
      for (const auto& m : cc->GetObject()) {
        std::string key(m.name.GetString(), m.name.GetStringLength());
        def.conf.insert_or_assign(key, values(m.value, src.where));
        src.configKeys[key] = src.where;
      }
    }
    if (const auto* inputs = member(c, "inputs"); inputs && inputs->IsArray()) {
      for (const auto& in : inputs->GetArray()) {
        InputDef input;
        input.component = str(in, "component");
        input.stream = str(in, "stream");
        if (input.stream.empty()) input.stream = "default";
        checkName(input.stream, src.where, "the input stream name");
        const auto* g = member(in, "grouping");
        if (!g) throw FluxError(src.where, "an input has no grouping");
        input.grouping = groupingOf(*g, values, src.where);
        def.inputs.push_back(std::move(input));
        src.inputs.push_back(src.where);
      }
    }
    std::string type = str(c, "type");
    if (type == "class") {
      def.className = str(c, "class_name");
      if (const auto* args = member(c, "args"); args && args->IsArray()) {
        for (const auto& a : args->GetArray()) def.args.push_back(values(a, src.where));
      }
      src.displayClass = def.className;
      src.language = ComponentLanguage::Native;
    } else {
      ShellArgs shell;
      if (const auto* outputs = member(c, "outputs"); outputs && outputs->IsObject()) {
        for (const auto& o : outputs->GetObject()) {
          std::string stream(o.name.GetString(), o.name.GetStringLength());
          checkName(stream, src.where, "the stream name");
          std::vector<std::string> fields;
          if (const auto* f = member(o.value, "fields")) {
            fields = strings(*f, src.where, fmt::format("the fields of stream '{}'", stream));
          }
          if (const auto* direct = member(o.value, "direct"); direct && direct->IsTrue()) {
            throw FluxError(src.where, fmt::format("stream '{}' is declared direct; direct output "
                                                   "streams of components in other languages "
                                                   "are not supported yet",
                                                   stream));
          }
          shell.streams[stream] = StreamInfo{fieldsOf(fields, src.where), false};
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
        shell.cwd = projectSrc ? project->srcDir : file.dir;
        pythonPath = {root};
        if (projectSrc) pythonPath.push_back(project->srcDir);
        pythonPath.push_back(file.dir);
        if (isDirectory(resources)) pythonPath.push_back(resources);
        shell.serializer = str(c, "serializer");  // the class's own choice, if it made one
        src.displayClass = fmt::format("python: {}.{}", module, qualname);
        src.language = ComponentLanguage::Python;
      } else if (type == "shell") {
        std::vector<std::string> written;
        if (const auto* cmd = member(c, "command")) {
          written = strings(*cmd, src.where, "the command");
        }
        if (std::string script = str(c, "script"); !script.empty()) written.push_back(script);
        if (written.empty()) throw FluxError(src.where, "the command is empty");
        for (const auto& w : written) {
          if (w.find('\0') != std::string::npos) {
            throw FluxError(src.where, "the command holds a NUL byte");
          }
        }
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
