#include "multilang/json_flat_message.h"

#include <emmintrin.h>

#include <cstdint>
#include <string_view>

namespace squall::internal {

namespace {

// The first byte in [p, end) that ends a string's plain run: '"', '\\' or a control character
// (or end). Sixteen bytes a step with SSE2, which every x86-64 has: a byte a step was a third
// of the fast path's instructions.
const char* stringStop(const char* p, const char* end) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i lastControl = _mm_set1_epi8(0x1f);
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, lastControl), v);  // v <= 0x1f
    __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), control);
    if (int mask = _mm_movemask_epi8(hit)) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
  while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
  return p;
}

// The JSON tokens of a flat message, read from [p, end); every reader returns false on
// anything it does not take, leaving the decision to RapidJSON.
class FlatCursor {
 public:
  FlatCursor(const char* p, const char* end) : p_(p), end_(end) {}

  void skipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool atEnd() const { return p_ == end_; }
  bool take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // A string without escapes or control characters, its bytes valid UTF-8 (or surrogates, as
  // the SAX handler accepts); the view points into the document.
  bool string(std::string_view& out) {
    if (!take('"')) return false;
    const char* start = p_;
    p_ = stringStop(p_, end_);
    if (p_ == end_ || *p_ != '"') return false;
    out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return isUtf8OrSurrogates(out);
  }

  // An integer of at most 18 digits (it fits an int64 whichever way RapidJSON reports it), as
  // JSON spells it: no leading zero, no "-0", not the start of a float.
  bool integer(int64_t& out) {
    const char* q = p_;
    bool negative = q < end_ && *q == '-';
    if (negative) ++q;
    const char* digits = q;
    int64_t v = 0;
    while (q < end_ && *q >= '0' && *q <= '9') {
      if (q - digits == 18) return false;
      v = v * 10 + (*q - '0');
      ++q;
    }
    if (q == digits || (*digits == '0' && (q - digits > 1 || negative))) return false;
    if (q < end_ && (*q == '.' || *q == 'e' || *q == 'E')) return false;
    out = negative ? -v : v;
    p_ = q;
    return true;
  }

  bool word(std::string_view w) {
    if (static_cast<size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) {
      return false;
    }
    p_ += w.size();
    return true;
  }

  char next() const { return p_ < end_ ? *p_ : '\0'; }

 private:
  const char* p_;
  const char* end_;
};

// A string, integer, true, false or null, handed to the builder.
bool scalar(FlatCursor& c, MessageBuilder& b) {
  char first = c.next();
  if (first == '"') {
    std::string_view s;
    return c.string(s) && b.text(s);
  }
  if (first == '-' || (first >= '0' && first <= '9')) {
    int64_t i;
    return c.integer(i) && b.value(Value(i));
  }
  if (first == 't') return c.word("true") && b.value(Value(true));
  if (first == 'f') return c.word("false") && b.value(Value(false));
  if (first == 'n') return c.word("null") && b.value(Value());
  return false;
}

// A member's value: a scalar, or a list of scalars.
bool memberValue(FlatCursor& c, MessageBuilder& b) {
  if (!c.take('[')) return scalar(c, b);
  if (!b.startArray()) return false;
  c.skipSpace();
  if (!c.take(']')) {
    while (true) {
      if (!scalar(c, b)) return false;
      c.skipSpace();
      if (c.take(']')) break;
      if (!c.take(',')) return false;
      c.skipSpace();
    }
  }
  return b.endArray();
}

}  // namespace

bool decodeFlatJsonMessage(MessageBuilder& b, ShellMsg& out, const char* doc, size_t n) {
  FlatCursor c(doc, doc + n);
  b.begin(out);
  c.skipSpace();
  if (!c.take('{') || !b.startMap()) return false;
  c.skipSpace();
  if (!c.take('}')) {
    while (true) {
      std::string_view key;
      if (!c.string(key) || !b.key(key)) return false;
      c.skipSpace();
      if (!c.take(':')) return false;
      c.skipSpace();
      if (!memberValue(c, b)) return false;
      c.skipSpace();
      if (c.take('}')) break;
      if (!c.take(',')) return false;
      c.skipSpace();
    }
  }
  if (!b.endMap()) return false;
  c.skipSpace();
  return c.atEnd() && b.done();
}

}  // namespace squall::internal
