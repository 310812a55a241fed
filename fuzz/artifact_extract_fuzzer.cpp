// Fuzzes the topology jar extractor (src/artifact): what a supervisor downloads from nimbus.
// The input is written as a jar and extracted with small limits; only ArtifactError may come
// out, and nothing may be written outside the destination folder.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "artifact/artifact.h"

namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path root;
  Scratch() {
    std::string pattern = "/tmp/squall-artifact-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) std::abort();
    root = pattern;
  }
  ~Scratch() { fs::remove_all(root); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Scratch scratch;
  fs::path jar = scratch.root / "in.jar";
  fs::path box = scratch.root / "box";
  fs::path dest = box / "dest";
  {
    std::ofstream out(jar, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  fs::remove_all(box);
  fs::create_directories(box);
  squall::artifact::ExtractLimits limits;
  limits.maxTotalBytes = 8u << 20;
  limits.maxEntryBytes = 4u << 20;
  limits.maxEntries = 1000;
  limits.prefixes.clear();  // every entry, so every name reaches the checks
  try {
    squall::artifact::extractArtifact(jar.string(), dest.string(), limits);
  } catch (const squall::artifact::ArtifactError&) {
  }
  // Only the destination (or nothing) may be left in the box.
  for (const auto& e : fs::directory_iterator(box)) {
    if (e.path() != dest) std::abort();
  }
  fs::remove_all(box);
  return 0;
}
