// Commit metadata comes from the broker: whatever any tool committed for the group.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kafka/commit_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string metadata(reinterpret_cast<const char*>(data), size);
  if (auto id = squall::kafka::commitMetadataTopologyId(metadata)) {
    // What we read back from our own writer must survive a round trip.
    auto again = squall::kafka::commitMetadataTopologyId(
        squall::kafka::makeCommitMetadata(*id, 1, "thread"));
    if (!again || *again != *id) __builtin_trap();
  }
  return 0;
}
