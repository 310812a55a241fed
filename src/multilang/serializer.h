#pragma once
// The multilang wire formats (storm.md 1.2, 1.12): how engine messages are written and how
// the child's messages are framed and decoded.
// - JSON (Storm's default): one JSON document, "\n", a line "end", "\n".
// - msgpack (pystorm's framing): complete msgpack objects back to back, no delimiter.
// A Serializer is stateless and shared; a MessageReader holds one child's input buffer and is
// used by one thread at a time.
// What each wire type becomes (and how big integers, lone surrogates and invalid UTF-8 are
// handled) is in docs/VALUES.md.

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "squall/collectors.h"
#include "squall/errors.h"
#include "squall/value.h"

namespace squall::internal {

// The child broke the protocol. `offending` is the message (or bytes) at fault, for the
// error report; what() says what was wrong with it.
// Default of topology.multilang.max.message.bytes: the largest message a child may send.
inline constexpr size_t kDefaultMaxMessageBytes = size_t{64} << 20;

// Deepest nesting of lists and maps a child's message may have (the message object is level 1).
// Deeper input is a ProtocolError: the engine's Values are recursive structures.
inline constexpr int kMaxMessageDepth = 256;

class ProtocolError : public SquallError {
 public:
  ProtocolError(const std::string& what, std::string offending = {})
      : SquallError(what), offending_(std::move(offending)) {}
  const std::string& offending() const { return offending_; }

 private:
  std::string offending_;
};

enum class ShellCommandKind { Emit, Ack, Fail, Sync, Log, Error, Metrics, Other };

// One message from the child, decoded. Field presence follows the protocol table
// (storm.md 1.5); the types are already checked (a wrong type is a ProtocolError).
struct ShellMsg {
  ShellCommandKind kind = ShellCommandKind::Other;
  std::string command;  // as sent; empty when the message had none
  bool hasCommand = false;
  Values tuple;
  bool hasTuple = false;
  std::string stream;  // empty = default
  std::optional<int64_t> task;
  std::vector<std::string> anchors;  // tuple ids, as strings
  Value id;                          // ack/fail: tuple id; spout emit: message id (any type)
  bool hasId = false;
  bool needTaskIds = true;
  std::string msg;
  int level = 2;
  std::string name;
  Value params;
  std::optional<int64_t> pid;  // the handshake reply
  // Non-empty when a value in an otherwise well-formed message cannot be carried (a JSON
  // string that is not UTF-8, say): names the field and the problem. The message is still
  // fully decoded, so the component can fail just that tuple and go on.
  std::string poison;

  void reset();
};

class MessageReader {
 public:
  virtual ~MessageReader() = default;
  // Room for at least `n` more bytes; fill a prefix of it, then commit() what was filled.
  virtual std::span<char> prepare(size_t n) = 0;
  virtual void commit(size_t n) = 0;
  // Decodes the next complete message into `out`; false when more bytes are needed.
  // ProtocolError on malformed input or output that is not protocol at all.
  virtual bool next(ShellMsg& out) = 0;
  // The most recent message, as text, for error reports (truncated to `max` bytes).
  virtual std::string lastMessageText(size_t max) const = 0;
  // Bytes received but not yet a complete message (for an EOF report).
  virtual std::string pendingText(size_t max) const = 0;
};

class Serializer {
 public:
  virtual ~Serializer() = default;
  // "json" or "msgpack": what the child finds in SQUALL_SERIALIZER.
  virtual const char* name() const = 0;
  // Appends one framed message holding `message` (the handshake, a spout command).
  virtual void writeMessage(std::string& out, const Value& message) const = 0;
  // Appends a bolt tuple {id, comp, stream, task, tuple}; `comp` null for heartbeats.
  virtual void writeTuple(std::string& out, std::string_view id, const std::string* comp,
                          std::string_view stream, int64_t task, const Values& values) const = 0;
  virtual void writeTaskIds(std::string& out, const TaskIds& ids) const = 0;
  // {"command": command, "id": id}
  virtual void writeCommand(std::string& out, std::string_view command, const Value& id) const = 0;
  // A reader that refuses (ProtocolError naming the size) any message larger than
  // `maxMessageBytes`, as soon as its size is known or its bytes exceed the bound.
  std::unique_ptr<MessageReader> newReader(size_t maxMessageBytes = kDefaultMaxMessageBytes) const {
    return makeReader(maxMessageBytes);
  }

 protected:
  virtual std::unique_ptr<MessageReader> makeReader(size_t maxMessageBytes) const = 0;
};

// By topology.multilang.serializer: Storm's and pyleus' class names or "json"/"msgpack"
// (case-insensitive). ConfigError naming the key for anything else.
std::unique_ptr<Serializer> makeSerializer(const std::string& configured);
std::unique_ptr<Serializer> makeJsonSerializer();
// Whether JSON readers try their fast path for flat messages (json_flat_message.h) before
// RapidJSON; on unless a test or the fuzzer compares the two ways. Process-wide.
void setJsonFlatFastPath(bool on);
std::unique_ptr<Serializer> makeMsgpackSerializer();
// The same for msgpack readers and their fast path (msgpack_flat_message.h).
void setMsgpackFlatFastPath(bool on);

// Shared by the readers: fills `out` from a message's top-level field `key`, checking types.
// `truncatedText` produces the offending text lazily for errors.
const char* commandKindName(ShellCommandKind k);
ShellCommandKind commandKind(std::string_view name);

// `data` made printable for an error message: UTF-8 text kept, other bytes as \xNN, at most
// `max` bytes of input, "..." when cut.
std::string printable(std::string_view data, size_t max);

// True when `s` is UTF-8, also allowing the 3-byte encodings of surrogate code points
// (U+D800-U+DFFF), which is how a lone surrogate from a Python or Java string is held
// (WTF-8 style; see docs/VALUES.md).
// Inline for the all-ASCII case (keys, commands, ids, most words), which has no branch per
// byte: eight bytes a step, and the bytes past the last whole eight (or a string shorter
// than eight) read as overlapping loads rather than one at a time, since most of the strings
// checked (keys, words) are short. The rest is checked out of line.
bool isUtf8OrSurrogatesSlow(std::string_view s);
inline bool isUtf8OrSurrogates(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  uint64_t high = 0;
  if (n >= 8) {
    uint64_t word;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&word, p + i, 8);
      high |= word;
    }
    std::memcpy(&word, p + n - 8, 8);
    high |= word;
  } else if (n >= 4) {
    uint32_t head, tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    high = head | tail;
  } else if (n > 0) {
    high = p[0] | p[n / 2] | p[n - 1];
  }
  return (high & 0x8080808080808080ULL) == 0 || isUtf8OrSurrogatesSlow(s);
}

// The surrogate code point encoded at `p` as 3 bytes (ED A0..BF 80..BF), or 0.
uint32_t surrogateAt(const unsigned char* p, size_t avail);

// The error for a message of `size` bytes (or more) over the configured maximum.
[[noreturn]] void throwTooLarge(size_t size, bool atLeast, size_t max, std::string offending);

}  // namespace squall::internal
