// pystorm's msgpack framing (python-users.md 1.3): complete msgpack objects back to back, no
// delimiter. Strings are written as msgpack str and bytes as bin; on input str and bin are
// both accepted wherever text is expected (pystorm does not set use_bin_type).

#include <fmt/format.h>

#include <cstring>
#include <sstream>

#include "multilang/message_builder.h"
#include "multilang/message_fields.h"
#include "multilang/msgpack.h"
#include "multilang/serializer.h"

namespace squall::internal {

namespace {

struct StringSink {
  std::string* out;
  void write(const char* p, size_t n) { out->append(p, n); }
};
using Packer = msgpack::packer<StringSink>;

void packString(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

void packValue(Packer& pk, const Value& v) {
  switch (v.type()) {
    case ValueType::Null:
      pk.pack_nil();
      return;
    case ValueType::Bool:
      if (v.asBool()) {
        pk.pack_true();
      } else {
        pk.pack_false();
      }
      return;
    case ValueType::Int:
      pk.pack_int64(v.asInt());
      return;
    case ValueType::Double:
      pk.pack_double(v.asDouble());
      return;
    case ValueType::String:
      packString(pk, v.asString());
      return;
    case ValueType::Bytes: {
      const std::string& b = v.asBytes().data;
      pk.pack_bin(static_cast<uint32_t>(b.size()));
      pk.pack_bin_body(b.data(), static_cast<uint32_t>(b.size()));
      return;
    }
    case ValueType::List: {
      const List& l = v.asList();
      pk.pack_array(static_cast<uint32_t>(l.size()));
      for (const Value& e : l) packValue(pk, e);
      return;
    }
    case ValueType::Map: {
      const Map& m = v.asMap();
      pk.pack_map(static_cast<uint32_t>(m.size()));
      for (const auto& [k, e] : m) {
        packString(pk, k);
        packValue(pk, e);
      }
      return;
    }
  }
}

// msgpack-cxx's parse events, handed to the MessageBuilder: no zone, no object tree.
class MessageVisitor : public msgpack::null_visitor {
 public:
  explicit MessageVisitor(MessageBuilder& b) : b_(b) {}

  bool visit_nil() { return put(Value()); }
  bool visit_boolean(bool v) { return put(Value(v)); }
  bool visit_positive_integer(uint64_t v) {
    if (v > static_cast<uint64_t>(INT64_MAX)) return put(Value(static_cast<double>(v)));
    return put(Value(static_cast<int64_t>(v)));
  }
  bool visit_negative_integer(int64_t v) { return put(Value(v)); }
  bool visit_float32(float v) { return put(Value(static_cast<double>(v))); }
  bool visit_float64(double v) { return put(Value(v)); }
  bool visit_str(const char* p, uint32_t n) {
    if (inKey_) return b_.key(std::string_view(p, n));
    return put(Value(std::string(p, n)));
  }
  bool visit_bin(const char* p, uint32_t n) {
    if (inKey_) return b_.key(std::string_view(p, n));
    return put(Value(Bytes{std::string(p, n)}));
  }
  bool visit_ext(const char* p, uint32_t n) { return put(Value(Bytes{std::string(p, n)})); }
  bool start_array(uint32_t) { return !inKey_ && b_.startArray(); }
  bool end_array() { return b_.endArray(); }
  bool start_map(uint32_t) { return !inKey_ && b_.startMap(); }
  bool end_map() { return b_.endMap(); }
  bool start_map_key() {
    inKey_ = true;
    return true;
  }
  bool end_map_key() {
    inKey_ = false;
    return true;
  }

 private:
  bool put(Value v) {
    if (inKey_) return b_.key(v.toString());  // an integer key, say
    return b_.value(std::move(v));
  }

  MessageBuilder& b_;
  bool inKey_ = false;
};

class MsgpackReader : public MessageReader {
 public:
  std::span<char> prepare(size_t n) override {
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, size_ - pos_);
      size_ -= pos_;
      pos_ = 0;
    }
    if (buf_.size() - size_ < n) buf_.resize(std::max(buf_.size() * 2, size_ + n));
    return {buf_.data() + size_, buf_.size() - size_};
  }
  void commit(size_t n) override { size_ += n; }

