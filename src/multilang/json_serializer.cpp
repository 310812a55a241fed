// Storm's JSON framing: a document, "\n", a line "end", "\n" (storm.md 1.2). The reader
// accepts what Storm's does (a document over several lines, CRLF, blank lines between
// messages) and parses each message in place with RapidJSON's SAX reader, building values
// directly: no DOM, no copy of the message.

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>

#include "multilang/json_flat_message.h"
#include "multilang/message_builder.h"
#include "multilang/message_fields.h"
#include "multilang/serializer.h"

namespace squall::internal {

namespace {

constexpr std::string_view kTrailer = "\nend\n";
std::atomic<bool> flatFastPath{true};  // setJsonFlatFastPath()

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
    if (uint32_t cp = c == 0xED ? surrogateAt(p + i, n - i) : 0) {
      // A lone surrogate (held WTF-8 style): the escape Python's json writes and reads back.
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 15];
      i += 3;
      run = i;
      continue;
    }
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

// std::to_chars, not fmt: a task-id reply is one of these per word for storm.py, and fmt's
// format-string path cost about 200 instructions each.
void appendInt(std::string& out, int64_t i) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, r.ptr);
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
    case ValueType::BigInt:
      out += v.asBigInt().digits;  // JSON numbers have no bound; Python reads an exact int
      return;
  }
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

unsigned hex4(const char* p) {
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = p[i];
    v = v * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

// A "\uXXXX" escape at p (n bytes available): its code unit, or -1.
int escapeAt(const char* p, size_t n) {
  if (n < 6 || p[0] != '\\' || p[1] != 'u') return -1;
  for (int i = 2; i < 6; ++i) {
    if (!isHex(p[i])) return -1;
  }
  return static_cast<int>(hex4(p + 2));
}

// Whether "\\u" occurs in the n bytes at doc. memchr finds the (rare) backslashes with SIMD;
// glibc's memmem took about 5 instructions a byte here and in findTerminator().
bool hasUnicodeEscape(const char* doc, size_t n) {
  const char* end = doc + n;
  for (const char* p = doc; p < end;) {
    p = static_cast<const char*>(std::memchr(p, '\\', static_cast<size_t>(end - p)));
    if (!p || p + 1 >= end) return false;
    if (p[1] == 'u') return true;
    p += 2;  // an escaped character, "\\\\" included, is not the start of another escape
  }
  return false;
}

// RapidJSON rejects a high surrogate escape that no low surrogate escape follows, though JSON
// allows it and Python's json writes it for a str holding a lone surrogate. Rewrites each such
// "\uD8xx" in the document (in place; the text only shrinks) to the 3 bytes of the surrogate
// code point, which RapidJSON passes through as they are: the string then holds the lone
// surrogate WTF-8 style, and the writer escapes it back. Returns the new length.
size_t rewriteLoneHighSurrogates(char* doc, size_t n) {
  if (!hasUnicodeEscape(doc, n)) return n;  // the common case: no escapes of code points
  // The first backslash starts an escape (JSON has no other); from there escapes are walked in
  // pairs, so the "\\u" of an escaped backslash followed by "u" is never taken for one.
  size_t r = static_cast<size_t>(static_cast<const char*>(std::memchr(doc, '\\', n)) - doc);
  size_t w = r;
  while (r < n) {
    char c = doc[r];
    if (c != '\\') {
      doc[w++] = doc[r++];
      continue;
    }
    if (r + 1 >= n) break;
    int unit = escapeAt(doc + r, n - r);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      int low = escapeAt(doc + r + 6, n - r - 6);
      if (low < 0xDC00 || low > 0xDFFF) {
        doc[w++] = static_cast<char>(0xE0 | (unit >> 12));
        doc[w++] = static_cast<char>(0x80 | ((unit >> 6) & 0x3F));
        doc[w++] = static_cast<char>(0x80 | (unit & 0x3F));
        r += 6;
        continue;
      }
    }
    // Any other escape (a pair included) is copied whole, so "\\\\ud800" stays an escaped
    // backslash followed by text.
    doc[w++] = doc[r++];
    doc[w++] = doc[r++];
  }
  while (r < n) doc[w++] = doc[r++];
  doc[w] = '\0';
  return w;
}

// RapidJSON's SAX events, handed to the MessageBuilder.
class MessageHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, MessageHandler> {
 public:
  MessageHandler(MessageBuilder& b, const rapidjson::InsituStringStream& in, const char* end)
      : b_(b), in_(in), end_(end) {}

