#include "squall/config.h"
#include "squall/config_value_check.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>

#include "squall/errors.h"

namespace squall {

const std::vector<ConfigKey>& configKeys() {
  static const std::vector<ConfigKey> keys = {
#define SQUALL_CONFIG_KEY(id, name, type, def, min, max, comp, desc) \
  ConfigKey{name,                                                    \
            ConfigType::type,                                        \
            Value(def),                                              \
            static_cast<double>(min),                                \
            static_cast<double>(max),                                \
            comp,                                                    \
            desc},
#include "squall/config_keys.def"
#undef SQUALL_CONFIG_KEY
  };
  return keys;
}

const ConfigKey* findConfigKey(std::string_view name) {
  for (const auto& k : configKeys()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

namespace {

const char* describe(ConfigType t) {
  switch (t) {
    case ConfigType::Int:
      return "an integer";
    case ConfigType::NullableInt:
      return "an integer or null";
    case ConfigType::Double:
      return "a number";
    case ConfigType::Bool:
      return "a boolean";
    case ConfigType::String:
      return "a string";
    case ConfigType::NullableString:
      return "a string or null";
    case ConfigType::List:
      return "a list";
    case ConfigType::Map:
      return "a map";
  }
  return "?";
}

// YAML and JSON users write whole numbers as doubles or strings now and then; accept them when
// the meaning is unambiguous.
bool typeFits(ConfigType t, const Value& v) {
  switch (t) {
    case ConfigType::NullableInt:
      if (v.isNull()) return true;
      [[fallthrough]];
    case ConfigType::Int:
      return v.isInt() || (v.isDouble() && std::floor(v.asDouble()) == v.asDouble());
    case ConfigType::Double:
      return v.isNumber();
    case ConfigType::Bool:
      return v.isBool();
    case ConfigType::NullableString:
      if (v.isNull()) return true;
      [[fallthrough]];
    case ConfigType::String:
      return v.isString();
    case ConfigType::List:
      return v.isList();
    case ConfigType::Map:
      return v.isMap();
  }
  return false;
}

std::string shown(const Value& v) {
  std::string s = v.toString();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

std::map<std::string, std::function<void(const Value&)>, std::less<>>& valueChecks() {
  static std::map<std::string, std::function<void(const Value&)>, std::less<>> checks;
  return checks;
}

}  // namespace

void registerConfigValueCheck(std::string key, std::function<void(const Value&)> check) {
  valueChecks()[std::move(key)] = std::move(check);
}

void validateConfigValue(std::string_view key, const Value& v) {
  const ConfigKey* k = findConfigKey(key);
  if (!k) return;  // unknown keys belong to users and pass untouched
  if (!typeFits(k->type, v)) {
    throw ConfigError(fmt::format("config key '{}': expected {}, got {} ({})", key,
                                  describe(k->type), shown(v), valueTypeName(v.type())));
  }
  if (v.isNumber() && k->min < k->max) {
    double d = v.asDouble();
    if (d < k->min || d > k->max) {
      throw ConfigError(fmt::format("config key '{}': {} is out of range [{}, {}]", key, shown(v),
                                    k->min, k->max));
    }
  }
  if (auto c = valueChecks().find(key); c != valueChecks().end() && !v.isNull()) c->second(v);
}

Config& Config::set(std::string_view key, Value v) {
  validateConfigValue(key, v);
  values_.insert_or_assign(std::string(key), std::move(v));
  return *this;
}

const Value* Config::find(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

Value Config::get(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  if (const ConfigKey* k = findConfigKey(key)) return k->defaultValue;
  return Value();
}

int64_t Config::getInt(std::string_view key) const {
  Value v = get(key);
  if (v.isDouble()) return static_cast<int64_t>(v.asDouble());
  if (!v.isInt()) throw ConfigError(fmt::format("config key '{}': expected an integer", key));
  return v.asInt();
}

std::optional<int64_t> Config::getOptionalInt(std::string_view key) const {
  Value v = get(key);
  if (v.isNull()) return std::nullopt;
  return getInt(key);
}

double Config::getDouble(std::string_view key) const {
  Value v = get(key);
  if (!v.isNumber()) throw ConfigError(fmt::format("config key '{}': expected a number", key));
  return v.asDouble();
}

bool Config::getBool(std::string_view key) const {
  Value v = get(key);
  if (!v.isBool()) throw ConfigError(fmt::format("config key '{}': expected a boolean", key));
  return v.asBool();
}

std::string Config::getString(std::string_view key) const {
  Value v = get(key);
  if (v.isNull()) return "";
  if (!v.isString()) throw ConfigError(fmt::format("config key '{}': expected a string", key));
  return v.asString();
}

void Config::validate() const {
  for (const auto& [key, v] : values_) validateConfigValue(key, v);
}

Config Config::mergedWithComponent(const Map& componentConf) const {
  Config merged = *this;
  for (const auto& [key, v] : componentConf) {
    const ConfigKey* k = findConfigKey(key);
    bool stormKey = k != nullptr || key.rfind("topology.", 0) == 0 || key.rfind("storm.", 0) == 0 ||
                    key.rfind("supervisor.", 0) == 0;
    if (stormKey && !(k && k->componentOverridable)) continue;
    validateConfigValue(key, v);
    merged.values_.insert_or_assign(key, v);
  }
  return merged;
}

}  // namespace squall
