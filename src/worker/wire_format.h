#pragma once
// The wire format between workers (version kWireVersion). Plan-free: it knows values, tuples
// as (destination task, source task, stream index, anchors, values) and acking records, not
// what a topology means by them; the transport checks them against its plan.
//
// Frame: u32 little-endian length of what follows (type byte + payload), u8 FrameType, payload.
// A length over the reader's bound (kMaxHandshakeFrameBytes until the peer has proved it knows
// the topology's secret, kMaxFrameBytes after) is an error, so a stray peer cannot make us
// buffer more than a few KiB. Integers are LEB128 varints (signed ones zigzag), 64-bit ids
// fixed little-endian, strings and bytes a varint length then the bytes.
//
// A Value is a tag byte then its body; adding a Value alternative is one case in encodeValue
// and one in decodeValue (the switch over ValueType has no default, so the compiler points at
// it). Decoding never trusts a count: lengths are checked against the bytes left and nesting
// is bounded by kMaxValueDepth. Every malformed input raises WireError, nothing else.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "acker/ack_record.h"
#include "squall/message_id.h"
#include "squall/value.h"

namespace squall::worker {

inline constexpr uint32_t kWireMagic = 0x4C515153;  // "SQQL"
inline constexpr uint16_t kWireVersion = 1;
inline constexpr size_t kMaxFrameBytes = 16u << 20;
inline constexpr size_t kMaxHandshakeFrameBytes = 4096;
inline constexpr int kMaxValueDepth = 64;
inline constexpr size_t kNonceBytes = 16;
inline constexpr size_t kMacBytes = 32;

enum class FrameType : uint8_t {
  Challenge = 1,     // acceptor -> connector: magic, version, nonce
  Hello = 2,         // connector -> acceptor: who it is, and a MAC over both nonces
  Welcome = 3,       // acceptor -> connector: its MAC, proving it knows the secret too
  Batch = 4,         // tuples and acking records
  BackPressure = 5,  // the sender's executors whose queues are full
};

enum class ValueTag : uint8_t { Null, False, True, Int, Double, String, Bytes, List, Map, BigInt };

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Encoders that write through a pointer into room already reserved (see WireWriter).
inline char* putVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline char* putFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return p + 8;
}
inline constexpr size_t kMaxVarintBytes = 10;

// A byte buffer that the hot path writes through a pointer: reserve(room for the longest
// encoding), write, commit(where the writing ended), with no capacity check per byte.
class WireWriter {
 public:
  std::string_view buffer() const { return {buf_.data(), size_}; }
  char* data() { return buf_.data(); }
  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  // Drops what was written after the first `n` bytes.
  void truncate(size_t n) { size_ = std::min(n, size_); }

  // At least `n` bytes of room at the end; then commit().
  char* reserve(size_t n) {
    if (buf_.size() - size_ < n) expand(n);
    return buf_.data() + size_;
  }
  void commit(const char* end) { size_ = static_cast<size_t>(end - buf_.data()); }

