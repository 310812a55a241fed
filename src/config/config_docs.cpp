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

}  // namespace squall
