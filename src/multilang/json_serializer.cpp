// Storm's JSON framing: a document, "\n", a line "end", "\n" (storm.md 1.2). The reader
// accepts what Storm's does (a document over several lines, CRLF, blank lines between
// messages) and parses each message in place with RapidJSON's SAX reader, building values
// directly: no DOM, no copy of the message.

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <cmath>
#include <cstring>
#include <iterator>

#include "multilang/message_builder.h"
#include "multilang/message_fields.h"
#include "multilang/serializer.h"

namespace squall::internal {

namespace {

constexpr std::string_view kTrailer = "\nend\n";

void appendEscaped(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t run = 0;  // start of the pending run of bytes copied as they are
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (size_t len = validUtf8Prefix(p + i, n - i)) {
        i += len;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += "\\ufffd";  // not UTF-8: the child could not decode the message at all
        }
    }
    ++i;
    run = i;
  }
  out.append(s.data() + run, n - run);
  out += '"';
}

void appendInt(std::string& out, int64_t i) {
  char buf[24];
  auto r = fmt::format_to_n(buf, sizeof buf, "{}", i);
  out.append(buf, r.out);
}

void appendDouble(std::string& out, double d) {
  // Python's json reads NaN and Infinity; strict JSON has no spelling for them.
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[40];
  auto r = fmt::format_to_n(buf, sizeof buf, "{}", d);
  std::string_view s(buf, static_cast<size_t>(r.out - buf));
  out += s;
  // "1" would come back as an integer.
  if (s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void appendValue(std::string& out, const Value& v) {
  switch (v.type()) {
    case ValueType::Null:
      out += "null";
      return;
    case ValueType::Bool:
      out += v.asBool() ? "true" : "false";
      return;
    case ValueType::Int:
      appendInt(out, v.asInt());
      return;
    case ValueType::Double:
      appendDouble(out, v.asDouble());
      return;
    case ValueType::String:
      appendEscaped(out, v.asString());
      return;
    case ValueType::Bytes: {
      // JSON has no bytes: an array of the byte values (0-255), lossless and unambiguous.
      out += '[';
      bool first = true;
      for (unsigned char c : v.asBytes().data) {
        if (!first) out += ',';
        first = false;
        appendInt(out, c);
      }
      out += ']';
      return;
    }
    case ValueType::List: {
      out += '[';
      bool first = true;
      for (const Value& e : v.asList()) {
        if (!first) out += ',';
        first = false;
        appendValue(out, e);
      }
      out += ']';
      return;
    }
    case ValueType::Map: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.asMap()) {
        if (!first) out += ',';
        first = false;
        appendEscaped(out, k);
        out += ':';
        appendValue(out, e);
      }
      out += '}';
      return;
    }
  }
}

// RapidJSON's SAX events, handed to the MessageBuilder.
class MessageHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, MessageHandler> {
 public:
  explicit MessageHandler(MessageBuilder& b) : b_(b) {}

