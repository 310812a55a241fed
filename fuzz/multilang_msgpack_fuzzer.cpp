// What a msgpack multilang child writes: arbitrary bytes, split at arbitrary points.
#include "multilang_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto serializer = squall::internal::makeMsgpackSerializer();
  // The fast path for flat messages must decode exactly what msgpack-cxx decodes.
  squall::internal::setMsgpackFlatFastPath(false);
  std::string slow = squall::fuzz::transcript(*serializer, data, size);
  squall::internal::setMsgpackFlatFastPath(true);
  if (squall::fuzz::transcript(*serializer, data, size) != slow) __builtin_trap();
  return squall::fuzz::run(*serializer, false, data, size);
}
