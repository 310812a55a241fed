#pragma once
// Storm's configuration as its daemons and clients find it: the defaults of every key Squall
// declares (include/squall/config_keys.def, Storm's defaults), then a storm.yaml (--config FILE,
// else
// ~/.storm/storm.yaml when it exists), then each -c key=value (the value read as YAML, as
// storm's -c is). Errors name the file and line.

#include <string>
#include <vector>

#include "squall/value.h"

namespace squall::nimbus {

struct StormConfigSource {
  std::string configFile;              // --config FILE; empty: ~/.storm/storm.yaml if present
  std::vector<std::string> overrides;  // -c key=value, in order
  std::string home;                    // where ~ is; empty: $HOME
  bool withDefaults = true;            // false: only what the file and -c give
};

Map loadStormConfig(const StormConfigSource& source);

// The hosts a client asks for the leader: Storm's deprecated nimbus.host when it is set (as
// Storm's NimbusClient), else nimbus.seeds.
std::vector<std::string> nimbusSeeds(const Map& conf);

// An integer key; throws std::invalid_argument naming the key when it is not an integer.
int confInt(const Map& conf, const std::string& key, int fallback);
std::string confString(const Map& conf, const std::string& key, const std::string& fallback);

}  // namespace squall::nimbus
