#include "flux/yaml_values.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

namespace squall::flux {

namespace {

std::string withoutUnderscores(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

// Hand-written matchers for YAML 1.1's number forms: std::regex recurses once per character
// and overflows the stack on a scalar of a few hundred thousand digits.
struct Cursor {
  const std::string& s;
  size_t i = 0;
  bool done() const { return i == s.size(); }
  bool take(char c) {
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
  bool sign() { return take('-') || take('+'); }
  // One or more characters satisfying `ok`; returns how many.
  template <class F>
  size_t many(F ok) {
    size_t start = i;
    while (i < s.size() && ok(s[i])) ++i;
    return i - start;
  }
};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isDigitOr_(char c) {
  return isDigit(c) || c == '_';
}

// [-+]?(0|[1-9][0-9_]*)
bool isDecimal(const std::string& s) {
  Cursor c{s};
  c.sign();
  if (c.take('0')) return c.done();
  if (c.done() || s[c.i] < '1' || s[c.i] > '9') return false;
  c.many(isDigitOr_);
  return c.done();
}

// [-+]?0x[0-9a-fA-F_]+
bool isHex(const std::string& s) {
  Cursor c{s};
  c.sign();
  if (!c.take('0') || !c.take('x')) return false;
  return c.many([](char ch) {
    return std::isxdigit(static_cast<unsigned char>(ch)) || ch == '_';
  }) > 0 &&
         c.done();
}

// [-+]?0o?[0-7_]+
bool isOctal(const std::string& s) {
  Cursor c{s};
  c.sign();
  if (!c.take('0')) return false;
  c.take('o');
  return c.many([](char ch) { return (ch >= '0' && ch <= '7') || ch == '_'; }) > 0 && c.done();
}

// [-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?
bool isFloat(const std::string& s) {
  Cursor c{s};
  c.sign();
  if (c.take('.')) {
    if (c.many(isDigit) == 0) return false;
  } else {
    if (c.done() || !isDigit(s[c.i])) return false;
    c.many(isDigitOr_);
    if (c.take('.')) c.many(isDigitOr_);
  }
  if (c.take('e') || c.take('E')) {
    c.sign();
    if (c.many(isDigit) == 0) return false;
  }
  return c.done();
}

std::optional<Value> parseInt(const std::string& s) {
  int base = 0;
  std::string digits = s;
  if (isDecimal(s)) {
    base = 10;
  } else if (isHex(s)) {
    base = 16;
  } else if (isOctal(s)) {
    base = 8;
  } else {
    return std::nullopt;
  }
  digits = withoutUnderscores(digits);
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits = digits.substr(1);
  }
  if (base == 16) digits = digits.substr(2);
  if (base == 8 && digits.size() > 1 && digits[1] == 'o') digits = digits.substr(2);
  errno = 0;
  unsigned long long u = std::strtoull(digits.c_str(), nullptr, base);
  bool overflow =
      errno == ERANGE || u > static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()) +
                                 (negative ? 1ULL : 0ULL);
  if (overflow) return Value(std::strtod(s.c_str(), nullptr));
  if (negative) {
    return Value(u == static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()) + 1ULL
                     ? std::numeric_limits<int64_t>::min()
                     : -static_cast<int64_t>(u));
  }
  return Value(static_cast<int64_t>(u));
}

std::optional<Value> parseFloat(const std::string& s) {
  if (isFloat(s)) return Value(std::strtod(withoutUnderscores(s).c_str(), nullptr));
  std::string bare = !s.empty() && (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  if (bare == ".inf" || bare == ".Inf" || bare == ".INF") {
    return Value(s[0] == '-' ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity());
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    return Value(std::numeric_limits<double>::quiet_NaN());
  }
  return std::nullopt;
}

}  // namespace

Value scalarValue(const YAML::Node& node) {
  if (node.IsNull()) return Value();
  const std::string& s = node.Scalar();
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return Value(s);
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
  if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "Yes" || s == "YES" ||
      s == "on" || s == "On" || s == "ON") {
    return Value(true);
  }
  if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "No" || s == "NO" ||
      s == "off" || s == "Off" || s == "OFF") {
    return Value(false);
  }
  if (auto i = parseInt(s)) return *i;
  if (auto d = parseFloat(s)) return *d;
  return Value(s);
}

Value yamlValue(const YAML::Node& node, const std::function<void(const YAML::Node&)>& badKey) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Value();
    case YAML::NodeType::Scalar:
      return scalarValue(node);
    case YAML::NodeType::Sequence: {
      List list;
      for (const auto& item : node) list.push_back(yamlValue(item, badKey));
      return Value(std::move(list));
    }
    case YAML::NodeType::Map: {
      Map map;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) {
          if (badKey) badKey(it->first);
          continue;
        }
        map.insert_or_assign(it->first.Scalar(), yamlValue(it->second, badKey));
      }
      return Value(std::move(map));
    }
  }
  return Value();
}

std::string describeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      break;
  }
  Value v = scalarValue(node);
  switch (v.type()) {
    case ValueType::Bool:
      return "a boolean (" + node.Scalar() + ")";
    case ValueType::Int:
      return "an integer (" + node.Scalar() + ")";
    case ValueType::Double:
      return "a number (" + node.Scalar() + ")";
    case ValueType::Null:
      return "null";
    default:
      return "a string ('" + node.Scalar() + "')";
  }
}

}  // namespace squall::flux
