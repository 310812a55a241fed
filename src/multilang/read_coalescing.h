#pragma once
// How long a ShellBolt's reader leaves its child's output in the pipe after a read, so that
// the next read takes a window's worth at once (squall.multilang.read.coalesce.micros).
//
// Reading each message as it lands costs a wake-up of the reader thread per message, paid
// inside the child's write(2) as well (10-15 µs of CPU on a small VM, against the 2-8 µs a
// Python client spends on a word), plus the wake-ups of the executors each read feeds. A child
// that streams needs nothing from the reader meanwhile: its input is already in its pipe. So
// the reader holds only while the child
// - streams: the previous read was within two windows (sparse output is read at once);
// - waits for no reply: storm.py waits for task ids after each emit, so a child that asked for
//   them lately is read at once;
// - has tuples in flight, and for no longer than it takes to work through half of them at
//   the rate its acks came back (it never runs dry waiting for the reader);
// - and the last read did not bring so much that more is surely waiting.

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace squall::internal {

struct ReadHoldInputs {
  int64_t windowNs = 0;          // squall.multilang.read.coalesce.micros, in ns; 0: never hold
  int64_t sinceLastReadNs = 0;   // from the previous read to this one
  int64_t sinceLastReplyNs = 0;  // from the last task-id reply written to the child
  size_t bytesRead = 0;          // what this read brought
  size_t inFlight = 0;           // tuples the child holds after this read's acks
  size_t acksRead = 0;           // acks and fails in this read
};

// A child that asked for task ids this recently is read without holding.
inline constexpr int64_t kReplyQuietNs = 10'000'000;
// A read this large suggests more is waiting (a pipe holds 64 KiB).
inline constexpr size_t kHoldBelowBytes = 16 * 1024;

inline int64_t readHoldNs(const ReadHoldInputs& in) {
  if (in.windowNs <= 0 || in.sinceLastReplyNs < kReplyQuietNs ||
      in.sinceLastReadNs > 2 * in.windowNs || in.bytesRead >= kHoldBelowBytes || in.inFlight == 0) {
    return 0;
  }
  if (in.acksRead == 0) return in.windowNs;
  int64_t halfDrainNs = in.sinceLastReadNs * static_cast<int64_t>(in.inFlight) /
                        static_cast<int64_t>(2 * in.acksRead);
  return std::min(in.windowNs, halfDrainNs);
}

}  // namespace squall::internal
