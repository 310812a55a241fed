#pragma once
// FluxBean: one Flux object definition as the YAML loader hands it over (a Map with
// className, constructorArgs, properties, configMethods, factory, factoryArgs, id), read with
// errors that name the component and say which form Squall supports. Flux builds Java objects
// from these; the Kafka classes interpret the few Storm classes they implement.

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "squall/errors.h"
#include "squall/value.h"

namespace squall::kafka {

class FluxBean {
 public:
  // True for a Map naming a class (a Flux component, not Squall's settings map).
  static bool is(const Value& v) { return v.isMap() && v.find("className") != nullptr; }

  FluxBean(const Value& v, std::string role) : role_(std::move(role)) {
    if (!is(v)) {
      throw IllegalArgumentException(
          fmt::format("{} must be a component (className, constructorArgs, ...) or a ref to "
                      "one, got {}",
                      role_, v.toString()));
    }
    m_ = &v.asMap();
  }

  const std::string& className() const { return m_->at("className").asString(); }
  // "org.apache.storm.kafka.spout.KafkaSpoutConfig$Builder" -> "KafkaSpoutConfig$Builder".
  std::string simpleName() const {
    const std::string& c = className();
    auto dot = c.find_last_of('.');
    return dot == std::string::npos ? c : c.substr(dot + 1);
  }
  // "component 'spoutConfigBuilder' (KafkaSpoutConfig$Builder, at topo.yaml:12)".
  std::string what() const {
    const Value* id = m_->count("id") ? &m_->at("id") : nullptr;
    const Value* at = m_->count("at") ? &m_->at("at") : nullptr;
    std::string where = at && at->isString() ? ", at " + at->asString() : "";
    if (id && id->isString()) {
      return fmt::format("component '{}' ({}{})", id->asString(), simpleName(), where);
    }
    return fmt::format("{} ({}{})", role_, simpleName(), where);
  }
  const List& constructorArgs() const { return list("constructorArgs"); }
  const List& factoryArgs() const { return list("factoryArgs"); }
  std::string factory() const {
    auto it = m_->find("factory");
    return it != m_->end() && it->second.isString() ? it->second.asString() : std::string();
  }
  // Properties in the order written, as (name, value) pairs.
  std::vector<std::pair<std::string, Value>> properties() const {
    std::vector<std::pair<std::string, Value>> out;
    auto it = m_->find("properties");
    if (it == m_->end()) return out;
    for (const auto& [k, v] : it->second.asMap()) out.emplace_back(k, v);
    return out;
  }
  // configMethods as (name, args) pairs, in order.
  std::vector<std::pair<std::string, List>> configMethods() const {
    std::vector<std::pair<std::string, List>> out;
    auto it = m_->find("configMethods");
    if (it == m_->end()) return out;
    for (const auto& call : it->second.asList()) {
      const Value* name = call.find("name");
      const Value* args = call.find("args");
      List a;
      if (args && args->isList()) {
        a = args->asList();
      } else if (args && !args->isNull()) {
        a.push_back(*args);  // Flux also takes a single non-list argument
      }
      out.emplace_back(name && name->isString() ? name->asString() : "", std::move(a));
    }
    return out;
  }
  bool hasSetters() const { return m_->count("properties") || m_->count("configMethods"); }

  IllegalArgumentException error(const std::string& message) const {
    return IllegalArgumentException(fmt::format("{}: {}", what(), message));
  }

 private:
  const List& list(const char* key) const {
    static const List empty;
    auto it = m_->find(key);
    return it != m_->end() && it->second.isList() ? it->second.asList() : empty;
  }

  std::string role_;
  const Map* m_ = nullptr;
};

// Java's setter name for a Flux property: "groupId" -> "setGroupId".
inline std::string setterFor(const std::string& property) {
  if (property.empty()) return property;
  std::string s = "set" + property;
  s[3] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[3])));
  return s;
}

// An enum constant as Flux writes it ("EARLIEST"), also with its class before a dot.
inline std::string enumName(const Value& v) {
  if (!v.isString()) return v.toString();
  const std::string& s = v.asString();
  auto dot = s.find_last_of(".$");
  return dot == std::string::npos ? s : s.substr(dot + 1);
}

// What to say about a Java class Squall does not implement.
inline std::string javaOnly(const std::string& className, const std::string& instead) {
  return fmt::format("'{}' is Java code, and Squall runs no JVM, so it cannot be loaded; {}",
                     className, instead);
}

// The text librdkafka takes for a scalar property value.
inline std::string scalarText(const FluxBean& owner, const Value& v) {
  switch (v.type()) {
    case ValueType::String:
      return v.asString();
    case ValueType::Bool:
      return v.asBool() ? "true" : "false";
    case ValueType::Int:
      return std::to_string(v.asInt());
    case ValueType::Double:
      return fmt::format("{}", v.asDouble());
    default:
      throw owner.error(fmt::format("a property value must be a string, number or boolean, got {}",
                                    v.toString()));
  }
}

// Kafka client properties: a map, or a java.util.Properties / HashMap component filled with
// put(key, value) or setProperty(key, value) configMethods.
inline std::map<std::string, std::string> propertiesOf(const FluxBean& owner, const Value& v) {
  std::map<std::string, std::string> out;
  if (FluxBean::is(v)) {
    FluxBean p(v, "the properties");
    for (const auto& [method, args] : p.configMethods()) {
      if ((method != "put" && method != "setProperty") || args.size() != 2 || !args[0].isString()) {
        throw p.error(
            fmt::format("only put(key, value) and setProperty(key, value) build a "
                        "properties map here, got '{}'",
                        method));
      }
      out[args[0].asString()] = scalarText(p, args[1]);
    }
    for (const auto& [name, value] : p.properties()) out[name] = scalarText(p, value);
    return out;
  }
  if (!v.isMap()) {
    throw owner.error(fmt::format("expected a map of properties, got {}", v.toString()));
  }
  for (const auto& [k, val] : v.asMap()) out[k] = scalarText(owner, val);
  return out;
}

}  // namespace squall::kafka
