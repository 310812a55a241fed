#include "squall/fields.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "squall/errors.h"

namespace squall {

Fields::Fields(std::initializer_list<std::string> names)
    : Fields(std::vector<std::string>(names)) {}

Fields::Fields(std::vector<std::string> names) : names_(std::move(names)) {
  for (size_t i = 0; i < names_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (names_[i] == names_[j]) {
        throw IllegalArgumentException(
            fmt::format("duplicate field name '{}' in fields {}", names_[i], toString()));
      }
    }
  }
}

int Fields::indexOf(std::string_view name) const {
  // Linear: streams have a handful of fields, and this beats hashing at that size.
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

size_t Fields::fieldIndex(std::string_view name) const {
  int i = indexOf(name);
  if (i < 0) {
    throw IllegalArgumentException(
        fmt::format("field '{}' does not exist; the fields are {}", name, toString()));
  }
  return static_cast<size_t>(i);
}

Values Fields::select(const Fields& selector, const Values& values) const {
  Values out;
  out.reserve(selector.size());
  for (const auto& name : selector.names_) out.push_back(values.at(fieldIndex(name)));
  return out;
}

std::string Fields::toString() const {
  return fmt::format("[{}]", fmt::join(names_, ", "));
}

}  // namespace squall
