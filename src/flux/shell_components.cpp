#include "flux/shell_components.h"

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

bool looksLikeScript(const std::string& arg) {
  if (arg.empty() || arg[0] == '-') return false;
  if (arg.find('/') != std::string::npos) return true;
  static const std::set<std::string> extensions = {".py",  ".sh",  ".bash", ".rb",  ".js",
                                                   ".mjs", ".pl",  ".php",  ".lua", ".r",
                                                   ".R",   ".tcl", ".ts"};
  return extensions.count(fs::path(arg).extension().string()) > 0;
}

ResolvedCommand resolveCommand(std::vector<std::string> command, const std::string& dir,
                               const PythonSetup& python) {
  ResolvedCommand out;
  size_t first = 0;
  if (!command.empty() && (command[0] == "python" || command[0] == "python3")) {
    command[0] = python.interpreter;
    first = 1;
  }
  for (size_t i = first; i < command.size(); ++i) {
    if (command[i] == "-m" || command[i] == "-c") break;  // a module or inline code follows
    if (!looksLikeScript(command[i])) continue;
    if (i == 0 && command[i].find('/') == std::string::npos) continue;
    if (auto found = findScript(dir, command[i])) {
      command[i] = *found;
      out.cwd = parentDir(*found);
    } else {
      out.missingScript = command[i];
    }
    break;
  }
  if (out.cwd.empty()) {
    std::string resources = (fs::path(dir) / "resources").string();
    out.cwd = isDirectory(resources) ? resources : dir;
  }
  out.command = std::move(command);
  return out;
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
