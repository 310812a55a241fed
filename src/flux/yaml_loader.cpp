// Flux YAML -> TopologyFile. Follows Flux's schema (storm.md §8): name, config, components,
// includes, spouts, bolts, streams; ${ENV-NAME} and properties-file substitution on the raw
// text, line by line (so line numbers survive). Adds Squall's short form for components in
// other languages (`python:` / `command:` with `fields:` or `streams:`).

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "flux/check.h"
#include "flux/did_you_mean.h"
#include "flux/names.h"
#include "flux/shell_components.h"
#include "flux/topology_file.h"
#include "flux/yaml_values.h"

namespace squall::flux {

namespace {

namespace fs = std::filesystem;

struct Doc {
  std::string display;  // the path as messages show it
  std::string dir;      // its folder, absolute
  YAML::Node root;
};

struct Entry {
  const Doc* doc;
  YAML::Node node;
};

struct KeyValue {
  YAML::Node key;
  YAML::Node value;
};

// Definitions by id, in first-definition order.
struct DefList {
  std::vector<std::pair<std::string, Entry>> items;
  std::map<std::string, size_t> index;
};

struct ConfigEntry {
  const Doc* doc;
  YAML::Node key;
  YAML::Node value;
};

// The file's bytes, refusing one larger than `maxBytes` before reading it all.
std::string readBounded(const std::string& path, const std::string& display, size_t maxBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FluxError({display, 0, {}}, "cannot read this file");
  std::string text(maxBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > maxBytes) {
    throw FluxError({display, 0, {}},
                    fmt::format("the file is larger than {} bytes, the most a topology file "
                                "may be",
                                maxBytes));
  }
  return text;
}

int lineOf(const YAML::Node& n) {
  return n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

std::optional<KeyValue> find(const YAML::Node& map, const std::string& key) {
  if (!map.IsMap()) return std::nullopt;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return KeyValue{it->first, it->second};
  }
  return std::nullopt;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string simpleClassName(const std::string& cls) {
  auto dot = cls.find_last_of('.');
  return dot == std::string::npos ? cls : cls.substr(dot + 1);
}

std::string displayDir(const std::string& display) {
  std::string d = fs::path(display).parent_path().string();
  return d.empty() ? "./" : d + "/";
}

const char* kindName(ComponentKind k) {
  return k == ComponentKind::Spout ? "spout" : "bolt";
}

const std::vector<std::string> kGroupingTypes = {
    "ALL",    "CUSTOM", "DIRECT", "SHUFFLE",    "LOCAL_OR_SHUFFLE",
    "FIELDS", "GLOBAL", "NONE",   "PARTIAL_KEY"};

class Loader {
 public:
  Loader(std::string path, const LoadOptions& options)
      : path_(std::move(path)), options_(options) {}

  TopologyFile load();

 private:
  SourceLocation at(const Doc& d, const YAML::Node& n) const {
    return SourceLocation{d.display, lineOf(n), {}};
  }
  [[noreturn]] void fail(const Doc& d, const YAML::Node& n, const std::string& message) const {
    throw FluxError(at(d, n), message);
  }
  void warn(const SourceLocation& where, const std::string& message) {
    std::string place = where.toString();
    std::string text = place.empty() ? "warning: " + message : place + ": warning: " + message;
    if (options_.onWarning) {
      options_.onWarning(text);
    } else {
      file_.warnings.push_back(text);
    }
  }

  void loadProperties();
  std::string substitute(const std::string& text, const std::string& display);
  const Doc& parse(const std::string& absPath, const std::string& display);

  void checkKeys(const Doc& d, const YAML::Node& map, const std::vector<std::string>& allowed,
                 const std::string& what);
  std::string asString(const Doc& d, const YAML::Node& n, const std::string& what);
  void checkText(const Doc& d, const YAML::Node& n, const std::string& what);
  std::string needString(const Doc& d, const YAML::Node& map, const std::string& key,
                         const std::string& what);
  int asPositiveInt(const Doc& d, const YAML::Node& n, const std::string& what);
  bool asBool(const Doc& d, const YAML::Node& n, const std::string& what);
  std::vector<std::string> asStringList(const Doc& d, const YAML::Node& n, const std::string& what);
  Fields fieldsAt(const Doc& d, const YAML::Node& n, const std::vector<std::string>& names);
  Value plainValue(const Doc& d, const YAML::Node& n);
  Value argValue(const Doc& d, const YAML::Node& n);
  Value componentValue(const std::string& id, const Doc& d, const YAML::Node& ref);
  Value beanValue(const Doc& d, const YAML::Node& node, const std::string& id,
                  const std::string& what);
  std::map<std::string, StreamInfo> streamsOf(const Doc& d, const YAML::Node& n);

  void merge(const Doc& d, bool isMain, bool override);
  void mergeDefs(const Doc& d, const char* section, DefList& list, bool isMain, bool override);
  void buildComponent(const Entry& e, ComponentKind kind);
  void buildFluxShell(const Doc& d, const YAML::Node& node, const std::string& cls,
                      ComponentDef& def, ComponentSource& src);
  void buildShortForm(const Doc& d, const YAML::Node& node, ComponentDef& def,
                      ComponentSource& src);
  void buildStream(const Entry& e);
  GroupingDef grouping(const Doc& d, const YAML::Node& n, std::string& stream);
  std::vector<std::string> componentIds() const;
  // Runs one independent part of the load (a component, a stream, an include); its error is
  // kept and loading goes on, so every problem is reported at once. False when it failed.
  template <typename F>
  bool collect(F&& part) {
    try {
      part();
      return true;
    } catch (const FluxError& e) {
      errors_.push_back(e);
      return false;
    }
  }

  std::string path_;
  LoadOptions options_;
  std::map<std::string, std::string> properties_;
  std::vector<std::unique_ptr<Doc>> docs_;
  std::vector<std::pair<std::string, ConfigEntry>> config_;
  DefList components_, spouts_, bolts_;
  std::vector<Entry> streams_;
  std::map<std::string, Value> componentValues_;
  std::set<std::string> resolving_;
  std::vector<ComponentDef> defs_;
  std::map<std::string, size_t> defIndex_;
  TopologyFile file_;
  std::vector<FluxError> errors_;
  std::set<std::string> failed_;  // spouts and bolts whose definition has an error
};

// ----- text

void Loader::loadProperties() {
  std::istringstream in(
      readBounded(options_.filterFile, options_.filterFile, options_.yamlLimits.maxBytes));
  std::string line, logical;
  auto addLogical = [&](std::string l) {
    size_t start = l.find_first_not_of(" \t\f");
    if (start == std::string::npos) return;
    l = l.substr(start);
    if (l[0] == '#' || l[0] == '!') return;
    size_t sep = std::string::npos;
    for (size_t i = 0; i < l.size(); ++i) {
      if (l[i] == '\\') {
        ++i;
        continue;
      }
      if (l[i] == '=' || l[i] == ':' || l[i] == ' ' || l[i] == '\t') {
        sep = i;
        break;
      }
    }
    std::string key = l.substr(0, sep), value;
    if (sep != std::string::npos) {
      size_t v = l.find_first_not_of(" \t\f", sep);
      if (v != std::string::npos && (l[v] == '=' || l[v] == ':') &&
          (l[sep] == ' ' || l[sep] == '\t')) {
        v = l.find_first_not_of(" \t\f", v + 1);
      } else if (v == sep) {
        v = l.find_first_not_of(" \t\f", sep + 1);
      }
      if (v != std::string::npos) value = l.substr(v);
    }
    auto unescape = [](const std::string& s) {
      std::string out;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          char c = s[++i];
          out += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
        } else {
          out += s[i];
        }
      }
      return out;
    };
    properties_[unescape(key)] = unescape(value);
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t slashes = 0;
    for (auto it = line.rbegin(); it != line.rend() && *it == '\\'; ++it) ++slashes;
    if (slashes % 2 == 1) {
      line.pop_back();
      size_t start = logical.empty() ? 0 : line.find_first_not_of(" \t\f");
      logical += start == std::string::npos ? "" : line.substr(start);
      continue;
    }
    if (!logical.empty()) {
      size_t start = line.find_first_not_of(" \t\f");
      logical += start == std::string::npos ? "" : line.substr(start);
      addLogical(logical);
      logical.clear();
    } else {
      addLogical(line);
    }
  }
  if (!logical.empty()) addLogical(logical);
}

// "name[3]" as {"name", 3}: Flux's indexed reference into a list-valued property.
std::optional<std::pair<std::string, size_t>> indexedKey(const std::string& key) {
  if (key.size() < 3 || key.back() != ']') return std::nullopt;
  size_t open = key.rfind('[');
  if (open == std::string::npos) return std::nullopt;
  std::string digits = key.substr(open + 1, key.size() - open - 2);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::make_pair(key.substr(0, open), static_cast<size_t>(std::stoul(digits)));
}

std::string Loader::substitute(const std::string& text, const std::string& display) {
  std::istringstream in(text);
  std::string line, out;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    size_t firstChar = line.find_first_not_of(" \t");
    if (firstChar != std::string::npos && line[firstChar] == '#') {  // a comment line
      out += line + '\n';
      continue;
    }
    std::string result;
    size_t last = 0;
    // Each ${key}, found by hand: std::regex recurses per character and overflows the stack
    // on a long line.
    for (size_t open = line.find("${"); open != std::string::npos;
         open = line.find("${", open + 2)) {
      size_t close = line.find('}', open + 2);
      if (close == std::string::npos) break;
      std::string key = line.substr(open + 2, close - open - 2);
      std::optional<std::string> replacement;
      if (key.rfind("ENV-", 0) == 0) {
        if (!options_.envFilter) {
          warn({display, lineNo, {}},
               fmt::format("'${{{}}}' is left as it is: environment variables are substituted "
                           "only with -e/--env-filter (as in Flux)",
                           key));
        } else if (const char* v = std::getenv(key.substr(4).c_str())) {
          replacement = v;
        } else {
          warn({display, lineNo, {}},
               fmt::format("environment variable '{}' is not set; '${{{}}}' is left as it is",
                           key.substr(4), key));
        }
      } else if (!options_.filterFile.empty()) {
        if (auto p = properties_.find(key); p != properties_.end()) {
          replacement = p->second;
        } else if (auto index = indexedKey(key)) {
          auto p2 = properties_.find(index->first);
          if (p2 != properties_.end()) {
            try {
              YAML::Node list = YAML::Load(p2->second);
              size_t i = index->second;
              if (list.IsSequence() && i < list.size() && list[i].IsScalar()) {
                replacement = list[i].Scalar();
              }
            } catch (const std::exception&) {
            }
          }
        }
        if (!replacement) {
          warn({display, lineNo, {}},
               fmt::format("'{}' is not in properties file {}; '${{{}}}' is left as it is", key,
                           options_.filterFile, key));
        }
      }
      if (replacement) {
        result += line.substr(last, open - last) + *replacement;
        last = close + 1;
      }
      open = close - 1;  // the next ${ starts after this one's }
    }
    result += line.substr(last);
    out += result;
    out += '\n';
    if (out.size() > options_.yamlLimits.maxBytes) {
      throw FluxError({display, lineNo, {}},
                      fmt::format("with ${{...}} substituted, the file grows past {} bytes, the "
                                  "most a topology file may be",
                                  options_.yamlLimits.maxBytes));
    }
  }
  return out;
}

