// pystorm's msgpack framing (python-users.md 1.3): complete msgpack objects back to back, no
// delimiter. Strings are written as msgpack str and bytes as bin; on input str and bin are
// both accepted wherever text is expected (pystorm does not set use_bin_type).
// A str that is not UTF-8 arrives as bytes (old packers write bytes as str). Integers beyond
// the msgpack int range travel as ext type kBigIntExt holding decimal text (docs/VALUES.md).

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <sstream>

#include "multilang/message_builder.h"
#include "multilang/message_fields.h"
#include "multilang/msgpack.h"
#include "multilang/msgpack_flat_message.h"
#include "multilang/serializer.h"

namespace squall::internal {

namespace {

struct StringSink {
  std::string* out;
  void write(const char* p, size_t n) { out->append(p, n); }
};
using Packer = msgpack::packer<StringSink>;

std::atomic<bool> msgpackFlatFastPath{true};  // setMsgpackFlatFastPath()

// The ext type of an integer outside [-2^63, 2^64): its decimal text, as squall's Python
// serializer packs and unpacks Python ints of that size.
constexpr int8_t kBigIntExt = 1;

void packString(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

// The same bytes as packString, for the short strings of every tuple sent (the keys, the
// id, the component and stream): a fixstr header and the text, two appends instead of the
// packer's calls (about 115 instructions a string, most of encoding a tuple).
void appendString(std::string& out, std::string_view s) {
  if (s.size() < 32) {
    out.push_back(static_cast<char>(0xa0 | s.size()));
    out.append(s.data(), s.size());
    return;
  }
  StringSink sink{&out};
  Packer pk(sink);
  packString(pk, s);
}

// Always a float 64: msgpack-cxx's pack_double writes a whole-valued double (60.0) as an
// integer, and a Python float would come back an int.
void packFloat64(Packer& pk, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  char buf[9];
  buf[0] = static_cast<char>(0xcb);
  for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
  pk.pack_bin_body(buf, sizeof buf);  // the body writers append raw bytes
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
      packFloat64(pk, v.asDouble());
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
    case ValueType::BigInt: {
      const BigInt& b = v.asBigInt();
      uint64_t u;
      if (b.toUint64(u)) {
        pk.pack_uint64(u);
        return;
      }
      pk.pack_ext(b.digits.size(), kBigIntExt);
      pk.pack_ext_body(b.digits.data(), static_cast<uint32_t>(b.digits.size()));
      return;
    }
  }
}

// How many bytes the msgpack header at p claims for its body (str, bin, ext: the body; array,
// map: the elements it will hold), its own size, and the count of objects that follow it.
struct Header {
  size_t headerSize = 0;  // 0: not all of the header has arrived
  uint64_t bodySize = 0;
  uint64_t children = 0;
};

Header headerAt(const unsigned char* p, size_t avail) {
  Header h;
  unsigned char c = p[0];
  auto sized = [&](int lenBytes, int extra, bool isContainer, uint64_t perItem) {
    if (avail < static_cast<size_t>(1 + lenBytes + extra)) return;
    uint64_t n = msgpackBigEndian(p + 1, lenBytes);
    h.headerSize = static_cast<size_t>(1 + lenBytes + extra);
    if (isContainer) {
      h.children = n * perItem;
    } else {
      h.bodySize = n;
    }
  };
  if (c <= 0x7f || c >= 0xe0 || (c >= 0xc0 && c <= 0xc3)) {
    h.headerSize = 1;  // fixint, nil, bool (0xc1 is malformed; the parser says so)
  } else if (c <= 0x8f) {
    h.headerSize = 1;
    h.children = 2u * (c & 0x0f);
  } else if (c <= 0x9f) {
    h.headerSize = 1;
    h.children = c & 0x0f;
  } else if (c <= 0xbf) {
    h.headerSize = 1;
    h.bodySize = c & 0x1f;
  } else {
    switch (c) {
      case 0xc4:
      case 0xd9:
        sized(1, 0, false, 0);
        break;  // bin8, str8
      case 0xc5:
      case 0xda:
        sized(2, 0, false, 0);
        break;  // bin16, str16
      case 0xc6:
      case 0xdb:
        sized(4, 0, false, 0);
        break;  // bin32, str32
      case 0xc7:
        sized(1, 1, false, 0);
        break;  // ext8
      case 0xc8:
        sized(2, 1, false, 0);
        break;  // ext16
      case 0xc9:
        sized(4, 1, false, 0);
        break;  // ext32
      case 0xca:
        h.headerSize = 1;
        h.bodySize = 4;
        break;  // float32
      case 0xcb:
        h.headerSize = 1;
        h.bodySize = 8;
        break;  // float64
      case 0xcc:
      case 0xd0:
        h.headerSize = 1;
        h.bodySize = 1;
        break;
      case 0xcd:
      case 0xd1:
        h.headerSize = 1;
        h.bodySize = 2;
        break;
      case 0xce:
      case 0xd2:
        h.headerSize = 1;
        h.bodySize = 4;
        break;
      case 0xcf:
      case 0xd3:
        h.headerSize = 1;
        h.bodySize = 8;
        break;
      case 0xd4:
        h.headerSize = 2;
        h.bodySize = 1;
        break;  // fixext 1
      case 0xd5:
        h.headerSize = 2;
        h.bodySize = 2;
        break;
      case 0xd6:
        h.headerSize = 2;
        h.bodySize = 4;
        break;
      case 0xd7:
        h.headerSize = 2;
        h.bodySize = 8;
        break;
      case 0xd8:
        h.headerSize = 2;
        h.bodySize = 16;
        break;
      case 0xdc:
        sized(2, 0, true, 1);
        break;  // array16
      case 0xdd:
        sized(4, 0, true, 1);
        break;  // array32
      case 0xde:
        sized(2, 0, true, 2);
        break;  // map16
      case 0xdf:
        sized(4, 0, true, 2);
        break;  // map32
      default:
        h.headerSize = 1;
        break;
    }
    if (h.headerSize > avail) h.headerSize = 0;
  }
  return h;
}

// The least size the incomplete message at p must reach, from the headers that have arrived:
// every body claimed, and at least one byte for each object announced. A str32 header claiming
// 2 GB is known to be too big from its first 5 bytes.
uint64_t leastMessageSize(const unsigned char* p, size_t avail) {
  uint64_t pending = 1;  // objects still to walk
  uint64_t off = 0;
  while (pending > 0 && off < avail) {
    Header h = headerAt(p + off, avail - off);
    if (h.headerSize == 0) break;
    --pending;
    off += h.headerSize;
    if (h.bodySize > 0) {
      off += h.bodySize;
      if (off > avail) return off + pending;
    }
    pending += h.children;
    // Each pending object takes at least a byte: stop walking once that alone is decisive.
    if (pending > (uint64_t{1} << 40)) break;
  }
  return off + pending;
}

// msgpack-cxx's parse events, handed to the MessageBuilder: no zone, no object tree.
class MessageVisitor : public msgpack::null_visitor {
 public:
  explicit MessageVisitor(MessageBuilder& b) : b_(b) {}