  bool Null() { return b_.value(Value()); }
  bool Bool(bool v) { return b_.value(Value(v)); }
  bool Int(int i) { return b_.value(Value(i)); }
  bool Uint(unsigned u) { return b_.value(Value(static_cast<int64_t>(u))); }
  bool Int64(int64_t i) { return b_.value(Value(i)); }
  bool Uint64(uint64_t u) {
    if (u > static_cast<uint64_t>(INT64_MAX)) return b_.value(Value(static_cast<double>(u)));
    return b_.value(Value(static_cast<int64_t>(u)));
  }
  bool Double(double d) { return b_.value(Value(d)); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return b_.value(Value(std::string(s, n)));
  }
  bool StartObject() { return b_.startMap(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return b_.key(std::string_view(s, n)); }
  bool EndObject(rapidjson::SizeType) { return b_.endMap(); }
  bool StartArray() { return b_.startArray(); }
  bool EndArray(rapidjson::SizeType) { return b_.endArray(); }

 private:
  MessageBuilder& b_;
};

bool isSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

class JsonReader : public MessageReader {
 public:
  std::span<char> prepare(size_t n) override {
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, size_ - pos_);
      size_ -= pos_;
      scan_ -= pos_;
      pos_ = 0;
    }
    if (buf_.size() - size_ < n) buf_.resize(std::max(buf_.size() * 2, size_ + n));
    return {buf_.data() + size_, buf_.size() - size_};
  }
  void commit(size_t n) override { size_ += n; }

  bool next(ShellMsg& out) override {
    // Blank lines between messages are tolerated (pystorm does too).
    while (pos_ < size_ && isSpace(buf_[pos_])) ++pos_;
    if (scan_ < pos_) scan_ = pos_;
    if (pos_ == size_) return false;
    char first = buf_[pos_];
    if (first != '{' && first != '[') {
      if (size_ - pos_ >= 3 && std::memcmp(&buf_[pos_], "end", 3) == 0) {
        throw ProtocolError("empty message: an 'end' line with no JSON before it", "end");
      }
      throw ProtocolError(
          "the child wrote output that is not protocol (a print to stdout?); every message "
          "must be a JSON object followed by a line 'end'",
          printable(currentLine(), 200));
    }
    size_t end = findTerminator();
    if (end == std::string::npos) return false;
    // [pos_, end) is the document; end points at the '\n' before "end".
    size_t next = end + 4;  // past "\nend"
    if (buf_[next] == '\r') ++next;
    ++next;  // the final '\n'
    last_.assign(buf_.data() + pos_, std::min<size_t>(end - pos_, kKeepText));
    lastCut_ = end - pos_ > kKeepText;
    buf_[end] = '\0';
    char* doc = buf_.data() + pos_;
    pos_ = next;
    scan_ = next;
    builder_.begin(out);
    MessageHandler handler(builder_);
    rapidjson::InsituStringStream in(doc);
    auto ok = reader_.Parse<rapidjson::kParseInsituFlag | rapidjson::kParseNanAndInfFlag>(in,
                                                                                         handler);
    if (!ok) {
      if (!builder_.error().empty()) throw ProtocolError(builder_.error(), lastText());
      throw ProtocolError(fmt::format("malformed JSON from the child: {} (at offset {})",
                                      rapidjson::GetParseError_En(ok.Code()), ok.Offset()),
                          lastText());
    }
    return true;
  }

  std::string lastMessageText(size_t max) const override {
    return printable(last_, max) + (lastCut_ && last_.size() <= max ? "..." : "");
  }
  std::string pendingText(size_t max) const override {
    return printable(std::string_view(buf_.data() + pos_, size_ - pos_), max);
  }

 private:
  static constexpr size_t kKeepText = 512;

  std::string lastText() const { return lastMessageText(300); }

  std::string_view currentLine() const {
    std::string_view rest(buf_.data() + pos_, size_ - pos_);
    size_t nl = rest.find('\n');
    return nl == std::string_view::npos ? rest : rest.substr(0, nl);
  }

  // Index of the '\n' that starts a line "end" (optionally "end\r") ending in '\n', or npos
  // when the terminator has not fully arrived. Resumes where the last search stopped.
  size_t findTerminator() {
    while (true) {
      size_t from = scan_;
      if (size_ - from < 5) return std::string::npos;
      const char* hit = static_cast<const char*>(
          memmem(buf_.data() + from, size_ - from, "\nend", 4));
      if (!hit) {
        scan_ = size_ - 3;  // the next "\nend" may start in the last 3 bytes
        return std::string::npos;
      }
      size_t at = static_cast<size_t>(hit - buf_.data());
      size_t after = at + 4;
      if (after >= size_) {
        scan_ = at;
        return std::string::npos;
      }
      if (buf_[after] == '\n') return at;
      if (buf_[after] == '\r') {
        if (after + 1 >= size_) {
          scan_ = at;
          return std::string::npos;
        }
        if (buf_[after + 1] == '\n') return at;
      }
      scan_ = at + 1;  // "\nendless": not a terminator
    }
  }

  std::vector<char> buf_ = std::vector<char>(1 << 16);
  size_t pos_ = 0;
  size_t size_ = 0;
  size_t scan_ = 0;
  std::string last_;
  bool lastCut_ = false;
  MessageBuilder builder_;
  rapidjson::Reader reader_;
};

class JsonSerializer : public Serializer {
 public:
  const char* name() const override { return "json"; }
  void writeMessage(std::string& out, const Value& message) const override {
    appendValue(out, message);
    out += kTrailer;
  }
  void writeTuple(std::string& out, std::string_view id, const std::string* comp,
                  std::string_view stream, int64_t task, const Values& values) const override {
    out += R"({"id":")";
    out += id;  // decimal digits and '-': nothing to escape
    out += R"(","comp":)";
    if (comp) {
      appendEscaped(out, *comp);
    } else {
      out += "null";
    }
    out += R"(,"stream":)";
    appendEscaped(out, stream);
    out += R"(,"task":)";
    appendInt(out, task);
    out += R"(,"tuple":[)";
    bool first = true;
    for (const Value& v : values) {
      if (!first) out += ',';
      first = false;
      appendValue(out, v);
    }
    out += "]}";
    out += kTrailer;
  }
  void writeTaskIds(std::string& out, const TaskIds& ids) const override {
    out += '[';
    bool first = true;
    for (int t : ids) {
      if (!first) out += ',';
      first = false;
      appendInt(out, t);
    }
    out += ']';
    out += kTrailer;
  }
  void writeCommand(std::string& out, std::string_view command,
                    const Value& id) const override {
    out += R"({"command":)";
    appendEscaped(out, command);
    out += R"(,"id":)";
    appendValue(out, id);
    out += '}';
    out += kTrailer;
  }
  std::unique_ptr<MessageReader> newReader() const override {
    return std::make_unique<JsonReader>();
  }
};

}  // namespace

std::unique_ptr<Serializer> makeJsonSerializer() {
  return std::make_unique<JsonSerializer>();
}

}  // namespace squall::internal