const Doc& Loader::parse(const std::string& absPath, const std::string& display) {
  std::string raw = readBounded(absPath, display, options_.yamlLimits.maxBytes);
  auto doc = std::make_unique<Doc>();
  doc->display = display;
  doc->dir = parentDir(absPath);
  try {
    std::string text = substitute(raw, display);
    checkYamlLimits(text, display, options_.yamlLimits);
    doc->root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw FluxError({display, e.mark.line >= 0 ? e.mark.line + 1 : 0, {}},
                    "malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw FluxError({display, e.mark.line >= 0 ? e.mark.line + 1 : 0, {}},
                    std::string("malformed YAML: ") + e.what());
  }
  if (!doc->root.IsDefined() || doc->root.IsNull()) {
    throw FluxError({display, 0, {}},
                    "the file is empty: a topology needs spouts, bolts and "
                    "streams");
  }
  if (!doc->root.IsMap()) {
    throw FluxError({display, lineOf(doc->root), {}},
                    "a topology file is a map (name, config, spouts, bolts, streams), not " +
                        describeNode(doc->root));
  }
  docs_.push_back(std::move(doc));
  return *docs_.back();
}

// ----- typed access

void Loader::checkKeys(const Doc& d, const YAML::Node& map, const std::vector<std::string>& allowed,
                       const std::string& what) {
  std::map<std::string, int> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) fail(d, it->first, fmt::format("{}: keys must be names", what));
    const std::string& key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(d, it->first,
           fmt::format("unknown key '{}' in {}{}; expected one of: {}", key, what,
                       didYouMean(key, allowed), fmt::join(allowed, ", ")));
    }
    if (auto [pos, fresh] = seen.emplace(key, lineOf(it->first)); !fresh) {
      fail(d, it->first,
           fmt::format("key '{}' appears twice in {} (also at line {})", key, what, pos->second));
    }
  }
}

std::string Loader::asString(const Doc& d, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) fail(d, n, fmt::format("{} must be a string, got {}", what, describeNode(n)));
  if (n.Scalar().empty()) fail(d, n, fmt::format("{} must not be empty", what));
  checkText(d, n, what);
  return n.Scalar();
}

void Loader::checkText(const Doc& d, const YAML::Node& n, const std::string& what) {
  if (auto problem = nameProblem(n.Scalar())) fail(d, n, fmt::format("{} {}", what, *problem));
}

