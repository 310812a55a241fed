#pragma once
// Config: a topology's configuration, Storm's keys and names. Keys Squall honours are declared
// once in config_keys.def (type, default, bounds); unknown keys pass through untouched so
// Python components can read their own settings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "squall/value.h"

namespace squall {

enum class ConfigType { Int, NullableInt, Double, Bool, String, NullableString, List, Map };

struct ConfigKey {
  const char* name;
  ConfigType type;
  Value defaultValue;
  double min;
  double max;
  bool componentOverridable;
  const char* description;
};

// Every declared key, in declaration order.
const std::vector<ConfigKey>& configKeys();
const ConfigKey* findConfigKey(std::string_view name);

class Config {
 public:
#define SQUALL_CONFIG_KEY(id, name, type, def, min, max, comp, desc) \
  static constexpr const char* id = name;
#include "squall/config_keys.def"
#undef SQUALL_CONFIG_KEY

  Config() = default;
  explicit Config(Map values) : values_(std::move(values)) {}

  Config& set(std::string_view key, Value v);
  Config& setNumWorkers(int n) {
    return set(TOPOLOGY_WORKERS, n);
  }
  Config& setNumAckers(int n) {
    return set(TOPOLOGY_ACKER_EXECUTORS, n);
  }
  Config& setMaxSpoutPending(int64_t n) {
    return set(TOPOLOGY_MAX_SPOUT_PENDING, n);
  }
  Config& setMessageTimeoutSecs(int n) {
    return set(TOPOLOGY_MESSAGE_TIMEOUT_SECS, n);
  }
  Config& setDebug(bool b) {
    return set(TOPOLOGY_DEBUG, b);
  }
  Config& setTickTupleFreqSecs(int n) {
    return set(TOPOLOGY_TICK_TUPLE_FREQ_SECS, n);
  }

  // The explicit value, or nullptr.
  const Value* find(std::string_view key) const;
  // The explicit value or, for a declared key, its default (null for an unknown key).
  Value get(std::string_view key) const;
  int64_t getInt(std::string_view key) const;
  std::optional<int64_t> getOptionalInt(std::string_view key) const;
  double getDouble(std::string_view key) const;
  bool getBool(std::string_view key) const;
  std::string getString(std::string_view key) const;

  const Map& values() const {
    return values_;
  }
  // Checks every declared key's type and bounds; ConfigError naming the first bad key.
  void validate() const;
  // `this` overlaid with the whitelisted keys of a component's own configuration, as Storm's
  // normalizedComponentConf does: user keys always pass, Storm keys only when overridable.
  Config mergedWithComponent(const Map& componentConf) const;

 private:
  Map values_;
};

// Throws ConfigError naming `key` when `v` does not fit its declaration.
void validateConfigValue(std::string_view key, const Value& v);

}  // namespace squall
