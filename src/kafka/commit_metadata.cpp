#include "kafka/commit_metadata.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace squall::kafka {

std::string makeCommitMetadata(const std::string& topologyId, int taskId,
                               const std::string& threadName) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("topologyId");
  w.String(topologyId.data(), static_cast<rapidjson::SizeType>(topologyId.size()));
  w.Key("taskId");
  w.Int(taskId);
  w.Key("threadName");
  w.String(threadName.data(), static_cast<rapidjson::SizeType>(threadName.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<std::string> commitMetadataTopologyId(const std::string& metadata) {
  // Metadata is whatever any tool committed for the group. The iterative parser keeps deep
  // nesting off the stack; the broker bounds the size (offset.metadata.max.bytes).
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(metadata.data(), metadata.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  auto it = d.FindMember("topologyId");
  if (it == d.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace squall::kafka
