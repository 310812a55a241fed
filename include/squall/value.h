#pragma once
// Value: one field of a tuple. The types are those every multilang serializer can carry
// (JSON and msgpack): null, bool, 64-bit integer, double, UTF-8 string, bytes, list, map.
// Lists and maps are immutable and shared, so copying a Value is cheap even for big payloads
// (an all-grouping copies the values to every target task).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace squall {

class Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value, std::less<>>;

// Raw bytes, kept apart from text so serializers can tell them apart (msgpack bin vs str).
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

enum class ValueType : uint8_t { Null, Bool, Int, Double, String, Bytes, List, Map };

const char* valueTypeName(ValueType t);

class Value {
 public:
  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  Value(I i) : v_(static_cast<int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(float f) : v_(static_cast<double>(f)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}
  Value(List l) : v_(std::make_shared<const List>(std::move(l))) {}
  Value(Map m) : v_(std::make_shared<const Map>(std::move(m))) {}

  ValueType type() const { return static_cast<ValueType>(v_.index()); }
  bool isNull() const { return v_.index() == 0; }
  bool isBool() const { return type() == ValueType::Bool; }
  bool isInt() const { return type() == ValueType::Int; }
  bool isDouble() const { return type() == ValueType::Double; }
  bool isNumber() const { return isInt() || isDouble(); }
  bool isString() const { return type() == ValueType::String; }
  bool isBytes() const { return type() == ValueType::Bytes; }
  bool isList() const { return type() == ValueType::List; }
  bool isMap() const { return type() == ValueType::Map; }

  // Typed access; a wrong type throws ClassCastException naming both types.
  bool asBool() const;
  int64_t asInt() const;
  double asDouble() const;  // also accepts an integer
  const std::string& asString() const;
  const Bytes& asBytes() const;
  const List& asList() const;
  const Map& asMap() const;

  // Map lookup; nullptr when this is not a map or the key is absent.
  const Value* find(std::string_view key) const;

  // Stable across processes and runs (fields grouping must agree in every worker).
  uint64_t hash() const;
  bool operator==(const Value& o) const;
  bool operator!=(const Value& o) const { return !(*this == o); }

  // JSON-like text for logs and error messages.
  std::string toString() const;

 private:
  [[noreturn]] void throwCast(ValueType wanted) const;

  std::variant<std::monostate, bool, int64_t, double, std::string, Bytes,
               std::shared_ptr<const List>, std::shared_ptr<const Map>>
      v_;
};

// A tuple's payload, Storm's `new Values(a, b, c)`: write `Values{a, b, c}`.
class Values : public std::vector<Value> {
 public:
  Values() = default;
  Values(std::initializer_list<Value> v) : std::vector<Value>(v) {}
  explicit Values(std::vector<Value> v) : std::vector<Value>(std::move(v)) {}
};

std::string toString(const Values& values);

}  // namespace squall
