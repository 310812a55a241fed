#pragma once
// The configuration reference (docs/CONFIG.md) and the installed default storm.yaml
// (packaging/storm.yaml), generated from the declared keys.

#include <string>

#include "squall/config.h"

namespace squall {

std::string configReferenceMarkdown();

// Every declared key at its default, commented out, as Storm's defaults.yaml lists them.
std::string configDefaultsYaml();

}  // namespace squall