std::string Loader::needString(const Doc& d, const YAML::Node& map, const std::string& key,
                               const std::string& what) {
  auto kv = find(map, key);
  if (!kv) fail(d, map, fmt::format("{} has no '{}'", what, key));
  return asString(d, kv->value, fmt::format("'{}' of {}", key, what));
}

int Loader::asPositiveInt(const Doc& d, const YAML::Node& n, const std::string& what) {
  Value v = n.IsScalar() ? scalarValue(n) : Value();
  constexpr int64_t kMost = 1'000'000;
  // An integer written past int64 reads as a double; it is still an integer, only too large.
  if (v.isDouble() && std::isfinite(v.asDouble()) && v.asDouble() == std::floor(v.asDouble()) &&
      std::abs(v.asDouble()) > static_cast<double>(kMost)) {
    v = Value(v.asDouble() < 0 ? std::numeric_limits<int64_t>::min()
                               : std::numeric_limits<int64_t>::max());
  }
  if (!v.isInt()) fail(d, n, fmt::format("{} must be an integer, got {}", what, describeNode(n)));
  if (v.asInt() < 1) fail(d, n, fmt::format("{} must be at least 1, got {}", what, n.Scalar()));
  if (v.asInt() > kMost) {
    fail(d, n, fmt::format("{} is too large: {} (at most {})", what, n.Scalar(), kMost));
  }
  return static_cast<int>(v.asInt());
}

bool Loader::asBool(const Doc& d, const YAML::Node& n, const std::string& what) {
  Value v = n.IsScalar() ? scalarValue(n) : Value();
  if (!v.isBool())
    fail(d, n, fmt::format("{} must be true or false, got {}", what, describeNode(n)));
  return v.asBool();
}

std::vector<std::string> Loader::asStringList(const Doc& d, const YAML::Node& n,
                                              const std::string& what) {
  if (!n.IsSequence()) {
    fail(d, n, fmt::format("{} must be a list of strings, got {}", what, describeNode(n)));
  }
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      fail(d, item,
           fmt::format("{} must be a list of strings, but holds {}", what,
                       item.IsScalar() ? "an empty string" : describeNode(item)));
    }
    checkText(d, item, what);
    out.push_back(item.Scalar());
  }
  return out;
}

Fields Loader::fieldsAt(const Doc& d, const YAML::Node& n, const std::vector<std::string>& names) {
  try {
    return Fields(names);
  } catch (const std::exception& e) {
    fail(d, n, e.what());
  }
}

Value Loader::plainValue(const Doc& d, const YAML::Node& n) {
  return yamlValue(n, [&](const YAML::Node& key) {
    fail(d, key, "map keys must be strings, not " + describeNode(key));
  });
}

Value Loader::argValue(const Doc& d, const YAML::Node& n) {
  if (n.IsMap() && n.size() == 1) {
    if (auto ref = find(n, "ref")) {
      return componentValue(asString(d, ref->value, "ref"), d, ref->value);
    }
    if (auto refs = find(n, "reflist")) {
      List list;
      for (const auto& id : asStringList(d, refs->value, "reflist")) {
        list.push_back(componentValue(id, d, refs->value));
      }
      return Value(std::move(list));
    }
  }
  if (n.IsSequence()) {
    List list;
    for (const auto& item : n) list.push_back(argValue(d, item));
    return Value(std::move(list));
  }
  if (n.IsMap()) {
    Map map;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) fail(d, it->first, "map keys must be strings");
      map.insert_or_assign(it->first.Scalar(), argValue(d, it->second));
    }
    return Value(std::move(map));
  }
  return plainValue(d, n);
}

// A Flux object definition as data: {id, className, constructorArgs, properties (name ->
// value), configMethods [{name, args}], factory, factoryArgs}, refs resolved. Flux builds a
// Java object from it; the Squall class that receives it reads the Storm classes it implements
// (src/kafka/flux_bean.h), so the loader stays free of class knowledge.
Value Loader::beanValue(const Doc& d, const YAML::Node& node, const std::string& id,
                        const std::string& what) {
  Map m;
  m["id"] = id;
  m["at"] = at(d, node).toString();  // for the receiving class's messages
  m["className"] = needString(d, node, "className", what);
  auto listOf = [&](const char* key) {
    auto kv = find(node, key);
    if (!kv || kv->value.IsNull()) return;
    if (!kv->value.IsSequence())
      fail(d, kv->value, fmt::format("{}: {} must be a list", what, key));
    m[key] = argValue(d, kv->value);
  };
  listOf("constructorArgs");
  if (auto f = find(node, "factory")) {
    m["factory"] = asString(d, f->value, what + ": factory (a static method name)");
    listOf("factoryArgs");
  } else if (auto fa = find(node, "factoryArgs")) {
    fail(d, fa->key, what + ": factoryArgs go with factory (the static method that takes them)");
  }
  if (find(node, "factory") && find(node, "constructorArgs")) {
    fail(d, find(node, "factory")->key,
         what + ": give either constructorArgs or factory with factoryArgs, not both");
  }
  if (auto props = find(node, "properties"); props && !props->value.IsNull()) {
    if (!props->value.IsSequence()) fail(d, props->value, what + ": properties must be a list");
    Map pm;
    for (const auto& p : props->value) {
      if (!p.IsMap()) fail(d, p, what + ": each property is a map {name, value} or {name, ref}");
      checkKeys(d, p, {"name", "value", "ref"}, what + " property");
      std::string name = needString(d, p, "name", what + " property");
      if (auto r = find(p, "ref")) {
        pm[name] = componentValue(asString(d, r->value, "ref"), d, r->value);
      } else if (auto v = find(p, "value")) {
        pm[name] = argValue(d, v->value);
      } else {
        fail(d, p, fmt::format("{}: property '{}' needs a value or a ref", what, name));
      }
    }
    m["properties"] = Value(std::move(pm));
  }
  if (auto methods = find(node, "configMethods"); methods && !methods->value.IsNull()) {
    if (!methods->value.IsSequence())
      fail(d, methods->value, what + ": configMethods must be a list");
    List calls;
    for (const auto& call : methods->value) {
      if (!call.IsMap()) fail(d, call, what + ": each configMethod is a map {name, args}");
      checkKeys(d, call, {"name", "args"}, what + " configMethod");
      Map c;
      c["name"] = needString(d, call, "name", what + " configMethod");
      auto args = find(call, "args");
      c["args"] = args ? argValue(d, args->value) : Value(List{});
      calls.push_back(Value(std::move(c)));
    }
    m["configMethods"] = Value(std::move(calls));
  }
  return Value(std::move(m));
}

