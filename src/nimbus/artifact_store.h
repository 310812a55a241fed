#pragma once
// Uploaded topology artifacts (Storm's beginFileUpload / uploadChunk / finishFileUpload), kept
// under `root` (storm.local.dir/nimbus): an upload is written to inbox/stormjar-<uuid>.jar,
// and when finished it is stored by content as artifacts/<sha256> (the same bytes uploaded
// twice are stored once). Only locations this store handed out are accepted: a client never
// names a path. Bounded: at most `maxOpen` uploads in progress, each at most `maxBytes`.
// Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace squall::nimbus {

// The SHA-256 of a file, as 64 hex digits; std::runtime_error when it cannot be read.
std::string sha256File(const std::string& path);

class ArtifactStore {
 public:
  ArtifactStore(std::string root, uint64_t maxBytes = uint64_t{1} << 30, size_t maxOpen = 64);

  std::string begin();  // the location to upload to
  void append(const std::string& location, const std::string& chunk);
  void finish(const std::string& location);
  // The content hash a finished upload was stored as; nullopt for an unknown location.
  std::optional<std::string> artifactOf(const std::string& location) const;
  std::string pathOf(const std::string& hash) const;

 private:
  struct Upload {
    uint64_t bytes = 0;
  };
  std::string root_;
  uint64_t maxBytes_;
  size_t maxOpen_;
  mutable std::mutex mu_;
  std::map<std::string, Upload> open_;
  std::map<std::string, std::string> finished_;  // location -> hash
};

}  // namespace squall::nimbus
