#include "multilang/serializer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "multilang/message_fields.h"
#include "squall/config.h"

namespace squall::internal {

void ShellMsg::reset() {
  kind = ShellCommandKind::Other;
  command.clear();
  hasCommand = false;
  tuple.clear();
  hasTuple = false;
  stream.clear();
  task.reset();
  anchors.clear();
  id = Value();
  hasId = false;
  needTaskIds = true;
  msg.clear();
  level = 2;
  name.clear();
  params = Value();
  pid.reset();
  poison.clear();
}

std::unique_ptr<Serializer> makeSerializer(const std::string& configured) {
  std::string key;
  for (char c : configured) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (key == "json" || key == "org.apache.storm.multilang.jsonserializer") {
    return makeJsonSerializer();
  }
  if (key == "msgpack" || key == "messagepack" ||
      key == "com.yelp.pyleus.serializer.messagepackserializer") {
    return makeMsgpackSerializer();
  }
  throw ConfigError(
      fmt::format("{}: unknown multilang serializer '{}'; use json (or "
                  "org.apache.storm.multilang.JsonSerializer) or msgpack (or "
                  "com.yelp.pyleus.serializer.MessagePackSerializer)",
                  Config::TOPOLOGY_MULTILANG_SERIALIZER, configured));
}

const char* commandKindName(ShellCommandKind k) {
  switch (k) {
    case ShellCommandKind::Emit:
      return "emit";
    case ShellCommandKind::Ack:
      return "ack";
    case ShellCommandKind::Fail:
      return "fail";
    case ShellCommandKind::Sync:
      return "sync";
    case ShellCommandKind::Log:
      return "log";
    case ShellCommandKind::Error:
      return "error";
    case ShellCommandKind::Metrics:
      return "metrics";
    case ShellCommandKind::Other:
      break;
  }
  return "?";
}

ShellCommandKind commandKind(std::string_view name) {
  switch (name.size()) {
    case 3:
      if (name == "ack") return ShellCommandKind::Ack;
      if (name == "log") return ShellCommandKind::Log;
      break;
    case 4:
      if (name == "emit") return ShellCommandKind::Emit;
      if (name == "fail") return ShellCommandKind::Fail;
      if (name == "sync") return ShellCommandKind::Sync;
      break;
    case 5:
      if (name == "error") return ShellCommandKind::Error;
      break;
    case 7:
      if (name == "metrics") return ShellCommandKind::Metrics;
      break;
    default:
      break;
  }
  return ShellCommandKind::Other;
}

namespace {

// Length of the valid UTF-8 sequence at `p` (1-4), or 0 when it is not one.
size_t utf8Length(const unsigned char* p, size_t avail) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (avail < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  static const uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < minimum[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

size_t validUtf8Prefix(const unsigned char* p, size_t avail) {
  return utf8Length(p, avail);
}

uint32_t surrogateAt(const unsigned char* p, size_t avail) {
  if (avail < 3 || p[0] != 0xED || (p[1] & 0xE0) != 0xA0 || (p[2] & 0xC0) != 0x80) return 0;
  return 0xD000u | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
}

bool isUtf8OrSurrogatesSlow(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time: most text is ASCII.
    if (n - i >= 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = utf8Length(p + i, n - i);
    if (len == 0 && surrogateAt(p + i, n - i)) len = 3;
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void throwTooLarge(size_t size, bool atLeast, size_t max, std::string offending) {
  throw ProtocolError(fmt::format("a message of {}{} bytes from the child is larger than {} = {}; "
                                  "refused without reading it",
                                  atLeast ? "at least " : "", size,
                                  Config::TOPOLOGY_MULTILANG_MAX_MESSAGE_BYTES, max),
                      std::move(offending));
}

std::string printable(std::string_view data, size_t max) {
  std::string out;
  size_t n = std::min(data.size(), max);
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (size_t len = utf8Length(p + i, n - i)) {
      out.append(reinterpret_cast<const char*>(p + i), len);
      i += len;
      continue;
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
    ++i;
  }
  if (data.size() > max) out += "...";
  return out;
}

// ---- message fields (shared by the JSON and msgpack readers)

namespace {

std::optional<int64_t> integral(const Value& v) {
  if (v.isInt()) return v.asInt();
  if (v.isDouble()) {
    double d = v.asDouble();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

[[noreturn]] void wrongType(std::string_view key, const char* wanted, const Value& v) {
  throw ProtocolError(fmt::format("field '{}' must be {}, got {} {}", key, wanted,
                                  valueTypeName(v.type()), printable(v.toString(), 80)));
}

std::string idText(std::string_view key, const Value& v) {
  if (v.isString()) return v.asString();
  if (v.isBytes()) return v.asBytes().data;
  if (auto i = integral(v)) return std::to_string(*i);
  wrongType(key, "a tuple id (string)", v);
}

}  // namespace

void assignField(ShellMsg& m, std::string_view key, Value&& v) {
  switch (key.size()) {
    case 2:
      if (key == "id") {
        m.id = std::move(v);
        m.hasId = true;
        return;
      }
      break;
    case 3:
      if (key == "msg") {
        if (v.isString()) {
          m.msg = v.asString();
        } else if (v.isBytes()) {
          m.msg = v.asBytes().data;
        } else {
          m.msg = v.toString();
        }
        return;
      }
      if (key == "pid") {
        auto i = integral(v);
        if (!i) wrongType(key, "an integer", v);
        m.pid = *i;
        return;
      }
      break;
    case 4:
      if (key == "task") {
        if (v.isNull()) return;
        auto i = integral(v);
        if (!i) wrongType(key, "an integer task id", v);
        m.task = *i;
        return;
      }
      if (key == "name") {
        if (v.isString()) {
          m.name = v.asString();
        } else if (v.isBytes()) {
          m.name = v.asBytes().data;
        } else if (!v.isNull()) {
          wrongType(key, "a string", v);
        }
        return;
      }
      break;
    case 5:
      if (key == "tuple") {
        if (!v.isList()) wrongType(key, "a list of values", v);
        const List& l = v.asList();
        m.tuple.assign(l.begin(), l.end());
        m.hasTuple = true;
        return;
      }
      if (key == "level") {
        if (auto i = integral(v)) m.level = static_cast<int>(std::clamp<int64_t>(*i, -1, 99));
        return;
      }
      break;
    case 6:
      if (key == "stream") {
        if (v.isString()) {
          m.stream = v.asString();
        } else if (v.isBytes()) {
          m.stream = v.asBytes().data;
        } else if (!v.isNull()) {
          wrongType(key, "a stream id (string)", v);
        }
        return;
      }
      if (key == "params") {
        m.params = std::move(v);
        return;
      }
      break;
    case 7:
      if (key == "command") {
        if (v.isString()) {
          setCommand(m, v.asString());
        } else if (v.isBytes()) {
          setCommand(m, v.asBytes().data);
        } else {
          wrongType(key, "a string", v);
        }
        return;
      }
      if (key == "anchors") {
        if (v.isNull()) return;
        if (v.isList()) {
          for (const Value& a : v.asList()) m.anchors.push_back(idText(key, a));
        } else {
          m.anchors.push_back(idText(key, v));
        }
        return;
      }
      break;
    case 13:
      if (key == "need_task_ids") {
        if (v.isBool()) {
          m.needTaskIds = v.asBool();
        } else if (!v.isNull()) {
          wrongType(key, "a boolean", v);
        }
        return;
      }
      break;
    default:
      break;
  }
  // Unknown keys are ignored, as Storm does.
}

void setCommand(ShellMsg& m, std::string_view command) {
  m.command.assign(command);
  m.hasCommand = true;
  m.kind = commandKind(m.command);
}

void appendAnchor(ShellMsg& m, Value&& v) {
  m.anchors.push_back(idText("anchors", v));
}

std::string tupleIdText(const Value& v) {
  return idText("id", v);
}

}  // namespace squall::internal
