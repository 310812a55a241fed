// Fuzzes what a worker reads from a peer's socket: the frame splitter and every frame
// decoder (handshake, batch with values and acking records, backpressure status). The first
// byte picks the bound (handshake or established) and the size of the reads the stream is
// split into; only WireError may come out.

#include <cstdint>
#include <cstring>

#include "worker/wire_format.h"

using namespace squall;
using namespace squall::worker;

namespace {

void decode(const FrameReader::Frame& f) {
  WireReader r(f.data, f.size);
  switch (f.type) {
    case FrameType::Challenge:
      decodeChallenge(r);
      break;
    case FrameType::Hello:
      decodeHello(r);
      break;
    case FrameType::Welcome:
      decodeWelcome(r);
      break;
    case FrameType::BackPressure:
      decodeBackPressure(r);
      break;
    case FrameType::Batch: {
      WireTuple scratch;
      size_t sum = 0;
      decodeBatch(
          r, scratch,
          [&](WireTuple& t) {
            for (const auto& v : t.values) sum += v.toString().size();
          },
          [&](const internal::AckRecord& a) { sum += static_cast<size_t>(a.kind); });
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = data[0];
  ++data;
  --size;
  FrameReader fr((mode & 1) ? kMaxHandshakeFrameBytes : kMaxFrameBytes);
  size_t step = 1 + (mode >> 1);
  try {
    for (size_t i = 0; i < size; i += step) {
      size_t n = step < size - i ? step : size - i;
      auto room = fr.writable(n);
      std::memcpy(room.data(), data + i, n);
      fr.commit(n);
      while (auto f = fr.next()) decode(*f);
    }
  } catch (const WireError&) {
  }
  return 0;
}
