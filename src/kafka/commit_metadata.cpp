#include "kafka/commit_metadata.h"

#include <fmt/format.h>

#include <cctype>

namespace squall::kafka {

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void skipSpace(const std::string& s, size_t& i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
}

// Reads a JSON string starting at s[i] == '"'; nullopt when malformed. \u escapes outside
// ASCII are kept verbatim: ids compare equal only when written the same way, which ours are.
std::optional<std::string> readString(const std::string& s, size_t& i) {
  if (i >= s.size() || s[i] != '"') return std::nullopt;
  std::string out;
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      ++i;
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    switch (s[i]) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        if (i + 4 >= s.size()) return std::nullopt;
        unsigned v = std::stoul(s.substr(i + 1, 4), nullptr, 16);
        if (v < 0x80) {
          out += static_cast<char>(v);
        } else {
          out += "\\u" + s.substr(i + 1, 4);
        }
        i += 4;
        break;
      }
      default: out += s[i];
    }
  }
  return std::nullopt;
}

// Skips one JSON value (string, number, literal, or nested object/array); false if malformed.
bool skipValue(const std::string& s, size_t& i) {
  skipSpace(s, i);
  if (i >= s.size()) return false;
  if (s[i] == '"') return readString(s, i).has_value();
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    for (; i < s.size(); ++i) {
      if (s[i] == '"') {
        if (!readString(s, i)) return false;
        --i;
      } else if (s[i] == '{' || s[i] == '[') {
        ++depth;
      } else if (s[i] == '}' || s[i] == ']') {
        if (--depth == 0) {
          ++i;
          return true;
        }
      }
    }
    return false;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}') ++i;
  return true;
}

}  // namespace

std::string makeCommitMetadata(const std::string& topologyId, int taskId,
                               const std::string& threadName) {
  return fmt::format("{{\"topologyId\":{},\"taskId\":{},\"threadName\":{}}}", quote(topologyId),
                     taskId, quote(threadName));
}

std::optional<std::string> commitMetadataTopologyId(const std::string& metadata) {
  try {
    size_t i = 0;
    skipSpace(metadata, i);
    if (i >= metadata.size() || metadata[i] != '{') return std::nullopt;
    ++i;
    while (true) {
      skipSpace(metadata, i);
      auto key = readString(metadata, i);
      if (!key) return std::nullopt;
      skipSpace(metadata, i);
      if (i >= metadata.size() || metadata[i] != ':') return std::nullopt;
      ++i;
      skipSpace(metadata, i);
      if (*key == "topologyId") return readString(metadata, i);
      if (!skipValue(metadata, i)) return std::nullopt;
      skipSpace(metadata, i);
      if (i >= metadata.size() || metadata[i] != ',') return std::nullopt;
      ++i;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace squall::kafka
