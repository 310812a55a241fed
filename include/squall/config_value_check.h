#pragma once
// Checks of a configuration value beyond its declared type and bounds (a closed set of names),
// registered by the subsystem that reads the key, so `squall validate` rejects what the run
// would: the multilang engine registers its serializer names. validateConfigValue (config.h)
// runs them.

#include <functional>
#include <string>

#include "squall/value.h"

namespace squall {

// `check` throws ConfigError. Call at start-up (component registration), before validation
// runs on other threads.
void registerConfigValueCheck(std::string key, std::function<void(const Value&)> check);

}  // namespace squall