// A `components:` entry as data: {className, constructorArgs, properties, configMethods}, or
// its `value:` (Squall: any YAML). Flux builds Java objects here; Squall hands the data to
// the component that refers to it.
Value Loader::componentValue(const std::string& id, const Doc& refDoc, const YAML::Node& ref) {
  if (auto it = componentValues_.find(id); it != componentValues_.end()) return it->second;
  auto idx = components_.index.find(id);
  if (idx == components_.index.end()) {
    std::vector<std::string> ids;
    for (const auto& [cid, e] : components_.items) ids.push_back(cid);
    fail(refDoc, ref, fmt::format("ref to unknown component '{}'{}", id, didYouMean(id, ids)));
  }
  if (!resolving_.insert(id).second) {
    fail(refDoc, ref, fmt::format("components refer to each other in a cycle through '{}'", id));
  }
  const Entry& e = components_.items[idx->second].second;
  const Doc& d = *e.doc;
  std::string what = fmt::format("component '{}'", id);
  checkKeys(d, e.node,
            {"id", "className", "constructorArgs", "properties", "configMethods", "factory",
             "factoryArgs", "value"},
            what);
  Value result;
  if (auto v = find(e.node, "value")) {
    if (find(e.node, "className")) fail(d, v->key, what + ": give either value or className");
    result = argValue(d, v->value);
  } else {
    result = beanValue(d, e.node, id, what);
  }
  resolving_.erase(id);
  componentValues_[id] = result;
  return result;
}

std::map<std::string, StreamInfo> Loader::streamsOf(const Doc& d, const YAML::Node& n) {
  if (!n.IsMap()) {
    fail(d, n, "streams must be a map from stream name to its fields, got " + describeNode(n));
  }
  std::map<std::string, StreamInfo> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string name = asString(d, it->first, "a stream name");
    if (name.rfind("__", 0) == 0) {
      fail(d, it->first,
           fmt::format("stream name '{}' is reserved (names starting with '__' are "
                       "Squall's)",
                       name));
    }
    auto fields = asStringList(d, it->second, fmt::format("the fields of stream '{}'", name));
    out[name] = StreamInfo{fieldsAt(d, it->second, fields), false};
  }
  return out;
}

// ----- merging the file and its includes

void Loader::mergeDefs(const Doc& d, const char* section, DefList& list, bool isMain,
                       bool override) {
  auto kv = find(d.root, section);
  if (!kv || kv->value.IsNull()) return;
  if (!kv->value.IsSequence()) {
    fail(d, kv->value,
         fmt::format("'{}' must be a list of definitions, got {}", section,
                     describeNode(kv->value)));
  }
  std::string what = std::string(section).substr(0, std::string(section).size() - 1);
  for (const auto& node : kv->value) {
    if (!node.IsMap()) {
      fail(d, node,
           fmt::format("each of {} must be a map with an id, got {}", section, describeNode(node)));
    }
    std::string id = needString(d, node, "id", "this " + what);
    auto existing = list.index.find(id);
    if (existing == list.index.end()) {
      list.index[id] = list.items.size();
      list.items.emplace_back(id, Entry{&d, node});
    } else if (isMain || list.items[existing->second].second.doc == &d) {
      const Entry& first = list.items[existing->second].second;
      fail(d, node,
           fmt::format("{} id '{}' is defined twice (also at {})", what, id,
                       at(*first.doc, first.node).toString()));
    } else if (override) {
      Entry& e = list.items[existing->second].second;
      e.doc = &d;
      e.node.reset(node);  // YAML::Node's operator= assigns content, not identity
    } else {
      warn(at(d, node), fmt::format("{} '{}' is already defined; ignored (the include has "
                                    "override: false)",
                                    what, id));
    }
  }
}

void Loader::merge(const Doc& d, bool isMain, bool override) {
  if (auto cfg = find(d.root, "config"); cfg && !cfg->value.IsNull()) {
    if (!cfg->value.IsMap()) {
      fail(d, cfg->value,
           "config must be a map of configuration keys, got " + describeNode(cfg->value));
    }
    for (auto it = cfg->value.begin(); it != cfg->value.end(); ++it) {
      std::string key = asString(d, it->first, "a config key");
      auto pos = std::find_if(config_.begin(), config_.end(),
                              [&](const auto& c) { return c.first == key; });
      if (pos == config_.end()) {
        config_.emplace_back(key, ConfigEntry{&d, it->first, it->second});
      } else if (isMain || pos->second.doc == &d) {
        fail(d, it->first,
             fmt::format("config key '{}' is set twice (also at line {})", key,
                         lineOf(pos->second.key)));
      } else if (override) {
        pos->second.doc = &d;
        pos->second.key.reset(it->first);
        pos->second.value.reset(it->second);
      } else {
        warn(at(d, it->first), fmt::format("config key '{}' is already set; ignored (the "
                                           "include has override: false)",
                                           key));
      }
    }
  }
  mergeDefs(d, "components", components_, isMain, override);
  mergeDefs(d, "spouts", spouts_, isMain, override);
  mergeDefs(d, "bolts", bolts_, isMain, override);
  if (auto s = find(d.root, "streams"); s && !s->value.IsNull()) {
    if (!s->value.IsSequence()) {
      fail(d, s->value,
           "streams must be a list of {from, to, grouping}, got " + describeNode(s->value));
    }
    for (const auto& node : s->value) streams_.push_back(Entry{&d, node});
  }
}

// ----- components