  // Called by the parser's init() before each message.
  void init() { inKey_ = false; }

  bool visit_nil() { return put(Value()); }
  bool visit_boolean(bool v) { return put(Value(v)); }
  bool visit_positive_integer(uint64_t v) { return put(Value(v)); }  // BigInt > INT64_MAX
  bool visit_negative_integer(int64_t v) { return put(Value(v)); }
  bool visit_float32(float v) { return put(Value(static_cast<double>(v))); }
  bool visit_float64(double v) { return put(Value(v)); }
  bool visit_str(const char* p, uint32_t n) {
    std::string_view text(p, n);
    bool utf8 = isUtf8OrSurrogates(text);
    if (inKey_) {
      if (!utf8) {
        b_.poison(fmt::format("a map key that is not UTF-8: \"{}\"", printable(text, 60)), true);
      }
      return b_.key(text);
    }
    // Not UTF-8: raw bytes from a packer that writes bytes as str; kept as they are.
    if (!utf8) return put(Value(Bytes{std::string(text)}));
    return b_.text(text);
  }
  bool visit_bin(const char* p, uint32_t n) {
    if (inKey_) return b_.key(std::string_view(p, n));
    return put(Value(Bytes{std::string(p, n)}));
  }
  bool visit_ext(const char* p, uint32_t n) {
    // p[0] is the ext type, then the body.
    if (n >= 1 && static_cast<int8_t>(p[0]) == kBigIntExt) {
      std::string_view digits(p + 1, n - 1);
      try {
        return put(Value::integer(digits));
      } catch (const std::exception&) {
        b_.poison(fmt::format("ext type {} (a big integer) holding \"{}\", not decimal digits",
                              kBigIntExt, printable(digits, 60)));
        return put(Value());
      }
    }
    return put(Value(Bytes{std::string(p, n)}));
  }
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
    if (inKey_) return b_.ownedKey(v.toString());  // an integer key, say
    return b_.value(std::move(v));
  }

