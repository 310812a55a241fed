// The JSON `python -m squall.dsl.export` prints: it carries whatever the user's module put in
// its config and args. Any input must end in a TopologyFile or a FluxError, within the bounds
// on depth and size.
#include <cstddef>
#include <cstdint>
#include <string>

#include "flux/dsl_export.h"
#include "squall/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string json(reinterpret_cast<const char*>(data), size);
  squall::flux::LoadOptions options;
  options.python.packageDir = "python";
  try {
    squall::flux::readDslExport(json, "fuzz/topology.py", options);
  } catch (const squall::SquallError&) {
  }
  return 0;
}
