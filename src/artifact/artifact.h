#pragma once
// The topology artifact: a jar (a zip) in Storm's layout, so a Storm jar and Squall's take one
// path through nimbus and the supervisors. Squall's jar holds:
//   META-INF/MANIFEST.MF        Squall-Topology-Name, Squall-Topology-File (path in the jar)
//   resources/                  what shell components run in: the topology file, its resources
//                               folder's contents, the project's Python code (a streamparse
//                               project's src/)
//   squall-python/manifest.json the interpreter the topology wants and its requirement list
//   squall-python/wheels/*.whl  those requirements, built where the user packaged
// See src/artifact/README.md; python_environment.h turns squall-python/ into a virtualenv.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

struct archive;  // libarchive's handle

namespace squall::artifact {

// A jar that cannot be written, read or safely extracted; what() names the archive and, when
// one is at fault, the entry.
class ArtifactError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One file of a jar: the bytes of `source` (a file on disk, its executable bit kept) or, when
// `source` is empty, `data`.
struct ArtifactFile {
  std::string name;  // path inside the jar, '/'-separated, relative ("resources/split.py")
  std::string source;
  std::string data;
  bool executable = false;  // for `data`; a `source` file's own mode says it
};

// Writes `files` as a zip at `jarPath` (to a temporary file in the same folder, renamed into
// place, so a reader never sees half a jar). Entries are sorted by name and carry a fixed
// time, so the same files give the same bytes (and the same content hash at nimbus).
// Throws ArtifactError on a bad or duplicate name, an unreadable source or a write error.
void writeArtifact(const std::string& jarPath, std::vector<ArtifactFile> files);

// Bounds on what one extraction may write: the jar comes from the network.
struct ExtractLimits {
  uint64_t maxTotalBytes = uint64_t{2} << 30;  // bytes written, all entries
  uint64_t maxEntryBytes = uint64_t{1} << 30;  // bytes of one entry
  uint64_t maxEntries = 100000;
  // Bytes written at most this many times the jar's size (past the first MiB): a zip bomb
  // stops here however its headers lie about sizes.
  uint64_t maxRatio = 100;
  // Only entries under these prefixes are written (a Storm jar's classes are of no use);
  // empty: every entry.
  std::vector<std::string> prefixes = {"resources/", "squall-python/", "META-INF/MANIFEST.MF"};
};

struct ExtractResult {
  uint64_t entries = 0;  // entries written (files, folders, links)
  uint64_t bytes = 0;    // file bytes written
};

// Extracts the jar into `destDir`, which must not exist yet (or be an empty folder): entries
// go to a fresh folder beside it, renamed onto `destDir` once all are written and checked, so
// two supervisors extracting at once, or one that dies halfway, never leave a partial tree.
// Refused, naming the archive and the entry: absolute names, `..` components, an entry under
// a symlink, a symlink whose target (resolved, chains included) leaves destDir, device or FIFO
// entries, and anything past `limits`; a truncated or corrupt jar fails the same way. Files
// keep their executable bits (at most 0755: no setuid, no group or world write).
ExtractResult extractArtifact(const std::string& jarPath, const std::string& destDir,
                              const ExtractLimits& limits = {});

// libarchive's message for `a`'s last error, never null (it is, for some failures).
std::string archiveError(::archive* a);

// One value of META-INF/MANIFEST.MF text ("Squall-Topology-File"), or "" when absent.
std::string manifestValue(const std::string& manifestText, const std::string& key);

}  // namespace squall::artifact
