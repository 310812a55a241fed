#pragma once
// The msgpack reader's fast path for the messages children write most: an emit, an ack, a
// sync (the squall package's and pystorm's).
//
// With a msgpack child the reader decodes every word the child emits, and msgpack-cxx's
// parser (its state machine, its container stack, a visitor call per object) took about half
// of the reader's 4 100 instructions per word. These messages are flat: a map whose keys are
// str and whose values are nil, booleans, integers, floats, UTF-8 str, or arrays of those.
// This decodes exactly that shape, feeding the MessageBuilder the same events in the same
// order as msgpack-cxx's parse through the reader's visitor, so the ShellMsg is the same.
// Anything else (bin, ext, a nested map or array, a str that is not UTF-8, a message not all
// here yet, malformed input, a builder error) makes it return 0 having decided nothing: the
// caller starts over with msgpack-cxx, which decodes it or reports the error as before. The
// multilang_msgpack fuzzer checks that both ways agree on every input.

#include <cstddef>
#include <cstdint>

#include "multilang/message_builder.h"

namespace squall::internal {

// The unsigned integer msgpack stores big-endian in the `n` bytes at `p` (a length, a count,
// a number's bits).
inline uint64_t msgpackBigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Decodes the message at the start of [data, data + avail) into `out` through `b` (which it
// begins); returns the bytes it took, or 0 when the message is not of the flat shape above or
// has not fully arrived, and the caller must decode it another way.
size_t decodeFlatMsgpackMessage(MessageBuilder& b, ShellMsg& out, const char* data, size_t avail);

}  // namespace squall::internal
