#include "flux/shell_components.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace squall::flux {

bool isShellClass(const std::string& className) {
  return className == kFluxShellBolt || className == kFluxShellSpout || className == kShellBolt ||
         className == kShellSpout;
}

Values ShellArgs::args() const {
  Map m;
  List cmd(command.begin(), command.end());
  m["command"] = Value(std::move(cmd));
  bool onlyDefault =
      streams.size() == 1 && streams.count("default") && !streams.at("default").direct;
  if (onlyDefault) {
    const auto& names = streams.at("default").fields.toList();
    m["fields"] = Value(List(names.begin(), names.end()));
  } else {
    Map s;
    for (const auto& [name, info] : streams) {
      const auto& names = info.fields.toList();
      s[name] = Value(List(names.begin(), names.end()));
    }
    m["streams"] = Value(std::move(s));
  }
  if (!cwd.empty()) m["cwd"] = cwd;
  if (!serializer.empty()) m["serializer"] = serializer;
  if (!env.empty()) {
    Map e;
    for (const auto& [k, v] : env) e[k] = v;
    m["env"] = Value(std::move(e));
  }
  return Values{Value(std::move(m))};
}

namespace {

std::optional<Fields> fieldsOf(const Value& v) {
  if (!v.isList()) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& f : v.asList()) {
    if (!f.isString()) return std::nullopt;
    names.push_back(f.asString());
  }
  return Fields(names);
}

}  // namespace

std::optional<std::map<std::string, StreamInfo>> shellOutputs(const ComponentDef& def) {
  std::map<std::string, StreamInfo> out;
  if (def.className == kFluxShellBolt || def.className == kFluxShellSpout) {
    if (def.args.empty() || def.args.size() > 2) return std::nullopt;
    if (def.args.size() == 2) {
      auto f = fieldsOf(def.args[1]);
      if (!f) return std::nullopt;
      out["default"] = StreamInfo{*f, false};
    }
    return out;
  }
  if (def.args.size() != 1 || !def.args[0].isMap()) return std::nullopt;
  const Value& m = def.args[0];
  if (const Value* fields = m.find("fields")) {
    auto f = fieldsOf(*fields);
    if (!f) return std::nullopt;
    out["default"] = StreamInfo{*f, false};
  }
  if (const Value* streams = m.find("streams")) {
    if (!streams->isMap()) return std::nullopt;
    for (const auto& [name, fields] : streams->asMap()) {
      auto f = fieldsOf(fields);
      if (!f) return std::nullopt;
      out[name] = StreamInfo{*f, false};
    }
  }
  return out;
}

bool pathExists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool isDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

std::string absolutePath(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return path;
  return p.lexically_normal().string();
}

std::string parentDir(const std::string& path) {
  return fs::path(absolutePath(path)).parent_path().string();
}

std::optional<std::string> findScript(const std::string& dir, const std::string& script) {
  if (script.empty()) return std::nullopt;
  fs::path p(script);
  if (p.is_absolute()) {
    if (pathExists(script) && !isDirectory(script))
      return fs::path(script).lexically_normal().string();
    return std::nullopt;
  }
  for (const fs::path& base : {fs::path(dir), fs::path(dir) / "resources"}) {
    fs::path candidate = (base / p).lexically_normal();
    if (pathExists(candidate.string()) && !isDirectory(candidate.string()))
      return candidate.string();
  }
  return std::nullopt;
}

std::string resourcesDir(const std::string& dir) {
  std::string resources = (fs::path(dir) / "resources").string();
  return isDirectory(resources) ? resources : dir;
}

namespace {

enum class Interpreter { None, Python, Other };

Interpreter interpreterOf(const std::string& program) {
  std::string base = fs::path(program).filename().string();
  auto startsWith = [&](const char* p) { return base.rfind(p, 0) == 0; };
  // python, python3, python3.11, pypy3 (a virtualenv's bin/python included)
  if (startsWith("python") || startsWith("pypy")) {
    size_t i = startsWith("python") ? 6 : 4;
    bool version = base.find_first_not_of("0123456789.", i) == std::string::npos;
    return version ? Interpreter::Python : Interpreter::None;
  }
  static const std::set<std::string> others = {"node", "nodejs", "ruby", "perl", "php",    "sh",
                                               "bash", "dash",   "zsh",  "lua",  "Rscript"};
  return others.count(base) ? Interpreter::Other : Interpreter::None;
}

}  // namespace

