#include "kafka/commit_metadata.h"

#include <fmt/format.h>
#include <rapidjson/reader.h>

#include <string_view>

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

// Storm's metadata is one flat object; anything nested deeper than this is not ours.
constexpr int kMaxDepth = 32;

// SAX handler: the first string value of the top-level key "topologyId".
struct TopologyIdHandler
    : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TopologyIdHandler> {
  int depth = 0;
  bool object = false;
  bool wantId = false;
  std::optional<std::string> id;

  bool Default() {
    wantId = false;
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (wantId && !id) id.emplace(s, n);
    wantId = false;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    wantId = depth == 1 && std::string_view(s, n) == "topologyId";
    return true;
  }
  bool StartObject() {
    if (depth == 0) object = true;
    wantId = false;
    return ++depth <= kMaxDepth;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() {
    wantId = false;
    return depth > 0 && ++depth <= kMaxDepth;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
};

}  // namespace

std::string makeCommitMetadata(const std::string& topologyId, int taskId,
                               const std::string& threadName) {
  return fmt::format("{{\"topologyId\":{},\"taskId\":{},\"threadName\":{}}}", quote(topologyId),
                     taskId, quote(threadName));
}

std::optional<std::string> commitMetadataTopologyId(const std::string& metadata) {
  // Metadata is whatever any tool committed for the group: RapidJSON's SAX reader, in place
  // (no copies through its internal stack), with the nesting bounded by the handler so the
  // recursive parser stays shallow. JSON text holds no NUL byte.
  if (metadata.find('\0') != std::string::npos) return std::nullopt;
  std::string text = metadata;
  rapidjson::InsituStringStream in(text.data());
  TopologyIdHandler h;
  rapidjson::Reader reader;
  if (reader.Parse<rapidjson::kParseInsituFlag>(in, h).IsError() || !h.object) {
    return std::nullopt;
  }
  return h.id;
}

}  // namespace squall::kafka
