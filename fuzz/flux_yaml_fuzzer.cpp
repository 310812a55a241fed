// A Flux YAML topology file, as a user (or an attacker) writes it: text -> TopologyFile, with
// nothing run. Any input must end in a TopologyFile or a FluxError/SquallError, within the
// loader's bounds on size, depth and alias expansion.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "flux/topology_file.h"
#include "squall/errors.h"

namespace {

// The loader reads files (the topology and its includes), so each input is written to one.
const std::string& inputPath() {
  static const std::string path = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/squall-flux-yaml-fuzz-" +
                      std::to_string(getpid());
    std::string cmd = "mkdir -p '" + dir + "'";
    if (std::system(cmd.c_str()) != 0) std::abort();
    return dir + "/topology.yaml";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(inputPath(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  squall::flux::LoadOptions options;
  options.onWarning = [](const std::string&) {};
  try {
    squall::flux::TopologyFile file = squall::flux::loadYamlTopology(inputPath(), options);
    if (file.name.empty()) __builtin_trap();  // a loaded topology always has a name
  } catch (const squall::SquallError&) {
  }
  return 0;
}
