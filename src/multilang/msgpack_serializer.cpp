// pystorm's msgpack framing (python-users.md 1.3): complete msgpack objects back to back, no
// delimiter. Strings are written as msgpack str and bytes as bin; on input str and bin are
// both accepted wherever text is expected (pystorm does not set use_bin_type).

#include <fmt/format.h>

#include <sstream>

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

Value toValue(const msgpack::object& o);

std::string keyText(const msgpack::object& k) {
  if (k.type == msgpack::type::STR) return std::string(k.via.str.ptr, k.via.str.size);
  if (k.type == msgpack::type::BIN) return std::string(k.via.bin.ptr, k.via.bin.size);
  return toValue(k).toString();
}

Value toValue(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return Value();
    case msgpack::type::BOOLEAN:
      return Value(o.via.boolean);
    case msgpack::type::POSITIVE_INTEGER:
      if (o.via.u64 > static_cast<uint64_t>(INT64_MAX)) {
        return Value(static_cast<double>(o.via.u64));
      }
      return Value(static_cast<int64_t>(o.via.u64));
    case msgpack::type::NEGATIVE_INTEGER:
      return Value(o.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return Value(o.via.f64);
    case msgpack::type::STR:
      return Value(std::string(o.via.str.ptr, o.via.str.size));
    case msgpack::type::BIN:
      return Value(Bytes{std::string(o.via.bin.ptr, o.via.bin.size)});
    case msgpack::type::EXT:
      return Value(Bytes{std::string(o.via.ext.data(), o.via.ext.size)});
    case msgpack::type::ARRAY: {
      List l;
      l.reserve(o.via.array.size);
      for (uint32_t i = 0; i < o.via.array.size; ++i) l.push_back(toValue(o.via.array.ptr[i]));
      return Value(std::move(l));
    }
    case msgpack::type::MAP: {
      Map m;
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        m.insert_or_assign(keyText(kv.key), toValue(kv.val));
      }
      return Value(std::move(m));
    }
  }
  return Value();
}

const char* typeName(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "a boolean";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
      return "an integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return "a float";
    case msgpack::type::STR:
      return "a string";
    case msgpack::type::BIN:
      return "bytes";
    case msgpack::type::EXT:
      return "an ext value";
    case msgpack::type::ARRAY:
      return "an array";
    case msgpack::type::MAP:
      return "a map";
  }
  return "?";
}

bool referenceAll(msgpack::type::object_type, std::size_t, void*) {
  return true;  // values are copied into Values at once; no need to copy them into the zone
}

class MsgpackReader : public MessageReader {
 public:
  MsgpackReader() : unpacker_(&referenceAll, nullptr, 1 << 16) {}

  std::span<char> prepare(size_t n) override {
    unpacker_.reserve_buffer(n);
    return {unpacker_.buffer(), unpacker_.buffer_capacity()};
  }
  void commit(size_t n) override { unpacker_.buffer_consumed(n); }

  bool next(ShellMsg& out) override {
    // Valid until the next prepare(): next() neither moves nor frees the buffer.
    const char* start = unpacker_.nonparsed_buffer();
    size_t avail = unpacker_.nonparsed_size();
    if (avail == 0) return false;
    auto head = [&] { return std::string_view(start, std::min<size_t>(avail, 200)); };
    try {
      if (!unpacker_.next(last_)) return false;
    } catch (const std::exception& e) {
      throw ProtocolError(fmt::format("malformed msgpack from the child: {}", e.what()),
                          printable(head(), 200));
    }
    hasLast_ = true;
    const msgpack::object& o = last_.get();
    if (o.type != msgpack::type::MAP) {
      if (static_cast<unsigned char>(start[0]) < 0x80) {
        // A positive fixint: the first byte of ASCII text, not of a message.
        throw ProtocolError(
            "the child wrote output that is not protocol (a print to stdout?); every message "
            "must be a msgpack map",
            printable(head().substr(0, head().find('\n')), 200));
      }
      throw ProtocolError(fmt::format("expected a msgpack map, got {}", typeName(o)),
                          lastMessageText(300));
    }
    out.reset();
    try {
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        std::string key = keyText(kv.key);
        if (key == "tuple") {
          if (kv.val.type != msgpack::type::ARRAY) {
            throw ProtocolError(fmt::format("field 'tuple' must be a list of values, got {}",
                                            typeName(kv.val)));
          }
          out.tuple.reserve(kv.val.via.array.size);
          for (uint32_t j = 0; j < kv.val.via.array.size; ++j) {
            out.tuple.push_back(toValue(kv.val.via.array.ptr[j]));
          }
          out.hasTuple = true;
        } else {
          assignField(out, key, toValue(kv.val));
        }
      }
    } catch (const ProtocolError& e) {
      throw ProtocolError(e.what(), lastMessageText(300));
    }
    return true;
  }

  std::string lastMessageText(size_t max) const override {
    if (!hasLast_) return {};
    std::ostringstream s;
    s << last_.get();
    return printable(s.str(), max);
  }
  std::string pendingText(size_t max) const override {
    return printable(std::string_view(unpacker_.nonparsed_buffer(), unpacker_.nonparsed_size()),
                     max);
  }

 private:
  mutable msgpack::unpacker unpacker_;
  msgpack::object_handle last_;
  bool hasLast_ = false;
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
