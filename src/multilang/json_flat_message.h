#pragma once
// The JSON reader's fast path for the messages children write most: an emit, an ack, a sync.
//
// storm.py answers every word with a round trip, so decoding its emit is on the critical path
// of each word, and RapidJSON's general parser (its string scan, its handler calls) took about
// 2 700 instructions of the reader's 6 800 per word. These messages are flat: an object whose
// values are strings without escapes, integers, true, false, null, or lists of those. This
// decodes exactly that shape, feeding the MessageBuilder the same events in the same order as
// the SAX parse would, so the ShellMsg is the same. Anything else (an escape, a control
// character, a float, a nested map, a string that is not UTF-8, NaN, malformed input, a
// builder error) makes it return false having decided nothing: the caller starts over with
// RapidJSON, which decodes it or reports the error as before. The multilang_json fuzzer checks
// that both ways agree on every input.

#include <cstddef>

#include "multilang/message_builder.h"

namespace squall::internal {

// Decodes the document [doc, doc + n) into `out` through `b` (which it begins); false when
// the document is not of the flat shape above, and the caller must decode it another way.
bool decodeFlatJsonMessage(MessageBuilder& b, ShellMsg& out, const char* doc, size_t n);

}  // namespace squall::internal
