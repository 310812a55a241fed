#pragma once
// Storm's configuration as its daemons and clients find it: Storm's defaults for the keys
// Squall's nimbus and client verbs read, then a storm.yaml (--config FILE, else
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
};

Map loadStormConfig(const StormConfigSource& source);

// The hosts a client asks for the leader: nimbus.seeds, else Storm's older nimbus.host.
std::vector<std::string> nimbusSeeds(const Map& conf);

// An integer key; throws std::invalid_argument naming the key when it is not an integer.
int confInt(const Map& conf, const std::string& key, int fallback);
std::string confString(const Map& conf, const std::string& key, const std::string& fallback);

}  // namespace squall::nimbus
