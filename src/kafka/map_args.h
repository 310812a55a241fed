#pragma once
// MapArgs: typed reads of a component's map argument (from YAML or the registry), with errors
// naming the component and the key, and a check that no unknown key (a typo) was given.

#include <fmt/format.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "squall/errors.h"
#include "squall/value.h"

namespace squall::kafka {

class MapArgs {
 public:
  MapArgs(std::string what, const Map& m) : what_(std::move(what)), m_(m) {}

  // Builds the single-map argument list of a registry factory.
  static const Map& single(const char* what, const Values& args) {
    if (args.size() != 1 || !args[0].isMap()) {
      throw IllegalArgumentException(fmt::format(
          "{} takes one constructor argument, a map of settings; got {}", what, toString(args)));
    }
    return args[0].asMap();
  }

  const Value* find(const std::string& key) {
    used_.insert(key);
    auto it = m_.find(key);
    return (it == m_.end() || it->second.isNull()) ? nullptr : &it->second;
  }
  std::string requiredString(const std::string& key) {
    auto v = optionalString(key);
    if (!v || v->empty()) {
      throw IllegalArgumentException(fmt::format("{}: '{}' is required", what_, key));
    }
    return *v;
  }
  std::optional<std::string> optionalString(const std::string& key) {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    if (!v->isString()) throw bad(key, "a string", *v);
    return v->asString();
  }
  std::optional<int64_t> optionalInt(const std::string& key) {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    if (v->isInt()) return v->asInt();
    if (v->isString()) {
      try {
        size_t used = 0;
        int64_t n = std::stoll(v->asString(), &used);
        if (used == v->asString().size()) return n;
      } catch (const std::exception&) {
      }
    }
    throw bad(key, "an integer", *v);
  }
  std::optional<bool> optionalBool(const std::string& key) {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    if (v->isBool()) return v->asBool();
    if (v->isString() && (v->asString() == "true" || v->asString() == "false")) {
      return v->asString() == "true";
    }
    throw bad(key, "true or false", *v);
  }
  // A list of strings, or one comma-separated string.
  std::vector<std::string> stringList(const std::string& key) {
    const Value* v = find(key);
    std::vector<std::string> out;
    if (!v) return out;
    if (v->isString()) {
      std::string s = v->asString();
      size_t start = 0;
      while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        std::string part = s.substr(start, comma - start);
        if (!part.empty()) out.push_back(part);
        start = comma + 1;
      }
      return out;
    }
    if (!v->isList()) throw bad(key, "a list of strings", *v);
    for (const auto& e : v->asList()) {
      if (!e.isString()) throw bad(key, "a list of strings", *v);
      out.push_back(e.asString());
    }
    return out;
  }
  const Map& map(const std::string& key, const Value& v) {
    if (!v.isMap()) throw bad(key, "a map", v);
    return v.asMap();
  }
  // Text of a scalar for a librdkafka property.
  static std::string scalarText(const std::string& key, const Value& v) {
    switch (v.type()) {
      case ValueType::String: return v.asString();
      case ValueType::Bool: return v.asBool() ? "true" : "false";
      case ValueType::Int: return std::to_string(v.asInt());
      case ValueType::Double: return fmt::format("{}", v.asDouble());
      default:
        throw IllegalArgumentException(
            fmt::format("'{}' must be a string, number or boolean, got {}", key, v.toString()));
    }
  }
  // IllegalArgumentException naming every key that was never read.
  void rejectUnknown() const {
    std::string unknown;
    for (const auto& [k, v] : m_) {
      if (!used_.count(k)) unknown += (unknown.empty() ? "'" : ", '") + k + "'";
    }
    if (!unknown.empty()) {
      std::string known;
      for (const auto& k : used_) known += (known.empty() ? "" : ", ") + k;
      throw IllegalArgumentException(
          fmt::format("{}: unknown setting {} (known: {})", what_, unknown, known));
    }
  }

 private:
  IllegalArgumentException bad(const std::string& key, const char* wanted, const Value& v) const {
    return IllegalArgumentException(
        fmt::format("{}: '{}' must be {}, got {}", what_, key, wanted, v.toString()));
  }

  std::string what_;
  const Map& m_;
  std::set<std::string> used_;
};

}  // namespace squall::kafka
