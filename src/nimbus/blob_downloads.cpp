#include "nimbus/blob_downloads.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace squall::nimbus {

struct BlobDownloads::Session {
  std::string bytes;  // the blob when held in memory
  size_t offset = 0;
  std::unique_ptr<std::ifstream> file;  // the blob when read from a file
  int64_t lastUsedMs = 0;
};

namespace {

std::string sessionId() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", rd());
  return id;
}

}  // namespace

BlobDownloads::BlobDownloads(Options options) : options_(std::move(options)) {}
BlobDownloads::~BlobDownloads() = default;

int64_t BlobDownloads::now() const {
  if (options_.nowMs) return options_.nowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string BlobDownloads::add(std::unique_ptr<Session> s) {
  std::lock_guard lock(mu_);
  int64_t t = now();
  s->lastUsedMs = t;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (t - it->second->lastUsedMs >= options_.idleMs)
      it = sessions_.erase(it);
    else
      ++it;
  }
  if (sessions_.size() >= options_.maxOpen)
    throw std::runtime_error(fmt::format(
        "nimbus: {} blob downloads are open already; try again when one ends", sessions_.size()));
  std::string id = sessionId();
  sessions_.emplace(id, std::move(s));
  return id;
}

std::string BlobDownloads::openBytes(std::string bytes) {
  auto s = std::make_unique<Session>();
  s->bytes = std::move(bytes);
  return add(std::move(s));
}

std::string BlobDownloads::openFile(const std::string& path) {
  auto s = std::make_unique<Session>();
  s->file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*s->file)
    throw std::runtime_error(
        fmt::format("nimbus: cannot read blob file {}: {}", path, std::strerror(errno)));
  return add(std::move(s));
}

std::string BlobDownloads::next(const std::string& session) {
  std::unique_lock lock(mu_);
  auto it = sessions_.find(session);
  if (it == sessions_.end() || now() - it->second->lastUsedMs >= options_.idleMs) {
    if (it != sessions_.end()) sessions_.erase(it);
    throw std::runtime_error(
        fmt::format("nimbus: no blob download session '{}' (finished, expired or never begun)",
                    session.substr(0, 64)));
  }
  Session& s = *it->second;
  s.lastUsedMs = now();
  std::string chunk;
  if (s.file) {
    chunk.resize(options_.chunkBytes);
    s.file->read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<size_t>(s.file->gcount()));
  } else {
    size_t n = std::min(options_.chunkBytes, s.bytes.size() - s.offset);
    chunk.assign(s.bytes, s.offset, n);
    s.offset += n;
  }
  if (chunk.empty()) sessions_.erase(it);
  return chunk;
}

size_t BlobDownloads::open() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace squall::nimbus
