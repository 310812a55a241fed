#pragma once
// Fields: the ordered, unique names of a stream's values (Storm's backtype Fields).

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "squall/value.h"

namespace squall {

class Fields {
 public:
  Fields() = default;
  Fields(std::initializer_list<std::string> names);
  explicit Fields(std::vector<std::string> names);

  size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }
  const std::string& get(size_t i) const { return names_.at(i); }
  const std::vector<std::string>& toList() const { return names_; }
  bool contains(std::string_view name) const { return indexOf(name) >= 0; }

  // Position of `name`; IllegalArgumentException naming the field and the known ones.
  size_t fieldIndex(std::string_view name) const;
  // -1 when absent.
  int indexOf(std::string_view name) const;
  // The values at the positions of `selector`'s names.
  Values select(const Fields& selector, const Values& values) const;

  bool operator==(const Fields&) const = default;
  std::string toString() const;

 private:
  std::vector<std::string> names_;
};

}  // namespace squall
