#pragma once
// Helpers the JSON and msgpack codecs share: checked assignment of a message's top-level
// fields, and UTF-8 validation for the JSON writer.

#include <cstddef>
#include <string>
#include <string_view>

#include "multilang/serializer.h"

namespace squall::internal {

// Sets the field `key` of `m` from `v`, checking its type (ProtocolError when wrong).
// Unknown keys are ignored. "tuple" is normally decoded straight into m.tuple by the reader.
void assignField(ShellMsg& m, std::string_view key, Value&& v);

// Sets the message's "command" from its text: the text, hasCommand and the kind.
void setCommand(ShellMsg& m, std::string_view command);

// Appends one element of a message's "anchors" array to m.anchors (strings and integers;
// ProtocolError for any other type).
void appendAnchor(ShellMsg& m, Value&& v);

// A tuple id sent back by the child as text (strings; integers are accepted and formatted).
std::string tupleIdText(const Value& v);

// Length (1-4) of the valid UTF-8 sequence at `p`, 0 when the bytes are not one.
size_t validUtf8Prefix(const unsigned char* p, size_t avail);

}  // namespace squall::internal
