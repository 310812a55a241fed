#include "squall/value.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "squall/errors.h"

namespace squall {

const char* valueTypeName(ValueType t) {
  switch (t) {
    case ValueType::Null:
      return "null";
    case ValueType::Bool:
      return "bool";
    case ValueType::Int:
      return "int";
    case ValueType::Double:
      return "double";
    case ValueType::String:
      return "string";
    case ValueType::Bytes:
      return "bytes";
    case ValueType::List:
      return "list";
    case ValueType::Map:
      return "map";
    case ValueType::BigInt:
      return "big integer";
  }
  return "?";
}

bool BigInt::toUint64(uint64_t& out) const {
  if (negative()) return false;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return r.ec == std::errc() && r.ptr == digits.data() + digits.size();
}

Value Value::integer(std::string_view text) {
  std::string_view d = text;
  bool negative = !d.empty() && d[0] == '-';
  if (negative) d.remove_prefix(1);
  if (d.empty() || d.find_first_not_of("0123456789") != std::string_view::npos) {
    std::string shown(text.substr(0, 60));
    throw IllegalArgumentException(fmt::format("'{}' is not a decimal integer", shown));
  }
  while (d.size() > 1 && d[0] == '0') d.remove_prefix(1);
  if (d == "0") return Value(0);  // "-0" too
  std::string canonical = negative ? "-" : "";
  canonical += d;
  int64_t i;
  auto r = std::from_chars(canonical.data(), canonical.data() + canonical.size(), i);
  if (r.ec == std::errc() && r.ptr == canonical.data() + canonical.size()) return Value(i);
  Value v;
  v.v_ = BigInt{std::move(canonical)};
  return v;
}

void Value::throwCast(ValueType wanted) const {
  std::string shown = toString();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw ClassCastException(fmt::format("value {} is a {}, not a {}", shown, valueTypeName(type()),
                                       valueTypeName(wanted)));
}

bool Value::asBool() const {
  if (auto* p = std::get_if<bool>(&v_)) return *p;
  throwCast(ValueType::Bool);
}
int64_t Value::asInt() const {
  if (auto* p = std::get_if<int64_t>(&v_)) return *p;
  throwCast(ValueType::Int);
}
double Value::asDouble() const {
  if (auto* p = std::get_if<double>(&v_)) return *p;
  if (auto* p = std::get_if<int64_t>(&v_)) return static_cast<double>(*p);
  if (auto* p = std::get_if<BigInt>(&v_)) return std::strtod(p->digits.c_str(), nullptr);
  throwCast(ValueType::Double);
}
const std::string& Value::asString() const {
  if (auto* p = std::get_if<std::string>(&v_)) return *p;
  throwCast(ValueType::String);
}
const Bytes& Value::asBytes() const {
  if (auto* p = std::get_if<Bytes>(&v_)) return *p;
  throwCast(ValueType::Bytes);
}
const List& Value::asList() const {
  if (auto* p = std::get_if<std::shared_ptr<const List>>(&v_)) return **p;
  throwCast(ValueType::List);
}
const Map& Value::asMap() const {
  if (auto* p = std::get_if<std::shared_ptr<const Map>>(&v_)) return **p;
  throwCast(ValueType::Map);
}
const BigInt& Value::asBigInt() const {
  if (auto* p = std::get_if<BigInt>(&v_)) return *p;
  throwCast(ValueType::BigInt);
}

const Value* Value::find(std::string_view key) const {
  auto* p = std::get_if<std::shared_ptr<const Map>>(&v_);
  if (!p) return nullptr;
  auto it = (*p)->find(key);
  return it == (*p)->end() ? nullptr : &it->second;
}

namespace {
// 64-bit mixing (splitmix64 finaliser): cheap, well distributed, identical on every platform.
uint64_t mix(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}
uint64_t hashBytes(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return mix(h);
}
}  // namespace

uint64_t Value::hash() const {
  uint64_t tag = v_.index() * 0x9e3779b97f4a7c15ULL;
  switch (type()) {
    case ValueType::Null:
      return mix(tag);
    case ValueType::Bool:
      return mix(tag + (asBool() ? 1 : 0));
    case ValueType::Int:
      return mix(tag ^ static_cast<uint64_t>(asInt()));
    case ValueType::Double: {
      double d = asDouble();
      if (d == 0) d = 0;  // -0.0 and 0.0 are equal, so they must hash alike
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return mix(tag ^ bits);
    }
    case ValueType::String:
      return hashBytes(asString());
    case ValueType::Bytes:
      return mix(tag ^ hashBytes(asBytes().data));
    case ValueType::List: {
      uint64_t h = tag;
      for (const auto& v : asList()) h = mix(h * 31 + v.hash());
      return h;
    }
    case ValueType::Map: {
      uint64_t h = tag;
      for (const auto& [k, v] : asMap()) h = mix(h * 31 + hashBytes(k) + v.hash() * 7);
      return h;
    }
    case ValueType::BigInt:
      return mix(tag ^ hashBytes(asBigInt().digits));
  }
  return 0;
}

bool Value::operator==(const Value& o) const {
  if (v_.index() != o.v_.index()) return false;
  switch (type()) {
    case ValueType::List:
      return asList() == o.asList();
    case ValueType::Map:
      return asMap() == o.asMap();
    default:
      return v_ == o.v_;
  }
}

namespace {
void appendQuoted(std::string& out, const std::string& s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}
void appendValue(std::string& out, const Value& v) {
  switch (v.type()) {
    case ValueType::Null:
      out += "null";
      break;
    case ValueType::Bool:
      out += v.asBool() ? "true" : "false";
      break;
    case ValueType::Int:
      out += std::to_string(v.asInt());
      break;
    case ValueType::Double:
      out += fmt::format("{}", v.asDouble());
      break;
    case ValueType::String:
      appendQuoted(out, v.asString());
      break;
    case ValueType::Bytes:
      out += fmt::format("<{} bytes>", v.asBytes().data.size());
      break;
    case ValueType::List: {
      out += '[';
      bool first = true;
      for (const auto& e : v.asList()) {
        if (!first) out += ',';
        first = false;
        appendValue(out, e);
      }
      out += ']';
      break;
    }
    case ValueType::Map: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.asMap()) {
        if (!first) out += ',';
        first = false;
        appendQuoted(out, k);
        out += ':';
        appendValue(out, e);
      }
      out += '}';
      break;
    }
    case ValueType::BigInt:
      out += v.asBigInt().digits;
      break;
  }
}
}  // namespace

std::string Value::toString() const {
  std::string out;
  appendValue(out, *this);
  return out;
}

std::string toString(const Values& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    appendValue(out, values[i]);
  }
  return out + "]";
}

}  // namespace squall
