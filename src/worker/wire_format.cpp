#include "worker/wire_format.h"

#include <fmt/format.h>

#include <memory>
#include <new>

namespace squall::worker {

void WireWriter::value(const Value& v) {
  switch (v.type()) {
    case ValueType::Null:
      u8(static_cast<uint8_t>(ValueTag::Null));
      return;
    case ValueType::Bool:
      u8(static_cast<uint8_t>(v.asBool() ? ValueTag::True : ValueTag::False));
      return;
    case ValueType::Int: {
      char* p = reserve(1 + kMaxVarintBytes);
      *p = static_cast<char>(ValueTag::Int);
      commit(putVarint(p + 1, zigzag(v.asInt())));
      return;
    }
    case ValueType::Double: {
      u8(static_cast<uint8_t>(ValueTag::Double));
      double d = v.asDouble();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      u64(bits);
      return;
    }
    case ValueType::String: {
      const std::string& str = v.asString();
      char* p = reserve(1 + kMaxVarintBytes + str.size());
      *p = static_cast<char>(ValueTag::String);
      p = putVarint(p + 1, str.size());
      if (!str.empty()) std::memcpy(p, str.data(), str.size());
      commit(p + str.size());
      return;
    }
    case ValueType::Bytes:
      u8(static_cast<uint8_t>(ValueTag::Bytes));
      bytes(v.asBytes().data);
      return;
    case ValueType::List: {
      u8(static_cast<uint8_t>(ValueTag::List));
      const List& l = v.asList();
      varint(l.size());
      for (const auto& e : l) value(e);
      return;
    }
    case ValueType::Map: {
      u8(static_cast<uint8_t>(ValueTag::Map));
      const Map& m = v.asMap();
      varint(m.size());
      for (const auto& [k, e] : m) {
        bytes(k);
        value(e);
      }
      return;
    }
    case ValueType::BigInt:
      // Its decimal digits, as JSON and Python write it: exact, and rare enough not to pack.
      u8(static_cast<uint8_t>(ValueTag::BigInt));
      bytes(v.asBigInt().digits);
      return;
  }
  throw WireError(fmt::format("cannot encode a value of type {}", valueTypeName(v.type())));
}

Value WireReader::value(int depth) {
  if (depth > kMaxValueDepth) throw WireError("values nested deeper than 64 levels");
  uint8_t tag = u8();
  switch (static_cast<ValueTag>(tag)) {
    case ValueTag::Null:
      return Value();
    case ValueTag::False:
      return Value(false);
    case ValueTag::True:
      return Value(true);
    case ValueTag::Int:
      return Value(svarint());
    case ValueTag::Double: {
      uint64_t bits = u64();
      double d;
      std::memcpy(&d, &bits, 8);
      return Value(d);
    }
    case ValueTag::String:
      return Value(std::string(bytes()));
    case ValueTag::Bytes:
      return Value(Bytes{std::string(bytes())});
    case ValueTag::List: {
      size_t n = count(1);
      List l;
      l.reserve(n);
      for (size_t i = 0; i < n; ++i) l.push_back(value(depth + 1));
      return Value(std::move(l));
    }
    case ValueTag::Map: {
      size_t n = count(2);
      Map m;
      for (size_t i = 0; i < n; ++i) {
        std::string k(bytes());
        m.insert_or_assign(std::move(k), value(depth + 1));
      }
      return Value(std::move(m));
    }
    case ValueTag::BigInt: {
      std::string_view digits = bytes();
      try {
        return Value::integer(digits);
      } catch (const std::exception&) {
        throw WireError("a big integer that is not a decimal number");
      }
    }
  }
  throw WireError(fmt::format("unknown value tag {}", tag));
}

std::span<char> FrameReader::writable(size_t min) {
  if (start_ == end_) start_ = end_ = 0;
  if (buf_.size() - end_ < min) {
    // Move what is left to the front before growing.
    if (start_ > 0) {
      std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (buf_.size() - end_ < min) buf_.resize(end_ + min);
  }
  return {buf_.data() + end_, buf_.size() - end_};
}

std::optional<FrameReader::Frame> FrameReader::next() {
  size_t have = end_ - start_;
  if (have < 4) return std::nullopt;
  const auto* p = reinterpret_cast<const uint8_t*>(buf_.data() + start_);
  uint32_t len = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                 static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  if (len == 0) throw WireError("empty frame");
  if (len > max_)
    throw WireError(fmt::format("frame of {} bytes exceeds the bound of {}", len, max_));
  if (have < 4 + static_cast<size_t>(len)) return std::nullopt;
  uint8_t type = p[4];
  if (type < static_cast<uint8_t>(FrameType::Challenge) ||
      type > static_cast<uint8_t>(FrameType::BackPressure)) {
    throw WireError(fmt::format("unknown frame type {}", type));
  }
  Frame f{static_cast<FrameType>(type), buf_.data() + start_ + 5, len - 1};
  start_ += 4 + len;
  return f;
}

namespace {

void checkPreamble(WireReader& r, uint16_t& version) {
  uint32_t magic = r.u32();
  if (magic != kWireMagic) throw WireError("not a squall worker connection (bad magic)");
  version = r.u16();
  if (version != kWireVersion) {
    throw WireError(
        fmt::format("peer speaks wire version {}, this worker speaks {}", version, kWireVersion));
  }
}

void end(WireReader& r, const char* what) {
  if (!r.done()) throw WireError(fmt::format("bytes after the end of {}", what));
}

}  // namespace

void encode(WireWriter& w, const Challenge& c) {
  size_t at = w.beginFrame(FrameType::Challenge);
  w.u32(kWireMagic);
  w.u16(c.version);
  w.raw(c.nonce, kNonceBytes);
  w.endFrame(at);
}

void encode(WireWriter& w, const Hello& h) {
  size_t at = w.beginFrame(FrameType::Hello);
  w.u32(kWireMagic);
  w.u16(h.version);
  w.bytes(h.topologyId);
  w.varint(h.from);
  w.varint(h.to);
  w.u64(h.planFingerprint);
  w.raw(h.nonce, kNonceBytes);
  w.raw(h.mac, kMacBytes);
  w.endFrame(at);
}

void encode(WireWriter& w, const Welcome& m) {
  size_t at = w.beginFrame(FrameType::Welcome);
  w.raw(m.mac, kMacBytes);
  w.endFrame(at);
}

Challenge decodeChallenge(WireReader& r) {
  Challenge c;
  checkPreamble(r, c.version);
  r.raw(c.nonce, kNonceBytes);
  end(r, "a challenge");
  return c;
}

Hello decodeHello(WireReader& r) {
  Hello h;
  checkPreamble(r, h.version);
  h.topologyId = std::string(r.bytes());
  uint64_t from = r.varint(), to = r.varint();
  if (from > UINT32_MAX || to > UINT32_MAX) throw WireError("worker index out of range");
  h.from = static_cast<uint32_t>(from);
  h.to = static_cast<uint32_t>(to);
  h.planFingerprint = r.u64();
  r.raw(h.nonce, kNonceBytes);
  r.raw(h.mac, kMacBytes);
  end(r, "a hello");
  return h;
}

Welcome decodeWelcome(WireReader& r) {
  Welcome m;
  r.raw(m.mac, kMacBytes);
  end(r, "a welcome");
  return m;
}

void BatchWriter::begin() {
  frameAt_ = w_.beginFrame(FrameType::Batch);
  countAt_ = w_.size();
  w_.u32(0);
  items_ = 0;
}

void BatchWriter::tuple(int32_t destTask, int32_t sourceTask, uint32_t stream, const MessageId& id,
                        const Values& values) {
  auto anchors = id.anchors();
  // Kind, two tasks, the stream, the anchor count, the anchors and the value count.
  char* p = w_.reserve(1 + 5 * kMaxVarintBytes + 16 * anchors.size());
  *p++ = 0;
  p = putVarint(p, zigzag(destTask));
  p = putVarint(p, zigzag(sourceTask));
  p = putVarint(p, stream);
  p = putVarint(p, anchors.size());
  for (auto [root, edge] : anchors) {
    p = putFixed64(p, root);
    p = putFixed64(p, edge);
  }
  p = putVarint(p, values.size());
  w_.commit(p);
  for (const auto& v : values) w_.value(v);
  ++items_;
}

void BatchWriter::ack(const internal::AckRecord& r) {
  w_.u8(1);
  w_.u64(r.root);
  w_.u64(r.value);
  w_.svarint(r.task);
  w_.svarint(r.destTask);
  w_.u8(static_cast<uint8_t>(r.kind));
  ++items_;
}

size_t BatchWriter::end() {
  if (items_ == 0) {
    w_.truncate(frameAt_);
    return 0;
  }
  char* b = w_.data();
  for (int i = 0; i < 4; ++i) b[countAt_ + i] = static_cast<char>((items_ >> (8 * i)) & 0xff);
  w_.endFrame(frameAt_);
  return items_;
}

internal::AckRecord decodeAck(WireReader& r) {
  internal::AckRecord a;
  a.root = r.u64();
  a.value = r.u64();
  a.task = r.task();
  a.destTask = r.task();
  uint8_t kind = r.u8();
  if (kind > static_cast<uint8_t>(internal::AckKind::TreeReset)) {
    throw WireError(fmt::format("unknown acking record kind {}", kind));
  }
  a.kind = static_cast<internal::AckKind>(kind);
  return a;
}

WireTupleHead decodeTupleHead(WireReader& r) {
  WireTupleHead h;
  h.destTask = r.task();
  h.sourceTask = r.task();
  uint64_t stream = r.varint();
  if (stream > UINT32_MAX) throw WireError("stream index out of range");
  h.stream = static_cast<uint32_t>(stream);
  return h;
}

void decodeValuesInto(WireReader& r, Values& out, size_t n) {
  // Reusing the elements a recycled body already holds keeps its vector's storage. Each value
  // is built in its slot (the old one destroyed first) rather than assigned: no temporary, no
  // variant move-assignment, which for a short string was a third copy of its bytes.
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Value* slot = &out[i];
    std::destroy_at(slot);
    try {
      ::new (static_cast<void*>(slot)) Value(r.value());
    } catch (...) {
      ::new (static_cast<void*>(slot)) Value();  // the vector still owns a live element there
      throw;
    }
  }
}

void decodeTupleInto(WireReader& r, WireTuple& t) {
  WireTupleHead h = decodeTupleHead(r);
  t.destTask = h.destTask;
  t.sourceTask = h.sourceTask;
  t.stream = h.stream;
  t.anchors.clear();
  decodeAnchors(r, [&](uint64_t root, uint64_t edge) { t.anchors.emplace_back(root, edge); });
  decodeValuesInto(r, t.values, r.count(1));
}

void encode(WireWriter& w, const BackPressureStatus& s) {
  size_t at = w.beginFrame(FrameType::BackPressure);
  w.varint(s.seq);
  w.varint(s.executors.size());
  for (int32_t e : s.executors) w.svarint(e);
  w.endFrame(at);
}

BackPressureStatus decodeBackPressure(WireReader& r) {
  BackPressureStatus s;
  s.seq = r.varint();
  size_t n = r.count(1);
  for (size_t i = 0; i < n; ++i) s.executors.push_back(r.task());
  end(r, "a backpressure status");
  return s;
}

}  // namespace squall::worker
