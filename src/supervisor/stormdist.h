#pragma once
// A topology's code on a supervisor, in Storm's layout (storm.local.dir/supervisor/stormdist/ID/):
// stormjar.jar, stormcode.ser and stormconf.ser as nimbus serves them (blob keys ID-stormjar.jar,
// ID-stormcode.ser, ID-stormconf.ser), and the jar's resources/ (and squall-python/) extracted
// beside them, where shell components run. Built in a temporary sibling directory and renamed
// into place, so a directory named ID is always complete (a supervisor killed mid-download leaves
// only a temporary directory, removed on the next download).

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace squall::supervisor {

// Bounds on what one jar may extract (it comes from the network).
struct ExtractLimits {
  uint64_t maxEntries = 100'000;
  uint64_t maxBytes = uint64_t{4} << 30;  // the sum of the extracted files' sizes
};

// Extracts the entries of the zip `jar` under resources/ and squall-python/ into `dest` (which
// exists), with their permission bits (executables stay executable); the rest of the jar stays in
// it. Refuses, naming the jar and the entry, an entry with `..`, an absolute path, a symbolic link
// whose target leaves `dest` (or any entry reached through a link), or more than the limits.
// A jar with neither folder extracts nothing. std::runtime_error on any problem. This is the one
// place a supervisor unpacks an artifact; the packaging's extractArtifact can replace it.
void extractJarResources(const std::string& jar, const std::string& dest,
                         const ExtractLimits& limits = {});

// Writes one blob (by key) into `out`; false when nimbus has no such blob (a topology submitted
// without a jar has none). The supervisor's is thrift::downloadBlob from the leader.
using BlobFetcher = std::function<bool(const std::string& key, std::ostream& out)>;

// The blob keys of a topology, as Storm names them.
std::string stormJarKey(const std::string& topologyId);
std::string stormCodeKey(const std::string& topologyId);
std::string stormConfKey(const std::string& topologyId);

// Downloads a topology's three blobs and extracts its jar into stormdistRoot/ID (temp dir, then
// rename). Does nothing when stormdistRoot/ID exists. Returns the directory. A topology without
// a jar gets no stormjar.jar (and no resources/).
std::string downloadStormDist(const BlobFetcher& fetch, const std::string& topologyId,
                              const std::string& stormdistRoot, const ExtractLimits& limits = {});

// True for an id that may name a directory (no '/', not "." or "..", not empty, not hidden).
bool isSafeTopologyId(const std::string& id);

}  // namespace squall::supervisor