  MessageBuilder& b_;
  bool inKey_ = false;
};

class MsgpackReader : public MessageReader {
 public:
  explicit MsgpackReader(size_t maxBytes) : max_(maxBytes) {}

  std::span<char> prepare(size_t n) override {
    keepLastCopy();
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
    size_t off = msgpackFlatFastPath.load(std::memory_order_relaxed)
                     ? decodeFlatMsgpackMessage(builder_, out, start, avail)
                     : 0;
    if (off == 0) off = parseWithVisitor(out, start, avail);
    if (off == 0) return false;  // parsed again from the start once more bytes are in
    if (off > max_) {
      throwTooLarge(off, false, max_,
                    printable(std::string_view(start, std::min<size_t>(off, 64)), 64));
    }
    // The buffer keeps the message's bytes until the next prepare(): copied only then.
    lastInBuf_ = true;
    lastOff_ = pos_;
    lastSize_ = off;
    pos_ += off;
    if (!builder_.done()) throw ProtocolError("expected a msgpack map", lastMessageText(300));
    return true;
  }

  std::string lastMessageText(size_t max) const override {
    std::string_view last =
        lastInBuf_ ? std::string_view(buf_.data() + lastOff_, std::min(lastSize_, kKeepRaw))
                   : std::string_view(last_);
    if (last.empty()) return {};
    try {
      // Limits: the counts in these (at most kKeepRaw) bytes come from the child, and unpack
      // allocates room for a whole array or map as soon as it reads the header.
      msgpack::unpack_limit limit(kKeepRaw, kKeepRaw, kKeepRaw, kKeepRaw, kKeepRaw, 64);
      msgpack::object_handle oh =
          msgpack::unpack(last.data(), last.size(), nullptr, nullptr, limit);
      std::ostringstream s;
      s << oh.get();
      return printable(s.str(), max);
    } catch (const std::exception&) {
      return printable(last, max) + fmt::format(" ({} bytes)", lastSize_);
    }
  }
  std::string pendingText(size_t max) const override {
    return printable(std::string_view(buf_.data() + pos_, size_ - pos_), max);
  }

 private:
  static constexpr size_t kKeepRaw = 4096;
  const size_t max_;

