#pragma once
// Value: one field of a tuple. The types are those every multilang serializer can carry
// (JSON and msgpack): null, bool, 64-bit integer, double, UTF-8 string, bytes, list, map, and
// an integer outside int64 (BigInt), which Python children send as plain ints.
// docs/VALUES.md maps each type to Python, JSON and msgpack.
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

// An integer outside int64 (2^63, 2^64 - 1, -2^63 - 1, 10^30): Python ints have no bound and
// JSON numbers neither, so such a value is carried exactly as its canonical decimal text: an
// optional '-', then digits without leading zeros. Make one with Value::integer(); a Value
// never holds a BigInt whose value fits int64 (that is an Int), so equality stays simple.
struct BigInt {
  std::string digits;
  bool operator==(const BigInt&) const = default;
  bool negative() const { return !digits.empty() && digits[0] == '-'; }
  // The value as uint64, when it is one (2^63 .. 2^64 - 1).
  bool toUint64(uint64_t& out) const;
};

// The order matches Value's variant (BigInt was added last: codecs that store the type index
// keep their meaning for the older types).
enum class ValueType : uint8_t { Null, Bool, Int, Double, String, Bytes, List, Map, BigInt };

const char* valueTypeName(ValueType t);

class Value {
 public:
  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  Value(I i) {
    // A uint64 above INT64_MAX must not wrap to a negative number.
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(int64_t)) {
      if (i > static_cast<uint64_t>(INT64_MAX)) {
        v_ = BigInt{std::to_string(i)};
        return;
      }
    }
    v_ = static_cast<int64_t>(i);
  }
  Value(double d) : v_(d) {}
  Value(float f) : v_(static_cast<double>(f)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}
  Value(List l) : v_(std::make_shared<const List>(std::move(l))) {}
  Value(Map m) : v_(std::make_shared<const Map>(std::move(m))) {}

  // The integer written in decimal `text` ("-"? digits, as JSON and Python write integers):
  // an Int when it fits int64, else a BigInt. Leading zeros are dropped. Throws
  // IllegalArgumentException when `text` is not such a number.
  static Value integer(std::string_view text);

  ValueType type() const { return static_cast<ValueType>(v_.index()); }
  bool isNull() const { return v_.index() == 0; }
  bool isBool() const { return type() == ValueType::Bool; }
  bool isInt() const { return type() == ValueType::Int; }
  bool isDouble() const { return type() == ValueType::Double; }
  bool isNumber() const { return isInt() || isDouble() || isBigInt(); }
  bool isString() const { return type() == ValueType::String; }
  bool isBytes() const { return type() == ValueType::Bytes; }
  bool isList() const { return type() == ValueType::List; }
  bool isMap() const { return type() == ValueType::Map; }
  bool isBigInt() const { return type() == ValueType::BigInt; }
  // An integer of any size (Int or BigInt).
  bool isInteger() const { return isInt() || isBigInt(); }

  // Typed access; a wrong type throws ClassCastException naming both types.
  bool asBool() const;
  int64_t asInt() const;
  double asDouble() const;  // also accepts an integer (a BigInt rounded to the nearest double)
  const std::string& asString() const;
  const Bytes& asBytes() const;
  const List& asList() const;
  const Map& asMap() const;
  const BigInt& asBigInt() const;

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
               std::shared_ptr<const List>, std::shared_ptr<const Map>, BigInt>
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
