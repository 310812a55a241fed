// What a JSON multilang child writes: arbitrary bytes, split at arbitrary points.
#include "multilang_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto serializer = squall::internal::makeJsonSerializer();
  return squall::fuzz::run(*serializer, true, data, size);
}
