#include "config/config_docs.h"

#include <fmt/format.h>

namespace squall {

namespace {
const char* typeName(ConfigType t) {
  switch (t) {
    case ConfigType::Int:
      return "int";
    case ConfigType::NullableInt:
      return "int or null";
    case ConfigType::Double:
      return "number";
    case ConfigType::Bool:
      return "bool";
    case ConfigType::String:
      return "string";
    case ConfigType::NullableString:
      return "string or null";
    case ConfigType::List:
      return "list";
    case ConfigType::Map:
      return "map";
  }
  return "?";
}

// A default as YAML: strings quoted (a Java class name or "json" stays a string), null as
// YAML's `null`; numbers and booleans as Value prints them.
std::string yamlValue(const Value& v) {
  if (v.isNull()) return "null";
  if (v.isString()) return fmt::format("\"{}\"", v.asString());
  return v.toString();
}
}  // namespace

std::string configReferenceMarkdown() {
  std::string out =
      "# Configuration keys\n\n"
      "Generated from `include/squall/config_keys.def` (the `config_docs_test` test fails when "
      "this file is stale; run it with `SQUALL_UPDATE_DOCS=1` to rewrite it). Keys not listed "
      "pass through untouched, so components can read their own.\n\n"
      "| Key | Type | Default | Range | Per component | Meaning |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& k : configKeys()) {
    std::string range = k.min < k.max ? fmt::format("{} – {}", k.min, k.max) : "";
    out += fmt::format("| `{}` | {} | `{}` | {} | {} | {} |\n", k.name, typeName(k.type),
                       k.defaultValue.toString(), range, k.componentOverridable ? "yes" : "",
                       k.description);
  }
  return out;
}

std::string configDefaultsYaml() {
  std::string out =
      "# storm.yaml: the Storm keys Squall honours, each at its default and commented out.\n"
      "# Generated from include/squall/config_keys.def (docs/CONFIG.md says the same in a table).\n"
      "# A reference for operators: squall reads no storm.yaml of its own. Set a key in a\n"
      "# topology's `config:` (Flux YAML), its Topology.config (Python) or with\n"
      "# `squall run -c key=value`; keys Squall does not know pass through to components.\n";
  for (const auto& k : configKeys()) {
    out += fmt::format("\n# {}\n# {}: {}\n", k.description, k.name, yamlValue(k.defaultValue));
  }
  return out;
}

}  // namespace squall