  // msgpack-cxx's parse of the message at `start` through the visitor: the bytes it took, or
  // 0 when the message has not fully arrived; ProtocolError when it is malformed, too large
  // already, or not a message the builder takes.
  size_t parseWithVisitor(ShellMsg& out, const char* start, size_t avail) {
    builder_.begin(out);
    parser_.init();
    size_t off = 0;
    msgpack::parse_return r;
    try {
      r = parser_.execute(start, avail, off);
      if (r == msgpack::PARSE_SUCCESS && off < avail) r = msgpack::PARSE_EXTRA_BYTES;
    } catch (const std::exception& e) {
      throw ProtocolError(fmt::format("malformed msgpack from the child: {}", e.what()),
                          printable(std::string_view(start, std::min<size_t>(avail, 200)), 200));
    }
    switch (r) {
      case msgpack::PARSE_CONTINUE: {
        // Refuse at once a message whose headers already claim more than the maximum, rather
        // than wait (until the heartbeat timeout) for bytes that would not fit anyway.
        uint64_t least = std::max<uint64_t>(
            avail, leastMessageSize(reinterpret_cast<const unsigned char*>(start), avail));
        if (least > max_) {
          throwTooLarge(static_cast<size_t>(least), true, max_,
                        printable(std::string_view(start, std::min<size_t>(avail, 64)), 64));
        }
        return 0;
      }
      case msgpack::PARSE_SUCCESS:
      case msgpack::PARSE_EXTRA_BYTES:
        return off;
      case msgpack::PARSE_STOP_VISITOR:
        keepLast(start, std::min(avail, kKeepRaw));
        throw ProtocolError(
            builder_.error().empty() ? "a map key that is a list or a map" : builder_.error(),
            lastMessageText(300));
      default:
        throw ProtocolError("malformed msgpack from the child",
                            printable(std::string_view(start, std::min<size_t>(avail, 200)), 200));
    }
  }

  void keepLastCopy() {
    if (!lastInBuf_) return;
    last_.assign(buf_.data() + lastOff_, std::min(lastSize_, kKeepRaw));
    lastInBuf_ = false;
  }

  void keepLast(const char* p, size_t n) {
    lastInBuf_ = false;
    lastSize_ = n;
    last_.assign(p, std::min(n, kKeepRaw));
  }

  std::vector<char> buf_ = std::vector<char>(1 << 16);
  size_t pos_ = 0;
  size_t size_ = 0;
  std::string last_;  // the raw bytes of the last message (at most kKeepRaw)
  size_t lastSize_ = 0;
  bool lastInBuf_ = false;  // the last message is still at buf_[lastOff_], not copied
  size_t lastOff_ = 0;
  MessageBuilder builder_;
  // Kept from message to message: a parser made per message allocated its container stack
  // each time (msgpack::detail::parse_imp). Reset by init() before each message.
  MessageVisitor visitor_{builder_};
  msgpack::detail::parse_helper<MessageVisitor> parser_{visitor_};
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
    appendString(out, "id");
    appendString(out, id);
    appendString(out, "comp");
    if (comp) {
      appendString(out, *comp);
    } else {
      pk.pack_nil();
    }
    appendString(out, "stream");
    appendString(out, stream);
    appendString(out, "task");
    pk.pack_int64(task);
    appendString(out, "tuple");
    pk.pack_array(static_cast<uint32_t>(values.size()));
    for (const Value& v : values) packValue(pk, v);
  }
  void writeTaskIds(std::string& out, const TaskIds& ids) const override {
    StringSink sink{&out};
    Packer pk(sink);
    pk.pack_array(static_cast<uint32_t>(ids.size()));
    for (int t : ids) pk.pack_int64(t);
  }
  void writeCommand(std::string& out, std::string_view command, const Value& id) const override {
    StringSink sink{&out};
    Packer pk(sink);
    pk.pack_map(2);
    packString(pk, "command");
    packString(pk, command);
    packString(pk, "id");
    packValue(pk, id);
  }

 protected:
  std::unique_ptr<MessageReader> makeReader(size_t maxMessageBytes) const override {
    return std::make_unique<MsgpackReader>(maxMessageBytes);
  }
};

}  // namespace

void setMsgpackFlatFastPath(bool on) {
  msgpackFlatFastPath.store(on, std::memory_order_relaxed);
}

std::unique_ptr<Serializer> makeMsgpackSerializer() {
  return std::make_unique<MsgpackSerializer>();
}

}  // namespace squall::internal