  void u8(uint8_t v) {
    char* p = reserve(1);
    *p = static_cast<char>(v);
    commit(p + 1);
  }
  void u16(uint16_t v) { fixed(v, 2); }
  void u32(uint32_t v) { fixed(v, 4); }
  void u64(uint64_t v) { fixed(v, 8); }
  void varint(uint64_t v) { commit(putVarint(reserve(kMaxVarintBytes), v)); }
  void svarint(int64_t v) { varint(zigzag(v)); }
  void bytes(std::string_view s) {
    char* p = putVarint(reserve(kMaxVarintBytes + s.size()), s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    commit(p + s.size());
  }
  void raw(const void* src, size_t n) {
    char* p = reserve(n);
    if (n) std::memcpy(p, src, n);
    commit(p + n);
  }
  void value(const Value& v);

  // Starts a frame of `type`; returns where it starts, for endFrame to write its length.
  size_t beginFrame(FrameType type) {
    size_t at = size_;
    u32(0);
    u8(static_cast<uint8_t>(type));
    return at;
  }
  void endFrame(size_t at) {
    uint32_t len = static_cast<uint32_t>(size_ - at - 4);
    for (int i = 0; i < 4; ++i) buf_[at + i] = static_cast<char>((len >> (8 * i)) & 0xff);
  }

 private:
  void fixed(uint64_t v, int n) {
    char* p = reserve(8);
    for (int i = 0; i < n; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    commit(p + n);
  }
  void expand(size_t n) { buf_.resize(std::max({buf_.size() * 2, size_ + n, size_t{256}})); }
  std::string buf_;  // its size is the capacity; size_ bytes of it are written
  size_t size_ = 0;
};

class WireReader {
 public:
  WireReader(const char* p, size_t n) : p_(reinterpret_cast<const uint8_t*>(p)), end_(p_ + n) {}

  bool done() const { return p_ == end_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  uint8_t u8() {
    need(1);
    return *p_++;
  }
  uint16_t u16() { return static_cast<uint16_t>(fixed(2)); }
  uint32_t u32() { return static_cast<uint32_t>(fixed(4)); }
  uint64_t u64() { return fixed(8); }
  uint64_t varint() {
    // Most varints are one byte (counts, task ids, short lengths).
    if (p_ != end_ && *p_ < 0x80) return *p_++;
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = u8();
      if (shift == 63 && b > 1) throw WireError("varint overflows 64 bits");
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw WireError("varint longer than 10 bytes");
  }
  int64_t svarint() {
    uint64_t z = varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  // A varint that must fit in an int32 (task ids).
  int32_t task() {
    int64_t v = svarint();
    if (v < INT32_MIN || v > INT32_MAX) throw WireError("task id out of range");
    return static_cast<int32_t>(v);
  }
  // A count of items each at least `minBytes` long: never more than the bytes left allow.
  size_t count(size_t minBytes) {
    uint64_t n = varint();
    if (n > left() / (minBytes ? minBytes : 1)) throw WireError("count exceeds the frame");
    return static_cast<size_t>(n);
  }
  std::string_view bytes() {
    size_t n = count(1);
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  void raw(void* out, size_t n) {
    need(n);
    std::memcpy(out, p_, n);
    p_ += n;
  }
  Value value(int depth = 0);

 private:
  void need(size_t n) const {
    if (left() < n) throw WireError("frame ends early");
  }
  uint64_t fixed(int n) {
    need(static_cast<size_t>(n));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += n;
    return v;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

// Splits a received byte stream into frames. Owned by one connection's reader.
class FrameReader {
 public:
  struct Frame {
    FrameType type;
    const char* data;  // the payload, valid until the next call to writable()
    size_t size;
  };

  explicit FrameReader(size_t maxFrameBytes) : max_(maxFrameBytes) {}
  void setMaxFrameBytes(size_t n) { max_ = n; }

  // Room for at least `min` more bytes; write into it, then commit(n).
  std::span<char> writable(size_t min);
  void commit(size_t n) { end_ += n; }
  // The next complete frame, or nullopt; WireError on a bad length or an unknown type.
  std::optional<Frame> next();
  size_t buffered() const { return end_ - start_; }

 private:
  std::vector<char> buf_;
  size_t start_ = 0;
  size_t end_ = 0;
  size_t max_;
};

// --- Handshake ---------------------------------------------------------------------------

struct Challenge {
  uint16_t version = kWireVersion;
  uint8_t nonce[kNonceBytes] = {};
};

struct Hello {
  uint16_t version = kWireVersion;
  std::string topologyId;
  uint32_t from = 0;  // worker index of the connector
  uint32_t to = 0;    // worker index it believes it reached
  uint64_t planFingerprint = 0;
  uint8_t nonce[kNonceBytes] = {};
  uint8_t mac[kMacBytes] = {};
};

struct Welcome {
  uint8_t mac[kMacBytes] = {};
};

void encode(WireWriter& w, const Challenge& c);
void encode(WireWriter& w, const Hello& h);
void encode(WireWriter& w, const Welcome& m);
// Each checks the magic and version first, so a peer of another version gets a clear error.
Challenge decodeChallenge(WireReader& r);
Hello decodeHello(WireReader& r);
Welcome decodeWelcome(WireReader& r);

// --- Data --------------------------------------------------------------------------------

struct WireTuple {
  int32_t destTask = 0;
  int32_t sourceTask = 0;
  uint32_t stream = 0;  // index of the stream among the source component's, sorted by name
  std::vector<MessageId::Entry> anchors;
  Values values;
};

// A batch: varint item count, then items, each a kind byte (0 tuple, 1 acking record) then
// its body. The writer side appends items one at a time between beginBatch and endBatch.
class BatchWriter {
 public:
  explicit BatchWriter(WireWriter& w) : w_(w) {}
  void begin();
  void tuple(int32_t destTask, int32_t sourceTask, uint32_t stream, const MessageId& id,
             const Values& values);
  void ack(const internal::AckRecord& r);
  // Ends the frame; returns the number of items (0: nothing was written).
  size_t end();
  size_t items() const { return items_; }

 private:
  WireWriter& w_;
  size_t frameAt_ = 0;
  size_t countAt_ = 0;
  size_t items_ = 0;
};

// Decodes a Batch payload, calling onTuple(WireTuple&) (which may move the values out) and
// onAck(const AckRecord&) in order. `scratch` is reused across calls.
template <class OnTuple, class OnAck>
void decodeBatch(WireReader& r, WireTuple& scratch, OnTuple&& onTuple, OnAck&& onAck);

struct BackPressureStatus {
  uint64_t seq = 0;
  std::vector<int32_t> executors;  // start tasks of the sender's executors under backpressure
};

void encode(WireWriter& w, const BackPressureStatus& s);
BackPressureStatus decodeBackPressure(WireReader& r);

// The same batch, decoded piece by piece by a receiver that checks each tuple against its plan
// before decoding the rest and decodes values straight into the tuple body it will deliver:
// decodeBatchItems calls onTuple(const WireTupleHead&, WireReader&), which must read the
// tuple's anchors (decodeAnchors) and then its values (r.count(1), then decodeValuesInto).
struct WireTupleHead {
  int32_t destTask = 0;
  int32_t sourceTask = 0;
  uint32_t stream = 0;
};
WireTupleHead decodeTupleHead(WireReader& r);
// Calls f(root, edge) for each anchor.
template <class F>
void decodeAnchors(WireReader& r, F&& f);
// `n` values (a count already read and checked) into `out`, reusing its elements.
void decodeValuesInto(WireReader& r, Values& out, size_t n);
template <class OnTuple, class OnAck>
void decodeBatchItems(WireReader& r, OnTuple&& onTuple, OnAck&& onAck);

// --- implementation of the templates -----------------------------------------------------

internal::AckRecord decodeAck(WireReader& r);
void decodeTupleInto(WireReader& r, WireTuple& t);

template <class F>
void decodeAnchors(WireReader& r, F&& f) {
  size_t anchors = r.count(16);
  for (size_t i = 0; i < anchors; ++i) {
    uint64_t root = r.u64();
    uint64_t edge = r.u64();
    f(root, edge);
  }
}

template <class OnTuple, class OnAck>
void decodeBatchItems(WireReader& r, OnTuple&& onTuple, OnAck&& onAck) {
  // The item count is a fixed u32 written at the end (see BatchWriter).
  uint32_t n = r.u32();
  if (n > r.left()) throw WireError("batch count exceeds the frame");
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t kind = r.u8();
    if (kind == 0) {
      WireTupleHead h = decodeTupleHead(r);
      onTuple(h, r);
    } else if (kind == 1) {
      onAck(decodeAck(r));
    } else {
      throw WireError("unknown batch item kind " + std::to_string(kind));
    }
  }
  if (!r.done()) throw WireError("bytes after the last batch item");
}

template <class OnTuple, class OnAck>
void decodeBatch(WireReader& r, WireTuple& scratch, OnTuple&& onTuple, OnAck&& onAck) {
  decodeBatchItems(
      r,
      [&](const WireTupleHead& h, WireReader& rr) {
        scratch.destTask = h.destTask;
        scratch.sourceTask = h.sourceTask;
        scratch.stream = h.stream;
        scratch.anchors.clear();
        decodeAnchors(
            rr, [&](uint64_t root, uint64_t edge) { scratch.anchors.emplace_back(root, edge); });
        decodeValuesInto(rr, scratch.values, rr.count(1));
        onTuple(scratch);
      },
      onAck);
}

}  // namespace squall::worker