void Loader::buildComponent(const Entry& e, ComponentKind kind) {
  const Doc& d = *e.doc;
  const YAML::Node& node = e.node;
  std::string id = needString(d, node, "id", std::string("this ") + kindName(kind));
  std::string what = fmt::format("{} '{}'", kindName(kind), id);
  checkKeys(d, node,
            {"id",
             "className",
             "constructorArgs",
             "parallelism",
             "numTasks",
             "config",
             "properties",
             "configMethods",
             "onHeapMemoryLoad",
             "offHeapMemoryLoad",
             "cpuLoad",
             "factory",
             "factoryArgs",
             "python",
             "command",
             "args",
             "fields",
             "streams",
             "cwd",
             "env"},
            what);
  if (defIndex_.count(id)) {
    const ComponentDef& other = defs_[defIndex_[id]];
    fail(d, node,
         fmt::format("id '{}' is used by a {} ({}) and a {}", id, kindName(other.kind),
                     other.origin, kindName(kind)));
  }
  ComponentDef def;
  ComponentSource src;
  def.id = id;
  def.kind = kind;
  src.where = at(d, node);
  src.classWhere = src.where;
  def.origin = src.where.toString();
  if (auto p = find(node, "parallelism"))
    def.parallelism = asPositiveInt(d, p->value, "parallelism");
  if (auto t = find(node, "numTasks")) {
    def.conf[Config::TOPOLOGY_TASKS] = asPositiveInt(d, t->value, "numTasks");
    src.configKeys[Config::TOPOLOGY_TASKS] = at(d, t->key);
  }
  if (auto c = find(node, "config"); c && !c->value.IsNull()) {
    if (!c->value.IsMap()) {
      fail(d, c->value,
           fmt::format("config of {} must be a map, got {}", what, describeNode(c->value)));
    }
    for (auto it = c->value.begin(); it != c->value.end(); ++it) {
      std::string key = asString(d, it->first, "a config key");
      def.conf.insert_or_assign(key, plainValue(d, it->second));
      src.configKeys[key] = at(d, it->first);
    }
  }
  for (const char* load : {"onHeapMemoryLoad", "offHeapMemoryLoad", "cpuLoad"}) {
    if (auto l = find(node, load)) {
      warn(at(d, l->key), fmt::format("{}: '{}' is ignored (Squall runs one process in local "
                                      "mode and has no resource-aware scheduler)",
                                      what, load));
    }
  }
  int forms = (find(node, "className") ? 1 : 0) + (find(node, "python") ? 1 : 0) +
              (find(node, "command") ? 1 : 0);
  if (forms != 1) {
    fail(d, node,
         fmt::format("{} needs exactly one of className (a class built into Squall "
                     "or Flux's shell wrappers), python (a Python script) or command "
                     "(a program speaking multilang)",
                     what));
  }
  if (auto cls = find(node, "className")) {
    std::string className = asString(d, cls->value, "className");
    src.classWhere = at(d, cls->value);
    for (const char* key : {"python", "command", "args", "fields", "streams", "cwd", "env"}) {
      if (auto k = find(node, key)) {
        fail(d, k->key,
             fmt::format("{}: '{}' goes with python: or command: components; class "
                         "components declare their own outputs",
                         what, key));
      }
    }
    if (className == kFluxShellBolt || className == kFluxShellSpout) {
      buildFluxShell(d, node, className, def, src);
    } else {
      def.className = className;
      src.displayClass = className;
      if (find(node, "properties") || find(node, "configMethods") || find(node, "factory")) {
        // Storm's builder style: the class receives its whole definition (see beanValue).
        def.args.push_back(beanValue(d, node, id, what));
      } else if (auto args = find(node, "constructorArgs"); args && !args->value.IsNull()) {
        if (!args->value.IsSequence()) {
          fail(d, args->value,
               fmt::format("constructorArgs of {} must be a list, got {}", what,
                           describeNode(args->value)));
        }
        for (const auto& a : args->value) def.args.push_back(argValue(d, a));
      }
    }
  } else {
    for (const char* key : {"constructorArgs", "properties", "configMethods"}) {
      if (auto k = find(node, key)) {
        fail(d, k->key, fmt::format("{}: '{}' goes with className components", what, key));
      }
    }
    buildShortForm(d, node, def, src);
  }
  defIndex_[id] = defs_.size();
  defs_.push_back(std::move(def));
  file_.sources[id] = std::move(src);
}

void Loader::buildFluxShell(const Doc& d, const YAML::Node& node, const std::string& cls,
                            ComponentDef& def, ComponentSource& src) {
  std::string what = fmt::format("{} '{}'", kindName(def.kind), def.id);
  bool isBolt = cls == kFluxShellBolt;
  if (isBolt != (def.kind == ComponentKind::Bolt)) {
    fail(d, find(node, "className")->value,
         fmt::format("{} is a {}; declare it under {}:", simpleClassName(cls),
                     isBolt ? "bolt" : "spout", isBolt ? "bolts" : "spouts"));
  }
  const std::string usage = fmt::format(
      "{} takes constructorArgs [command] or [command, output fields], for example "
      "[[\"python3\", \"split.py\"], [\"word\"]]",
      simpleClassName(cls));
  auto args = find(node, "constructorArgs");
  if (!args || !args->value.IsSequence() || args->value.size() < 1 || args->value.size() > 2) {
    fail(d, args ? args->value : node, what + ": " + usage);
  }
  const YAML::Node& cmdNode = args->value[0];
  std::vector<std::string> written = asStringList(d, cmdNode, "the command (first constructorArg)");
  if (written.empty()) fail(d, cmdNode, what + ": the command is empty; " + usage);
  ShellArgs shell;
  if (args->value.size() == 2) {
    auto fields = asStringList(d, args->value[1], "the output fields (second constructorArg)");
    shell.streams["default"] = StreamInfo{fieldsAt(d, args->value[1], fields), false};
  }
  bool changeCwd = true;
  std::map<std::string, std::string> userEnv;
  if (auto props = find(node, "properties"); props && !props->value.IsNull()) {
    // ShellBolt/ShellSpout's one setter, setEnv, is the only property Flux can set on them.
    if (!props->value.IsSequence()) fail(d, props->value, what + ": properties must be a list");
    for (const auto& p : props->value) {
      if (!p.IsMap()) fail(d, p, what + ": each property is a map {name, value}");
      checkKeys(d, p, {"name", "value"}, what + " property");
      std::string name = needString(d, p, "name", what + " property");
      auto v = find(p, "value");
      if (name != "env" || !v || !v->value.IsMap()) {
        fail(d, p,
             fmt::format("{}: {} has one property, env (a map of variables); use configMethods "
                         "for the rest (setDefaultStream, setNamedStream, addComponentConfig, "
                         "changeChildCWD)",
                         what, simpleClassName(cls)));
      }
      for (auto it = v->value.begin(); it != v->value.end(); ++it) {
        userEnv[asString(d, it->first, "a variable name")] =
            it->second.IsScalar() ? it->second.Scalar() : "";
      }
    }
  }
  if (auto methods = find(node, "configMethods"); methods && !methods->value.IsNull()) {
    if (!methods->value.IsSequence())
      fail(d, methods->value, what + ": configMethods must be a list");
    static const std::vector<std::string> known = {
        "setDefaultStream", "setNamedStream", "addComponentConfig", "setEnv", "changeChildCWD"};
    for (const auto& call : methods->value) {
      if (!call.IsMap()) fail(d, call, what + ": each configMethod is a map {name, args}");
      checkKeys(d, call, {"name", "args"}, what + " configMethod");
      std::string name = needString(d, call, "name", what + " configMethod");
      auto a = find(call, "args");
      YAML::Node argv = a ? a->value : YAML::Node(YAML::NodeType::Sequence);
      auto need = [&](size_t n, const char* form) {
        if (!argv.IsSequence() || argv.size() != n) {
          fail(d, a ? a->value : YAML::Node(call),
               fmt::format("{}: {} takes args {}", what, name, form));
        }
      };
      if (name == "setDefaultStream") {
        need(1, "[[fields]]");
        shell.streams["default"] = StreamInfo{
            fieldsAt(d, argv[0], asStringList(d, argv[0], "the fields of setDefaultStream")),
            false};
      } else if (name == "setNamedStream") {
        need(2, "[stream name, [fields]]");
        std::string stream = asString(d, argv[0], "the stream name of setNamedStream");
        if (stream.rfind("__", 0) == 0) {
          fail(d, argv[0],
               fmt::format("stream name '{}' is reserved (names starting with '__' "
                           "are Squall's)",
                           stream));
        }
        shell.streams[stream] = StreamInfo{
            fieldsAt(d, argv[1], asStringList(d, argv[1], "the fields of setNamedStream")), false};
      } else if (name == "addComponentConfig") {
        need(2, "[key, value]");
        std::string key = asString(d, argv[0], "the key of addComponentConfig");
        def.conf.insert_or_assign(key, argValue(d, argv[1]));
        src.configKeys[key] = at(d, call);
      } else if (name == "setEnv") {
        need(1, "[{NAME: value, ...}]");
        if (!argv[0].IsMap()) fail(d, argv[0], what + ": setEnv takes a map of variables");
        for (auto it = argv[0].begin(); it != argv[0].end(); ++it) {
          userEnv[asString(d, it->first, "a variable name")] =
              it->second.IsScalar() ? it->second.Scalar() : "";
        }
      } else if (name == "changeChildCWD") {
        need(1, "[true|false]");
        changeCwd = asBool(d, argv[0], "the argument of changeChildCWD");
      } else {
        fail(d, call,
             fmt::format("{}: {} has no config method '{}'{}; Squall supports {}", what,
                         simpleClassName(cls), name, didYouMean(name, known),
                         fmt::join(known, ", ")));
      }
    }
  }
  // changeChildCWD(false): the child stays in the engine's working directory.
  std::string keepCwd = changeCwd ? std::string() : fs::current_path().string();
  ResolvedCommand resolved = resolveCommand(written, d.dir, options_.python, keepCwd);
  if (!resolved.missingScript.empty() && &d != docs_.front().get()) {
    // Flux runs every script from the topology's resources, whichever file names it.
    ResolvedCommand fromMain =
        resolveCommand(written, docs_.front()->dir, options_.python, keepCwd);
    if (fromMain.missingScript.empty()) resolved = fromMain;
  }
  if (!resolved.missingScript.empty()) {
    fail(d, cmdNode,
         fmt::format("{}: {}", what, missingScriptMessage(resolved, d.dir, displayDir(d.display))));
  }
  shell.command = resolved.command;
  if (changeCwd) shell.cwd = resolved.cwd;
  shell.env = userEnv;
  std::string userPath = userEnv.count("PYTHONPATH") ? userEnv["PYTHONPATH"] : "";
  shell.env["PYTHONPATH"] = childPythonPath(
      userPath.empty() ? std::vector<std::string>{} : std::vector{userPath}, options_.python);
  def.className = def.kind == ComponentKind::Bolt ? kShellBolt : kShellSpout;
  def.args = shell.args();
  src.displayClass = fmt::format("{}: {}", simpleClassName(cls), fmt::join(written, " "));
  src.language = fs::path(written[0]).filename().string().rfind("python", 0) == 0
                     ? ComponentLanguage::Python
                     : ComponentLanguage::Shell;
}

