#include "nimbus/artifact_store.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace fs = std::filesystem;

namespace squall::nimbus {
namespace {

std::string randomHex(size_t bytes) {
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", rd() & 0xff);
  return out;
}

}  // namespace

std::string sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    EVP_DigestUpdate(ctx, buf, static_cast<size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

ArtifactStore::ArtifactStore(std::string root, uint64_t maxBytes, size_t maxOpen)
    : root_(std::move(root)), maxBytes_(maxBytes), maxOpen_(maxOpen) {
  fs::create_directories(fs::path(root_) / "inbox");
  fs::create_directories(fs::path(root_) / "artifacts");
}

std::string ArtifactStore::begin() {
  std::lock_guard lock(mu_);
  if (open_.size() >= maxOpen_) {
    throw std::runtime_error(fmt::format(
        "{} uploads are already in progress; finish one before beginning another", maxOpen_));
  }
  std::string location =
      (fs::path(root_) / "inbox" / fmt::format("stormjar-{}.jar", randomHex(16))).string();
  std::ofstream(location, std::ios::binary | std::ios::trunc);
  open_[location] = Upload{};
  return location;
}

void ArtifactStore::append(const std::string& location, const std::string& chunk) {
  std::lock_guard lock(mu_);
  auto it = open_.find(location);
  if (it == open_.end()) {
    throw std::runtime_error("File for that location does not exist (or timed out): " + location);
  }
  if (it->second.bytes + chunk.size() > maxBytes_) {
    open_.erase(it);
    fs::remove(location);
    throw std::runtime_error(
        fmt::format("upload {} is larger than {} bytes; it was discarded", location, maxBytes_));
  }
  std::ofstream out(location, std::ios::binary | std::ios::app);
  out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  if (!out) throw std::runtime_error("cannot write " + location);
  it->second.bytes += chunk.size();
}

void ArtifactStore::finish(const std::string& location) {
  std::lock_guard lock(mu_);
  if (!open_.erase(location)) {
    throw std::runtime_error("File for that location does not exist (or timed out): " + location);
  }
  std::string hash = sha256File(location);
  fs::path stored = fs::path(pathOf(hash));
  if (fs::exists(stored)) {
    fs::remove(location);
  } else {
    fs::rename(location, stored);
  }
  finished_[location] = hash;
}

std::optional<std::string> ArtifactStore::artifactOf(const std::string& location) const {
  std::lock_guard lock(mu_);
  auto it = finished_.find(location);
  if (it == finished_.end()) return std::nullopt;
  return it->second;
}

std::string ArtifactStore::pathOf(const std::string& hash) const {
  return (fs::path(root_) / "artifacts" / hash).string();
}

}  // namespace squall::nimbus