std::optional<size_t> interpreterScript(const std::vector<std::string>& command) {
  if (command.empty()) return std::nullopt;
  Interpreter kind = interpreterOf(command[0]);
  if (kind == Interpreter::None) return std::nullopt;
  // Options whose value is the next argument, and options after which no script follows.
  static const std::set<std::string> pythonValue = {"-W", "-X", "-Q"};
  static const std::set<std::string> otherValue = {"-r", "--require", "-I", "-C"};
  static const std::set<std::string> noScript = {"-e", "-p", "--eval", "--print", "-"};
  for (size_t i = 1; i < command.size(); ++i) {
    const std::string& a = command[i];
    if (a == "--") return i + 1 < command.size() ? std::optional<size_t>(i + 1) : std::nullopt;
    if (a.empty() || a[0] != '-') return i;
    if (noScript.count(a)) return std::nullopt;
    if (a.rfind("-c", 0) == 0 || (kind == Interpreter::Python && a.rfind("-m", 0) == 0)) {
      return std::nullopt;  // inline code or a module
    }
    if ((kind == Interpreter::Python ? pythonValue : otherValue).count(a)) ++i;
  }
  return std::nullopt;
}

ResolvedCommand resolveCommand(std::vector<std::string> command, const std::string& dir,
                               const PythonSetup& python, std::string cwd) {
  ResolvedCommand out;
  out.cwd = cwd.empty() ? resourcesDir(dir) : std::move(cwd);
  if (!command.empty() && (command[0] == "python" || command[0] == "python3")) {
    command[0] = python.interpreter;
  } else if (!command.empty() && !command[0].empty() && command[0].find('/') == std::string::npos) {
    fs::path shipped = fs::path(out.cwd) / command[0];
    if (pathExists(shipped.string()) && !isDirectory(shipped.string())) {
      command[0] = shipped.lexically_normal().string();
    }
  }
  if (auto i = interpreterScript(command)) {
    fs::path script(command[*i]);
    fs::path where = script.is_absolute() ? script : fs::path(out.cwd) / script;
    if (!pathExists(where.string()) || isDirectory(where.string())) {
      out.missingScript = command[*i];
    }
  }
  out.command = std::move(command);
  return out;
}

std::string missingScriptMessage(const ResolvedCommand& resolved, const std::string& dir,
                                 const std::string& shownDir) {
  fs::path cwd = fs::path(resolved.cwd).lexically_normal();
  fs::path base = fs::path(dir).lexically_normal();
  std::string shown = cwd.string() + "/";
  if (cwd == base) {
    shown = shownDir;
  } else if (cwd == (base / "resources").lexically_normal()) {
    shown = shownDir + "resources/";
  }
  std::string message = fmt::format(
      "script '{}' not found in {} (shell components run there, as in Storm: the topology's "
      "resources folder)",
      resolved.missingScript, shown);
  fs::path beside = base / resolved.missingScript;
  if (cwd != base && !fs::path(resolved.missingScript).is_absolute() &&
      pathExists(beside.string())) {
    message += fmt::format("; it is in {}: move it into {} or name it '../{}'", shownDir, shown,
                           resolved.missingScript);
  }
  return message;
}

std::string childPythonPath(const std::vector<std::string>& first, const PythonSetup& python,
                            const std::string* inherited) {
  std::vector<std::string> parts = first;
  if (!python.packageDir.empty()) parts.push_back(python.packageDir);
  std::string rest;
  if (inherited) {
    rest = *inherited;
  } else if (const char* env = std::getenv("PYTHONPATH")) {
    rest = env;
  }
  size_t start = 0;
  while (start <= rest.size() && !rest.empty()) {
    size_t colon = rest.find(':', start);
    std::string part =
        rest.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!part.empty()) parts.push_back(part);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  std::string out;
  std::set<std::string> seen;
  for (const auto& p : parts) {
    if (p.empty() || !seen.insert(p).second) continue;
    if (!out.empty()) out += ':';
    out += p;
  }
  return out;
}

}  // namespace squall::flux