void Loader::buildShortForm(const Doc& d, const YAML::Node& node, ComponentDef& def,
                            ComponentSource& src) {
  std::string what = fmt::format("{} '{}'", kindName(def.kind), def.id);
  ShellArgs shell;
  std::vector<std::string> extra;
  if (auto a = find(node, "args"); a && !a->value.IsNull()) {
    extra = asStringList(d, a->value, "args");
  }
  std::string cwdOverride;
  if (auto c = find(node, "cwd")) {
    std::string cwd = asString(d, c->value, "cwd");
    fs::path p = fs::path(cwd).is_absolute() ? fs::path(cwd) : fs::path(d.dir) / cwd;
    if (!isDirectory(p.string()))
      fail(d, c->value, fmt::format("{}: cwd '{}' is not a folder", what, cwd));
    cwdOverride = p.lexically_normal().string();
  }
  std::string scriptDir;
  if (auto py = find(node, "python")) {
    src.classWhere = at(d, py->value);
    std::string script = asString(d, py->value, "python (the script to run)");
    auto found = findScript(d.dir, script);
    if (!found) {
      fail(d, py->value,
           fmt::format("{}: script '{}' not found (looked in {} and {}resources/)", what, script,
                       displayDir(d.display), displayDir(d.display)));
    }
    shell.command = {options_.python.interpreter, *found};
    shell.command.insert(shell.command.end(), extra.begin(), extra.end());
    scriptDir = parentDir(*found);
    src.displayClass = "python: " + script;
    src.language = ComponentLanguage::Python;
  } else {
    auto cmd = find(node, "command");
    src.classWhere = at(d, cmd->value);
    std::vector<std::string> written = cmd->value.IsScalar()
                                           ? std::vector{asString(d, cmd->value, "command")}
                                           : asStringList(d, cmd->value, "command");
    if (written.empty()) fail(d, cmd->value, what + ": the command is empty");
    written.insert(written.end(), extra.begin(), extra.end());
    ResolvedCommand resolved = resolveCommand(written, d.dir, options_.python, cwdOverride);
    if (!resolved.missingScript.empty()) {
      fail(d, cmd->value,
           fmt::format("{}: {}", what,
                       missingScriptMessage(resolved, d.dir, displayDir(d.display))));
    }
    shell.command = resolved.command;
    scriptDir = resolved.cwd;
    src.displayClass = "command: " + fmt::format("{}", fmt::join(written, " "));
    src.language = ComponentLanguage::Shell;
  }
  if (auto f = find(node, "fields"); f && !f->value.IsNull()) {
    auto fields = asStringList(d, f->value, "fields");
    shell.streams["default"] = StreamInfo{fieldsAt(d, f->value, fields), false};
  }
  if (auto s = find(node, "streams"); s && !s->value.IsNull()) {
    for (auto& [name, info] : streamsOf(d, s->value)) {
      if (shell.streams.count(name)) {
        fail(d, s->value,
             fmt::format("{}: stream '{}' is declared by both fields and streams", what, name));
      }
      shell.streams[name] = info;
    }
  }
  shell.cwd = cwdOverride.empty() ? scriptDir : cwdOverride;
  std::string userPath;
  if (auto env = find(node, "env"); env && !env->value.IsNull()) {
    if (!env->value.IsMap()) fail(d, env->value, what + ": env must be a map of variables");
    for (auto it = env->value.begin(); it != env->value.end(); ++it) {
      std::string name = asString(d, it->first, "a variable name");
      if (!it->second.IsScalar())
        fail(d, it->second, fmt::format("{}: env {} must be a string", what, name));
      shell.env[name] = it->second.Scalar();
    }
    if (shell.env.count("PYTHONPATH")) userPath = shell.env["PYTHONPATH"];
  }
  shell.env["PYTHONPATH"] = childPythonPath(
      userPath.empty() ? std::vector<std::string>{} : std::vector{userPath}, options_.python);
  def.className = def.kind == ComponentKind::Bolt ? kShellBolt : kShellSpout;
  def.args = shell.args();
}

// ----- streams

