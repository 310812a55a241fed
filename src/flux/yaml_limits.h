#pragma once
// Bounds on what one topology file may expand to. They are checked on the YAML parser's
// events, before any node is built or walked: yaml-cpp keeps an alias as a shared reference,
// but every walk of the document (config values, constructor args, field lists) copies what
// the alias repeats, so nine nested anchors of ten aliases each expand to 10^9 values.

#include <cstddef>
#include <cstdint>
#include <string>

namespace squall::flux {

struct YamlLimits {
  size_t maxBytes = 1 << 20;     // one file, after ${...} substitution (and a --filter file)
  int maxDepth = 64;             // lists and maps nested in one another
  uint64_t maxValues = 100'000;  // scalars, lists and maps, each alias counted as what it repeats
  int maxIncludes = 64;          // entries of `includes:`
};

// Throws FluxError at `display`:line where `text` first crosses a bound or holds bytes that
// are not UTF-8. A YAML syntax error is thrown as YAML::ParserException, as YAML::Load would.
void checkYamlLimits(const std::string& text, const std::string& display, const YamlLimits& limits);

}  // namespace squall::flux
