#pragma once
// Storm's configurations cross the Thrift service as JSON text (jsonConf, json_conf,
// getNimbusConf, getTopologyConf). These convert it to and from Squall's Values.

#include <string>

#include "squall/value.h"

namespace squall::nimbus {

// Parses JSON text into a Value; throws std::invalid_argument naming the offset of the error.
// Nesting deeper than 64 levels is refused (the input comes from the network).
Value parseJson(const std::string& text);

// Writes a Value as JSON (bytes as a list of numbers, as Java's JSON writer would not take
// them; big integers as numbers).
std::string toJson(const Value& value);

}  // namespace squall::nimbus
