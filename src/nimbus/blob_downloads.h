#pragma once
// BlobDownloads: the open download sessions of Storm's beginBlobDownload / downloadBlobChunk.
// A session reads one blob, either bytes held in memory (a topology's code or configuration)
// or a file (its uploaded jar), in chunks of `chunkBytes`; the chunk after the last byte is
// empty and closes the session. Bounded: at most `maxOpen` sessions; one left idle for
// `idleMs` is dropped when the next one opens, so a client that walks away costs nothing
// for long. Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace squall::nimbus {

class BlobDownloads {
 public:
  struct Options {
    size_t chunkBytes = 256 * 1024;  // well under a Thrift frame (nimbus.thrift.max_buffer_size)
    size_t maxOpen = 64;
    int64_t idleMs = 60000;
    std::function<int64_t()> nowMs;  // default: the steady clock
  };

  BlobDownloads() : BlobDownloads(Options{}) {}
  explicit BlobDownloads(Options options);
  ~BlobDownloads();

  // Opens a session over `bytes`, or over the file at `path`; returns its id. The file is
  // opened at once, so a blob removed later still reads to its end. std::runtime_error when
  // too many sessions are open or the file cannot be opened.
  std::string openBytes(std::string bytes);
  std::string openFile(const std::string& path);
  // The next chunk; empty at the end (the session is then closed). std::runtime_error for an
  // unknown or expired session.
  std::string next(const std::string& session);
  size_t open() const;

 private:
  struct Session;
  std::string add(std::unique_ptr<Session> s);
  int64_t now() const;

  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;
};

}  // namespace squall::nimbus