  bool Null() { return b_.value(Value()); }
  bool Bool(bool v) { return b_.value(Value(v)); }
  bool Int(int i) { return b_.value(Value(i)); }
  bool Uint(unsigned u) { return b_.value(Value(static_cast<int64_t>(u))); }
  bool Int64(int64_t i) { return b_.value(Value(i)); }
  bool Uint64(uint64_t u) { return b_.value(Value(u)); }  // a BigInt above INT64_MAX
  bool Double(double d) {
    // RapidJSON hands an integer beyond uint64 (or below INT64_MIN) over as a double. While
    // this callback runs, the stream still stands at the start of the number (RapidJSON parses
    // numbers on a local copy of the stream): an integer token is carried exactly instead.
    const char* p = in_.src_;
    const char* q = p;
    if (q < end_ && *q == '-') ++q;
    const char* digits = q;
    while (q < end_ && *q >= '0' && *q <= '9') ++q;
    if (q > digits && (q == end_ || (*q != '.' && *q != 'e' && *q != 'E'))) {
      return b_.value(Value::integer(std::string_view(p, static_cast<size_t>(q - p))));
    }
    // RapidJSON's fast path can round to a neighbouring double, and its full-precision path
    // trips UBSan in Debian's 1.1.0; a Python float must arrive as the same float, so the
    // token is read again, correctly rounded (found by the multilang_json fuzzer).
    double exact;
    auto [stop, ec] = std::from_chars(p, end_, exact);
    return b_.value(Value(ec == std::errc() && stop > p ? exact : d));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    std::string_view text(s, n);
    if (!isUtf8OrSurrogates(text)) b_.poison(notUtf8(text));
    return b_.text(text);
  }
  bool StartObject() { return b_.startMap(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    std::string_view text(s, n);
    if (!isUtf8OrSurrogates(text)) b_.poison(notUtf8(text), true);
    return b_.key(text);
  }
  bool EndObject(rapidjson::SizeType) { return b_.endMap(); }
  bool StartArray() { return b_.startArray(); }
  bool EndArray(rapidjson::SizeType) { return b_.endArray(); }

 private:
  static std::string notUtf8(std::string_view text) {
    return fmt::format("a string that is not UTF-8 (JSON strings must be): \"{}\"",
                       printable(text, 60));
  }

  MessageBuilder& b_;
  const rapidjson::InsituStringStream& in_;
  const char* end_;
};

bool isSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

class JsonReader : public MessageReader {
 public:
  explicit JsonReader(size_t maxBytes) : max_(maxBytes) {}

  std::span<char> prepare(size_t n) override {
    keepLastCopy();
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
    if (owesEnd_ && !takeOwedEnd()) return false;
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
    if (end == std::string::npos) {
      // No size is declared in JSON: refuse once the bytes without a terminator exceed it.
      if (size_ - pos_ > max_) {
        throwTooLarge(size_ - pos_, true, max_, printable(currentLine(), 200));
      }
      return takeEarly(out);
    }
    if (end - pos_ > max_) throwTooLarge(end - pos_, false, max_, printable(currentLine(), 200));
    // [pos_, end) is the document; end points at the '\n' before "end".
    size_t next = end + 4;  // past "\nend"
    if (buf_[next] == '\r') ++next;
    ++next;  // the final '\n'
    char* doc = buf_.data() + pos_;
    size_t docSize = end - pos_;
    pos_ = next;
    scan_ = next;
    parse(out, doc, docSize, true);
    return true;
  }

  std::string lastMessageText(size_t max) const override {
    std::string_view last =
        lastDoc_ ? std::string_view(lastDoc_, std::min(lastDocSize_, kKeepText)) : last_;
    return printable(last, max) + (lastCut_ && last.size() <= max ? "..." : "");
  }
  std::string pendingText(size_t max) const override {
    return printable(std::string_view(buf_.data() + pos_, size_ - pos_), max);
  }

 private:
  static constexpr size_t kKeepText = 512;
  const size_t max_;

  // A document of one line is taken as soon as that line has ended, before its "end" line
  // arrives: storm.py under PYTHONUNBUFFERED=1 writes a message in four write(2)s, and its
  // next step after the last is to block on the reply to this one. Longer documents, and
  // documents of several lines (pretty-printed), wait for their "end".
  static constexpr size_t kEarlyMaxBytes = 64 * 1024;

  std::string lastText() const { return lastMessageText(300); }

  // Copies the last message's text out of the buffer it is in, before that buffer changes.
  void keepLastCopy() {
    if (!lastDoc_) return;
    last_.assign(lastDoc_, std::min(lastDocSize_, kKeepText));
    lastDoc_ = nullptr;
  }