GroupingDef Loader::grouping(const Doc& d, const YAML::Node& n, std::string& stream) {
  GroupingDef g;
  YAML::Node typeNode = n;
  std::optional<KeyValue> args, custom;
  if (n.IsMap()) {
    checkKeys(d, n, {"type", "streamId", "args", "customClass"}, "grouping");
    auto t = find(n, "type");
    if (!t)
      fail(d, n, fmt::format("grouping has no type (one of {})", fmt::join(kGroupingTypes, ", ")));
    typeNode.reset(t->value);  // Node's operator= would overwrite the map itself
    if (auto s = find(n, "streamId"); s && !s->value.IsNull()) {
      stream = asString(d, s->value, "streamId");
    }
    args = find(n, "args");
    custom = find(n, "customClass");
  } else if (!n.IsScalar()) {
    fail(d, n,
         "grouping must be a map {type, streamId, args, customClass} or a type name, got " +
             describeNode(n));
  }
  if (!typeNode.IsScalar() || typeNode.Scalar().empty()) {
    fail(d, typeNode,
         fmt::format("grouping type must be one of {}, got {}", fmt::join(kGroupingTypes, ", "),
                     describeNode(typeNode)));
  }
  std::string type = upper(typeNode.Scalar());
  if (std::find(kGroupingTypes.begin(), kGroupingTypes.end(), type) == kGroupingTypes.end()) {
    fail(d, typeNode,
         fmt::format("unknown grouping type '{}'{}; the types are {}", typeNode.Scalar(),
                     didYouMean(type, kGroupingTypes), fmt::join(kGroupingTypes, ", ")));
  }
  auto fieldArgs = [&]() {
    if (!args || args->value.IsNull()) {
      fail(d, typeNode,
           fmt::format("{} grouping needs args: the list of fields to group by", type));
    }
    auto fields = asStringList(d, args->value, fmt::format("args of the {} grouping", type));
    if (fields.empty())
      fail(d, args->value, fmt::format("{} grouping needs at least one field", type));
    return fields;
  };
  if (type == "FIELDS" || type == "PARTIAL_KEY") {
    g.type = type == "FIELDS" ? GroupingType::Fields : GroupingType::PartialKey;
    g.fields = fieldArgs();
  } else if (type == "CUSTOM") {
    if (!custom)
      fail(d, typeNode, "CUSTOM grouping needs customClass: {className, constructorArgs}");
    const YAML::Node& c = custom->value;
    if (!c.IsMap()) fail(d, c, "customClass must be a map {className, constructorArgs}");
    checkKeys(d, c, {"className", "constructorArgs", "id"}, "customClass");
    std::string cls = needString(d, c, "className", "customClass");
    Values cargs;
    if (auto a = find(c, "constructorArgs"); a && !a->value.IsNull()) {
      if (!a->value.IsSequence()) fail(d, a->value, "constructorArgs must be a list");
      for (const auto& item : a->value) cargs.push_back(argValue(d, item));
    }
    if (cls == "org.apache.storm.grouping.PartialKeyGrouping") {
      // Storm's partial key grouping takes a Fields; accept a list or a Fields component.
      g.type = GroupingType::PartialKey;
      if (cargs.size() == 1) {
        const Value* list = &cargs[0];
        if (const Value* inner = cargs[0].find("constructorArgs")) {
          list = inner->isList() && inner->asList().size() == 1 && inner->asList()[0].isList()
                     ? &inner->asList()[0]
                     : inner;
        }
        if (list->isList()) {
          for (const auto& f : list->asList()) {
            if (f.isString()) g.fields.push_back(f.asString());
          }
        }
      }
      if (g.fields.empty()) {
        fail(d, c, "PartialKeyGrouping takes constructorArgs [[field names]]");
      }
    } else {
      g.type = GroupingType::Custom;
      g.customClass = cls;
      g.customArgs = cargs;
    }
  } else {
    if (args && !args->value.IsNull()) {
      warn(at(d, args->key), fmt::format("args are ignored by the {} grouping (only FIELDS and "
                                         "PARTIAL_KEY take fields)",
                                         type));
    }
    if (type == "SHUFFLE") g.type = GroupingType::Shuffle;
    if (type == "LOCAL_OR_SHUFFLE") g.type = GroupingType::LocalOrShuffle;
    if (type == "ALL") g.type = GroupingType::All;
    if (type == "GLOBAL") g.type = GroupingType::Global;
    if (type == "NONE") g.type = GroupingType::None;
    if (type == "DIRECT") g.type = GroupingType::Direct;
  }
  return g;
}

std::vector<std::string> Loader::componentIds() const {
  std::vector<std::string> ids;
  for (const auto& def : defs_) ids.push_back(def.id);
  return ids;
}

void Loader::buildStream(const Entry& e) {
  const Doc& d = *e.doc;
  const YAML::Node& node = e.node;
  if (!node.IsMap())
    fail(d, node, "each stream must be a map {from, to, grouping}, got " + describeNode(node));
  checkKeys(d, node, {"name", "from", "to", "grouping", "id"}, "stream");
  std::string label = "stream";
  if (auto n = find(node, "name"); n && n->value.IsScalar())
    label = "stream '" + n->value.Scalar() + "'";
  std::string from = needString(d, node, "from", label);
  std::string to = needString(d, node, "to", label);
  auto fromNode = find(node, "from")->value;
  auto toNode = find(node, "to")->value;
  if (!defIndex_.count(from)) {
    fail(d, fromNode,
         fmt::format("{} comes from unknown component '{}'{}", label, from,
                     didYouMean(from, componentIds())));
  }
  auto toIt = defIndex_.find(to);
  if (toIt == defIndex_.end()) {
    fail(d, toNode,
         fmt::format("{} goes to unknown component '{}'{}", label, to,
                     didYouMean(to, componentIds())));
  }
  ComponentDef& target = defs_[toIt->second];
  if (target.kind == ComponentKind::Spout) {
    fail(d, toNode,
         fmt::format("{} goes to '{}', which is a spout; streams go to bolts", label, to));
  }
  auto g = find(node, "grouping");
  if (!g || g->value.IsNull()) {
    fail(d, node,
         fmt::format("{} has no grouping (for example grouping: {{type: SHUFFLE}})", label));
  }
  InputDef in;
  in.component = from;
  in.grouping = grouping(d, g->value, in.stream);
  ComponentSource& src = file_.sources[to];
  for (size_t i = 0; i < target.inputs.size(); ++i) {
    if (target.inputs[i].component == from && target.inputs[i].stream == in.stream) {
      fail(d, node,
           fmt::format("bolt '{}' already subscribes to stream '{}' of '{}' (at {})", to, in.stream,
                       from, src.inputs[i].toString()));
    }
  }
  target.inputs.push_back(std::move(in));
  src.inputs.push_back(at(d, node));
}

