#pragma once
// The configuration reference (docs/CONFIG.md), generated from the declared keys.

#include <string>

#include "squall/config.h"

namespace squall {

std::string configReferenceMarkdown();

}  // namespace squall
