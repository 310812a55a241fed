#include "multilang/msgpack_flat_message.h"

#include <cstdint>
#include <cstring>
#include <string_view>

namespace squall::internal {

namespace {

// The bytes of one message, read front to back; every reader returns false when the bytes
// it needs have not arrived.
class MsgpackBytes {
 public:
  MsgpackBytes(const char* p, size_t n)
      : start_(reinterpret_cast<const unsigned char*>(p)), p_(start_), end_(start_ + n) {}

  bool byte(unsigned& c) {
    if (p_ == end_) return false;
    c = *p_++;
    return true;
  }
  // A big-endian unsigned integer of `n` bytes (1, 2, 4 or 8).
  bool bigEndian(int n, uint64_t& v) {
    if (end_ - p_ < n) return false;
    v = msgpackBigEndian(p_, n);
    p_ += n;
    return true;
  }
  bool bytes(uint64_t n, std::string_view& out) {
    if (static_cast<uint64_t>(end_ - p_) < n) return false;
    out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  size_t taken() const { return static_cast<size_t>(p_ - start_); }

 private:
  const unsigned char* start_;
  const unsigned char* p_;
  const unsigned char* end_;
};

// A str (fixstr, str 8/16/32) whose header byte is `c`, holding UTF-8 (or surrogates, as the
// visitor accepts); the view points into the message.
bool msgpackUtf8Str(MsgpackBytes& in, unsigned c, std::string_view& s) {
  uint64_t n;
  if ((c & 0xe0) == 0xa0) {
    n = c & 0x1f;
  } else {
    int lenBytes = c == 0xd9 ? 1 : c == 0xda ? 2 : c == 0xdb ? 4 : 0;
    if (lenBytes == 0 || !in.bigEndian(lenBytes, n)) return false;
  }
  return in.bytes(n, s) && isUtf8OrSurrogates(s);
}

// A nil, boolean, integer, float or UTF-8 str whose header byte is `c`, handed to the builder
// as the visitor would hand it.
bool msgpackScalar(MsgpackBytes& in, unsigned c, MessageBuilder& b) {
  if (c <= 0x7f) return b.value(Value(static_cast<int64_t>(c)));  // positive fixint
  if (c >= 0xe0) return b.value(Value(static_cast<int64_t>(static_cast<int8_t>(c))));
  uint64_t v;
  switch (c) {
    case 0xc0:
      return b.value(Value());
    case 0xc2:
      return b.value(Value(false));
    case 0xc3:
      return b.value(Value(true));
    case 0xca: {  // float 32
      if (!in.bigEndian(4, v)) return false;
      uint32_t bits = static_cast<uint32_t>(v);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return b.value(Value(static_cast<double>(f)));
    }
    case 0xcb: {  // float 64
      if (!in.bigEndian(8, v)) return false;
      double d;
      std::memcpy(&d, &v, sizeof d);
      return b.value(Value(d));
    }
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:  // uint 8/16/32/64: above INT64_MAX a Value holds a BigInt
      return in.bigEndian(1 << (c - 0xcc), v) && b.value(Value(v));
    case 0xd0:
      return in.bigEndian(1, v) && b.value(Value(static_cast<int8_t>(v)));
    case 0xd1:
      return in.bigEndian(2, v) && b.value(Value(static_cast<int16_t>(v)));
    case 0xd2:
      return in.bigEndian(4, v) && b.value(Value(static_cast<int32_t>(v)));
    case 0xd3:
      return in.bigEndian(8, v) && b.value(Value(static_cast<int64_t>(v)));
    default:
      break;
  }
  std::string_view s;
  return msgpackUtf8Str(in, c, s) && b.text(s);
}

// How many elements a fixarray or array 16 holds; false for any other header.
bool msgpackArrayHeader(MsgpackBytes& in, unsigned c, uint64_t& n) {
  if ((c & 0xf0) == 0x90) {
    n = c & 0x0f;
    return true;
  }
  return c == 0xdc && in.bigEndian(2, n);
}

}  // namespace

size_t decodeFlatMsgpackMessage(MessageBuilder& b, ShellMsg& out, const char* data, size_t avail) {
  MsgpackBytes in(data, avail);
  b.begin(out);
  unsigned c;
  uint64_t members;
  if (!in.byte(c)) return 0;
  if ((c & 0xf0) == 0x80) {
    members = c & 0x0f;
  } else if (c != 0xde || !in.bigEndian(2, members)) {
    return 0;
  }
  if (!b.startMap()) return 0;
  for (uint64_t i = 0; i < members; ++i) {
    std::string_view key;
    if (!in.byte(c) || !msgpackUtf8Str(in, c, key) || !b.key(key) || !in.byte(c)) return 0;
    uint64_t elements;
    if (!msgpackArrayHeader(in, c, elements)) {
      if (!msgpackScalar(in, c, b)) return 0;
      continue;
    }
    if (!b.startArray()) return 0;
    for (uint64_t e = 0; e < elements; ++e) {
      if (!in.byte(c) || !msgpackScalar(in, c, b)) return 0;
    }
    if (!b.endArray()) return 0;
  }
  if (!b.endMap() || !b.done()) return 0;
  return in.taken();
}

}  // namespace squall::internal
