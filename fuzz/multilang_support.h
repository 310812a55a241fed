#pragma once
// Shared by the multilang fuzzers: feeds arbitrary bytes to a reader as a child's writes split
// at input-chosen points, decodes every message, and checks that what the engine writes back
// for a decoded tuple decodes again to the same values.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "multilang/serializer.h"

namespace squall::fuzz {

// NaN is never equal to itself; JSON has no bytes (they come back as a list of numbers).
inline bool comparable(const Value& v, bool json) {
  switch (v.type()) {
    case ValueType::Double:
      return !std::isnan(v.asDouble());
    case ValueType::Bytes:
      return !json;
    case ValueType::List:
      for (const Value& e : v.asList()) {
        if (!comparable(e, json)) return false;
      }
      return true;
    case ValueType::Map:
      for (const auto& [k, e] : v.asMap()) {
        if (!comparable(e, json)) return false;
      }
      return true;
    default:
      return true;
  }
}

inline void roundTrip(const internal::Serializer& s, const internal::ShellMsg& m, bool json) {
  std::string out;
  std::string comp = "c";
  s.writeTuple(out, "1", &comp, "default", 1, m.tuple);
  auto r = s.newReader();
  auto room = r->prepare(out.size());
  std::memcpy(room.data(), out.data(), out.size());
  r->commit(out.size());
  internal::ShellMsg back;
  // The engine's own output must decode (a ProtocolError here is a bug: let it escape).
  if (!r->next(back)) __builtin_trap();
  if (back.tuple.size() != m.tuple.size()) __builtin_trap();
  for (size_t i = 0; i < m.tuple.size(); ++i) {
    if (comparable(m.tuple[i], json) && !(back.tuple[i] == m.tuple[i])) __builtin_trap();
  }
}

// Feeds `data` to a new reader as a child's writes and calls onMessage(reader, message) for
// each message decoded; a ProtocolError ends it and is passed on. Byte 0 picks the split
// points; byte 1 a small maximum message size or the default.
template <class OnMessage>
void decodeAll(const internal::Serializer& s, const uint8_t* data, size_t size,
               OnMessage&& onMessage) {
  if (size < 2) return;
  unsigned stride = data[0];
  size_t max = data[1] < 128 ? 64 + size_t{data[1]} * 8 : internal::kDefaultMaxMessageBytes;
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  auto reader = s.newReader(max);
  internal::ShellMsg m;
  try {
    for (size_t i = 0; !rest.empty(); ++i) {
      size_t n = std::min(rest.size(), size_t{(stride * (i + 1)) % 97 + 1});
      auto room = reader->prepare(n);
      std::memcpy(room.data(), rest.data(), n);
      reader->commit(n);
      rest.remove_prefix(n);
      while (reader->next(m)) onMessage(*reader, m);
    }
    (void)reader->pendingText(200);
  } catch (const internal::ProtocolError&) {
    // The child broke the protocol: the engine stops it. The report must be printable.
    (void)reader->lastMessageText(300);
    throw;
  }
}

inline int run(const internal::Serializer& s, bool json, const uint8_t* data, size_t size) {
  try {
    decodeAll(s, data, size, [&](internal::MessageReader& reader, const internal::ShellMsg& m) {
      if (m.poison.empty()) roundTrip(s, m, json);
      (void)reader.lastMessageText(300);
    });
  } catch (const internal::ProtocolError& e) {
    (void)e.offending().size();
  }
  return 0;
}

// Everything decoded from `data` (split as run() splits it), as text: each message's fields,
// then the protocol error that ended it, if any. Two decoders that agree give the same text.
inline std::string transcript(const internal::Serializer& s, const uint8_t* data, size_t size) {
  std::string t;
  std::string comp = "c";
  try {
    decodeAll(s, data, size, [&](internal::MessageReader&, const internal::ShellMsg& m) {
      t += std::to_string(static_cast<int>(m.kind)) + '|' + m.command + '|' +
           std::to_string(m.hasCommand) + '|' + std::to_string(m.hasTuple) + '|' + m.stream + '|' +
           (m.task ? std::to_string(*m.task) : "-") + '|';
      for (const std::string& a : m.anchors) t += a + ',';
      t += '|' + std::to_string(m.hasId) + std::to_string(m.needTaskIds) + '|' + m.msg + '|' +
           std::to_string(m.level) + '|' + m.name + '|' + (m.pid ? std::to_string(*m.pid) : "-") +
           '|' + m.poison + '|';
      s.writeTuple(t, "1", &comp, "default", 1, m.tuple);
      s.writeMessage(t, m.id);
      s.writeMessage(t, m.params);
    });
  } catch (const internal::ProtocolError& e) {
    t += "error: ";
    t += e.what();
  }
  return t;
}

}  // namespace squall::fuzz