TopologyFile Loader::load() {
  file_.path = path_;
  file_.dir = parentDir(path_);
  if (!options_.filterFile.empty()) loadProperties();
  const Doc& main = parse(absolutePath(path_), path_);
  static const std::vector<std::string> topLevel = {"name",     "config",      "components",
                                                    "includes", "spouts",      "bolts",
                                                    "streams",  "workerHooks", "topologySource"};
  checkKeys(main, main.root, topLevel, "the topology");
  if (auto ts = find(main.root, "topologySource")) {
    fail(main, ts->key,
         "topologySource names a JVM class that builds the topology in code; "
         "Squall cannot run it. Describe the topology with spouts, bolts and "
         "streams instead");
  }
  collect([&] {
    if (auto hooks = find(main.root, "workerHooks");
        hooks && !hooks->value.IsNull() && hooks->value.size() > 0) {
      fail(main, hooks->key,
           "workerHooks are Java classes (IWorkerHook), and Squall runs no JVM; remove them "
           "(a C++ topology can use a task hook instead)");
    }
  });
  merge(main, true, false);

  if (auto inc = find(main.root, "includes"); inc && !inc->value.IsNull()) {
    if (!inc->value.IsSequence())
      fail(main, inc->value, "includes must be a list of {file, resource, override}");
    if (inc->value.size() > static_cast<size_t>(options_.yamlLimits.maxIncludes)) {
      fail(main, inc->value,
           fmt::format("{} includes; a topology file may include at most {} files",
                       inc->value.size(), options_.yamlLimits.maxIncludes));
    }
    for (const auto& item : inc->value)
      collect([&] {
        if (!item.IsMap()) fail(main, item, "each include is a map {file, resource, override}");
        checkKeys(main, item, {"file", "resource", "override"}, "include");
        std::string file = needString(main, item, "file", "include");
        bool resource = false, override = false;
        if (auto r = find(item, "resource")) resource = asBool(main, r->value, "resource");
        if (auto o = find(item, "override")) override = asBool(main, o->value, "override");
        fs::path p(file);
        std::optional<fs::path> found;
        std::vector<std::string> roots;
        if (resource) {
          // A classpath resource: "/configs/a.yaml" names a file under the resources folder.
          roots = resourceRoots(main.dir);
          if (auto r = findResource(file, roots)) found = *r;
        } else {
          fs::path c = p.is_absolute() ? p : fs::path(main.dir) / p;
          if (pathExists(c.string()) && !isDirectory(c.string())) found = c;
        }
        if (!found) {
          std::string where;
          for (const auto& r : roots) where += (where.empty() ? "" : ", ") + r;
          fail(main, find(item, "file")->value,
               resource
                   ? fmt::format("included resource '{}' not found (looked in {})", file, where)
                   : fmt::format("included file '{}' not found{}", file,
                                 p.is_absolute() ? ""
                                                 : " (add resource: true to look it up in the "
                                                   "resources folder)"));
        }
        std::string display =
            (!resource && p.is_absolute()) ? file
            : found->lexically_normal().string().rfind(main.dir, 0) == 0
                ? (fs::path(main.display).parent_path() / fs::relative(*found, main.dir))
                      .lexically_normal()
                      .string()
                : found->lexically_normal().string();
        const Doc& included = parse(found->lexically_normal().string(), display);
        if (auto nested = find(included.root, "includes"); nested && !nested->value.IsNull()) {
          warn(at(included, nested->key),
               "includes of an included file are ignored (Flux does "
               "not follow includes recursively)");
        }
        for (const char* key : {"topologySource", "workerHooks"}) {
          if (auto k = find(included.root, key)) {
            fail(included, k->key, fmt::format("{} is not supported by Squall", key));
          }
        }
        checkKeys(included, included.root, topLevel, "the included file");
        merge(included, false, override);
      });
  }

  // Name: --name, else the file's name:, else the file name.
  if (auto n = find(main.root, "name"); n && !n->value.IsNull()) {
    file_.name = asString(main, n->value, "name");
    file_.nameWhere = at(main, n->value);
  } else {
    file_.name = fs::path(path_).stem().string();
    file_.nameWhere = SourceLocation{path_, 0, {}};
  }
  if (!options_.nameOverride.empty()) {
    file_.name = options_.nameOverride;
    file_.nameWhere = SourceLocation{"--name", 0, {}};
  }

  Map conf;
  for (const auto& [key, entry] : config_) {
    conf.insert_or_assign(key, plainValue(*entry.doc, entry.value));
    file_.configKeys[key] = at(*entry.doc, entry.key);
  }
  for (const auto& [key, value] : options_.configOverrides) {
    conf.insert_or_assign(key, value);
    file_.configKeys[key] = SourceLocation{"-c " + key, 0, {}};
  }
  file_.conf = Config(conf);

  for (const auto& [id, entry] : spouts_.items) {
    const auto& e = entry;  // a lambda may not capture a structured binding (before C++20's fix)
    if (!collect([&] { buildComponent(e, ComponentKind::Spout); })) failed_.insert(id);
  }
  for (const auto& [id, entry] : bolts_.items) {
    const auto& e = entry;  // a lambda may not capture a structured binding (before C++20's fix)
    if (!collect([&] { buildComponent(e, ComponentKind::Bolt); })) failed_.insert(id);
  }
  if (spouts_.items.empty()) {
    auto bolts = find(main.root, "bolts");
    collect([&] {
      fail(main, bolts ? bolts->key : main.root,
           "the topology has no spouts (a spouts: list is needed)");
    });
  }
  for (const auto& e : streams_) {
    // A stream of a component that could not be built was reported with the component.
    auto from = find(e.node, "from"), to = find(e.node, "to");
    if ((from && from->value.IsScalar() && failed_.count(from->value.Scalar())) ||
        (to && to->value.IsScalar() && failed_.count(to->value.Scalar()))) {
      continue;
    }
    collect([&] { buildStream(e); });
  }

  // Flux adds a bolt only when it is the target of a stream.
  std::set<std::string> sources;
  for (const auto& def : defs_) {
    for (const auto& in : def.inputs) sources.insert(in.component);
  }
  for (auto& def : defs_) {
    if (def.kind == ComponentKind::Bolt && def.inputs.empty() && !sources.count(def.id) &&
        errors_.empty()) {
      warn(file_.sources[def.id].where,
           fmt::format("bolt '{}' is not the target of any stream, so it is left out of the "
                       "topology (as Flux does)",
                       def.id));
      file_.sources.erase(def.id);
      continue;
    }
    file_.topology.def.components.push_back(std::move(def));
  }
  if (!errors_.empty()) {
    // The parts that loaded are checked too, so one run reports every problem.
    try {
      checkTopology(file_);
    } catch (const FluxError& e) {
      errors_.push_back(e);
    }
    throw FluxError::all(errors_);
  }
  return std::move(file_);
}

}  // namespace

TopologyFile loadYamlTopology(const std::string& path, const LoadOptions& options) {
  return Loader(path, options).load();
}

}  // namespace squall::flux