  // Parses the document [doc, doc + n) in place into `out`; throws on malformed JSON when
  // `complete` (its "end" was seen), else returns false for the caller to wait for it.
  bool parse(ShellMsg& out, char* doc, size_t n, bool complete) {
    lastCut_ = n > kKeepText;
    if (flatFastPath.load(std::memory_order_relaxed) &&
        decodeFlatJsonMessage(builder_, out, doc, n)) {
      // The fast path leaves the document as it was: its text stays where it is until
      // the buffer it is in changes (keepLastCopy), rather than a copy per message.
      lastDoc_ = doc;
      lastDocSize_ = n;
      return true;
    }
    // RapidJSON parses in place and changes the document: its text is kept first.
    lastDoc_ = nullptr;
    last_.assign(doc, std::min<size_t>(n, kKeepText));
    doc[n] = '\0';
    size_t docSize = rewriteLoneHighSurrogates(doc, n);
    builder_.begin(out);
    rapidjson::InsituStringStream in(doc);
    MessageHandler handler(builder_, in, doc + docSize);
    auto ok =
        reader_.Parse<rapidjson::kParseInsituFlag | rapidjson::kParseNanAndInfFlag>(in, handler);
    if (ok) return true;
    if (!complete) return false;
    if (!builder_.error().empty()) throw ProtocolError(builder_.error(), lastText());
    throw ProtocolError(fmt::format("malformed JSON from the child: {} (at offset {})",
                                    rapidjson::GetParseError_En(ok.Code()), ok.Offset()),
                        lastText());
  }

  // The early take (see kEarlyMaxBytes): the buffer holds exactly one line from pos_, ending
  // in '}' (and an optional '\r') and '\n'. It is parsed from a copy, so that a document that
  // is not complete after all stays as it came for the parse once its "end" arrives.
  bool takeEarly(ShellMsg& out) {
    size_t n = size_ - pos_;
    if (n < 3 || n > kEarlyMaxBytes || buf_[size_ - 1] != '\n') return false;
    size_t docEnd = size_ - 1;
    if (buf_[docEnd - 1] == '\r') --docEnd;
    if (buf_[docEnd - 1] != '}' || std::memchr(&buf_[pos_], '\n', docEnd - pos_)) return false;
    keepLastCopy();  // the last message may be the previous early take's
    early_.assign(buf_.data() + pos_, buf_.data() + docEnd);
    early_.push_back('\0');
    if (!parse(out, early_.data(), docEnd - pos_, false)) return false;
    pos_ = size_;
    scan_ = size_;
    owesEnd_ = true;
    return true;
  }

  // After an early take: consumes the "end" line (blank lines before it are tolerated, as
  // between a document and its "end"); false while it has not fully arrived.
  bool takeOwedEnd() {
    size_t p = pos_;
    while (p < size_ && isSpace(buf_[p])) ++p;
    std::string_view rest(buf_.data() + p, size_ - p);
    for (std::string_view line : {std::string_view("end\n"), std::string_view("end\r\n")}) {
      if (rest.substr(0, line.size()) == line) {
        pos_ = p + line.size();
        scan_ = pos_;
        owesEnd_ = false;
        return true;
      }
    }
    if (std::string_view("end\r\n").starts_with(rest) ||
        std::string_view("end\n").starts_with(rest)) {
      return false;  // the rest is on its way
    }
    throw ProtocolError("a message was not followed by a line 'end'",
                        lastText() + " | then: " + printable(rest.substr(0, 200), 200));
  }

  std::string_view currentLine() const {
    std::string_view rest(buf_.data() + pos_, size_ - pos_);
    size_t nl = rest.find('\n');
    return nl == std::string_view::npos ? rest : rest.substr(0, nl);
  }

  // The first "\nend" in the n bytes at p, or null: memchr finds each '\n' with SIMD.
  static const char* findLineEnd(const char* p, size_t n) {
    const char* end = p + n;
    while (end - p >= 4) {
      p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p - 3)));
      if (!p) return nullptr;
      if (p[1] == 'e' && p[2] == 'n' && p[3] == 'd') return p;
      ++p;
    }
    return nullptr;
  }

  // Index of the '\n' that starts a line "end" (optionally "end\r") ending in '\n', or npos
  // when the terminator has not fully arrived. Resumes where the last search stopped.
  size_t findTerminator() {
    while (true) {
      size_t from = scan_;
      if (size_ - from < 5) return std::string::npos;
      const char* hit = findLineEnd(buf_.data() + from, size_ - from);
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
  // While set, the last message's text is here (in buf_ or early_), not yet copied to last_.
  const char* lastDoc_ = nullptr;
  size_t lastDocSize_ = 0;
  bool owesEnd_ = false;     // a document was taken early; its "end" line comes next
  std::vector<char> early_;  // the copy an early take parses
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
  void writeCommand(std::string& out, std::string_view command, const Value& id) const override {
    out += R"({"command":)";
    appendEscaped(out, command);
    out += R"(,"id":)";
    appendValue(out, id);
    out += '}';
    out += kTrailer;
  }

 protected:
  std::unique_ptr<MessageReader> makeReader(size_t maxMessageBytes) const override {
    return std::make_unique<JsonReader>(maxMessageBytes);
  }
};

}  // namespace

void setJsonFlatFastPath(bool on) {
  flatFastPath.store(on, std::memory_order_relaxed);
}

std::unique_ptr<Serializer> makeJsonSerializer() {
  return std::make_unique<JsonSerializer>();
}

}  // namespace squall::internal
