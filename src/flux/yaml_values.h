#pragma once
// YAML nodes to Values, resolving plain scalars as Flux's parser (SnakeYAML, YAML 1.1) does:
// null/~, true/false/yes/no/on/off, integers (decimal, 0x, 0o), floats, else strings; quoted
// scalars stay strings.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>

#include "squall/value.h"

namespace squall::flux {

Value scalarValue(const YAML::Node& node);

// `onMapKey` is called for a mapping key that is not a scalar (it must throw).
Value yamlValue(const YAML::Node& node,
                const std::function<void(const YAML::Node& key)>& badKey = nullptr);

// "a string", "an integer", ... for error messages about a node's type.
std::string describeNode(const YAML::Node& node);

}  // namespace squall::flux