  bool next(ShellMsg& out) override {
    if (pos_ == size_) return false;
    const char* start = buf_.data() + pos_;
    size_t avail = size_ - pos_;
    if (static_cast<unsigned char>(start[0]) < 0x80) {
      // A positive fixint: the first byte of ASCII text, never of a message.
      std::string_view text(start, std::min<size_t>(avail, 200));
      throw ProtocolError(
          "the child wrote output that is not protocol (a print to stdout?); every message "
          "must be a msgpack map",
          printable(text.substr(0, text.find('\n')), 200));
    }
    builder_.begin(out);
    MessageVisitor visitor(builder_);
    size_t off = 0;
    msgpack::parse_return r;
    try {
      r = msgpack::detail::parse_imp(start, avail, off, visitor);
    } catch (const std::exception& e) {
      throw ProtocolError(fmt::format("malformed msgpack from the child: {}", e.what()),
                          printable(std::string_view(start, std::min<size_t>(avail, 200)), 200));
    }
    switch (r) {
      case msgpack::PARSE_CONTINUE:
        return false;  // parsed again from the start once more bytes are in
      case msgpack::PARSE_SUCCESS:
      case msgpack::PARSE_EXTRA_BYTES:
        break;
      case msgpack::PARSE_STOP_VISITOR:
        keepLast(start, std::min(avail, kKeepRaw));
        throw ProtocolError(builder_.error().empty() ? "a map key that is a list or a map"
                                                    : builder_.error(),
                            lastMessageText(300));
      default:
        throw ProtocolError("malformed msgpack from the child",
                            printable(std::string_view(start, std::min<size_t>(avail, 200)), 200));
    }
    keepLast(start, off);
    pos_ += off;
    if (!builder_.done()) throw ProtocolError("expected a msgpack map", lastMessageText(300));
    return true;
  }

  std::string lastMessageText(size_t max) const override {
    if (last_.empty()) return {};
    try {
      msgpack::object_handle oh = msgpack::unpack(last_.data(), last_.size());
      std::ostringstream s;
      s << oh.get();
      return printable(s.str(), max);
    } catch (const std::exception&) {
      return printable(last_, max) + fmt::format(" ({} bytes)", lastSize_);
    }
  }
  std::string pendingText(size_t max) const override {
    return printable(std::string_view(buf_.data() + pos_, size_ - pos_), max);
  }

 private:
  static constexpr size_t kKeepRaw = 4096;

  void keepLast(const char* p, size_t n) {
    lastSize_ = n;
    last_.assign(p, std::min(n, kKeepRaw));
  }

  std::vector<char> buf_ = std::vector<char>(1 << 16);
  size_t pos_ = 0;
  size_t size_ = 0;
  std::string last_;  // the raw bytes of the last message (at most kKeepRaw)
  size_t lastSize_ = 0;
  MessageBuilder builder_;
};

class MsgpackSerializer : public Serializer {
 public:
  const char* name() const override { return "msgpack"; }
  void writeMessage(std::string& out, const Value& message) const override {
    StringSink sink{&out};
    Packer pk(sink);
    packValue(pk, message);
  }
  void writeTuple(std::string& out, std::string_view id, const std::string* comp,
                  std::string_view stream, int64_t task, const Values& values) const override {
    StringSink sink{&out};
    Packer pk(sink);
    pk.pack_map(5);
    packString(pk, "id");
    packString(pk, id);
    packString(pk, "comp");
    if (comp) {
      packString(pk, *comp);
    } else {
      pk.pack_nil();
    }
    packString(pk, "stream");
    packString(pk, stream);
    packString(pk, "task");
    pk.pack_int64(task);
    packString(pk, "tuple");
    pk.pack_array(static_cast<uint32_t>(values.size()));
    for (const Value& v : values) packValue(pk, v);
  }
  void writeTaskIds(std::string& out, const TaskIds& ids) const override {
    StringSink sink{&out};
    Packer pk(sink);
    pk.pack_array(static_cast<uint32_t>(ids.size()));
    for (int t : ids) pk.pack_int64(t);
  }
  void writeCommand(std::string& out, std::string_view command,
                    const Value& id) const override {
    StringSink sink{&out};
    Packer pk(sink);
    pk.pack_map(2);
    packString(pk, "command");
    packString(pk, command);
    packString(pk, "id");
    packValue(pk, id);
  }
  std::unique_ptr<MessageReader> newReader() const override {
    return std::make_unique<MsgpackReader>();
  }
};

}  // namespace

std::unique_ptr<Serializer> makeMsgpackSerializer() {
  return std::make_unique<MsgpackSerializer>();
}

}  // namespace squall::internal
