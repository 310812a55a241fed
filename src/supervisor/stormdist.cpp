#include "supervisor/stormdist.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace squall::supervisor {

namespace {

// The folders of a jar that a supervisor unpacks.
constexpr const char* kExtracted[] = {"resources/", "squall-python/"};

bool startsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The path's components, refusing "..", absolute paths and backslashes (a zip made on Windows
// may use them as separators; none of ours does).
std::vector<std::string> components(const std::string& jar, const std::string& path) {
  auto refuse = [&](const char* why) {
    throw std::runtime_error(
        fmt::format("{}: entry '{}' {}; refusing to extract it", jar, path, why));
  };
  if (path.empty() || path[0] == '/') refuse("is an absolute path");
  if (path.find('\\') != std::string::npos) refuse("has a backslash");
  std::vector<std::string> parts;
  size_t at = 0;
  while (at <= path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(at, slash - at);
    if (part == "..") refuse("leaves the extraction folder (..)");
    if (!part.empty() && part != ".") parts.push_back(part);
    at = slash + 1;
  }
  return parts;
}

// Whether a link at `entryParts` pointing to `target` stays inside the extraction folder,
// resolved by name (links inside the jar are resolved by the same rule when they are followed).
bool linkStaysInside(const std::vector<std::string>& entryParts, const std::string& target) {
  if (target.empty() || target[0] == '/') return false;
  std::vector<std::string> at(entryParts.begin(), entryParts.end() - 1);
  size_t pos = 0;
  while (pos <= target.size()) {
    size_t slash = target.find('/', pos);
    if (slash == std::string::npos) slash = target.size();
    std::string part = target.substr(pos, slash - pos);
    if (part == "..") {
      if (at.empty()) return false;
      at.pop_back();
    } else if (!part.empty() && part != ".") {
      at.push_back(part);
    }
    pos = slash + 1;
  }
  return true;
}

struct ReadCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};

}  // namespace

void extractJarResources(const std::string& jar, const std::string& dest,
                         const ExtractLimits& limits) {
  std::unique_ptr<archive, ReadCloser> in(archive_read_new());
  std::unique_ptr<archive, WriteCloser> out(archive_write_disk_new());
  if (!in || !out) throw std::runtime_error("libarchive: out of memory");
  archive_read_support_format_zip(in.get());
  // Permission bits kept (setuid/setgid dropped, as they are without EXTRACT_OWNER); never
  // through a link already on disk, never "..": libarchive's own checks behind ours.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_UNLINK);
  if (archive_read_open_filename(in.get(), jar.c_str(), 64 * 1024) != ARCHIVE_OK) {
    throw std::runtime_error(
        fmt::format("{}: not a readable jar (zip): {}", jar, archive_error_string(in.get())));
  }
  std::string root = fs::absolute(dest).lexically_normal().string();
  uint64_t entries = 0, bytes = 0;
  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      throw std::runtime_error(
          fmt::format("{}: malformed jar: {}", jar, archive_error_string(in.get())));
    }
    const char* name = archive_entry_pathname(entry);
    std::string path = name ? name : "";
    // A hostile name anywhere makes the whole jar suspect, extracted or not.
    std::vector<std::string> parts = components(jar, path);
    bool wanted = false;
    for (const char* prefix : kExtracted) wanted = wanted || startsWith(path, prefix);
    if (!wanted) continue;  // the rest of the jar is read past by the next header
    if (++entries > limits.maxEntries) {
      throw std::runtime_error(
          fmt::format("{}: more than {} entries to extract", jar, limits.maxEntries));
    }
    if (archive_entry_hardlink(entry)) {
      throw std::runtime_error(
          fmt::format("{}: entry '{}' is a hard link; refusing to extract it", jar, path));
    }
    if (archive_entry_filetype(entry) == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      if (!target || !linkStaysInside(parts, target)) {
        throw std::runtime_error(fmt::format(
            "{}: entry '{}' is a symbolic link to '{}', outside the extraction folder; refusing "
            "to extract it",
            jar, path, target ? target : ""));
      }
    }
    // Never through a link extracted before (its target was checked from where the link is,
    // not from where it points, so a path through it could still leave `dest`).
    std::string full = root;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0 && fs::is_symlink(full)) {
        throw std::runtime_error(
            fmt::format("{}: entry '{}' is reached through a symbolic link; refusing to extract it",
                        jar, path));
      }
      full += "/" + parts[i];
    }
    archive_entry_set_pathname(entry, full.c_str());
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      throw std::runtime_error(
          fmt::format("{}: cannot extract '{}': {}", jar, path, archive_error_string(out.get())));
    }
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      r = archive_read_data_block(in.get(), &block, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        throw std::runtime_error(
            fmt::format("{}: cannot read '{}': {}", jar, path, archive_error_string(in.get())));
      }
      bytes += size;
      if (bytes > limits.maxBytes) {
        throw std::runtime_error(
            fmt::format("{}: more than {} bytes to extract (at '{}')", jar, limits.maxBytes, path));
      }
      if (archive_write_data_block(out.get(), block, size, offset) < ARCHIVE_WARN) {
        throw std::runtime_error(
            fmt::format("{}: cannot write '{}': {}", jar, path, archive_error_string(out.get())));
      }
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      throw std::runtime_error(
          fmt::format("{}: cannot finish '{}': {}", jar, path, archive_error_string(out.get())));
    }
  }
  // Directory permissions are applied at close.
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    throw std::runtime_error(
        fmt::format("{}: cannot finish extracting: {}", jar, archive_error_string(out.get())));
  }
}

std::string stormJarKey(const std::string& id) {
  return id + "-stormjar.jar";
}
std::string stormCodeKey(const std::string& id) {
  return id + "-stormcode.ser";
}
std::string stormConfKey(const std::string& id) {
  return id + "-stormconf.ser";
}

bool isSafeTopologyId(const std::string& id) {
  return !id.empty() && id[0] != '.' && id.find('/') == std::string::npos &&
         id.find('\0') == std::string::npos;
}

std::string downloadStormDist(const BlobFetcher& fetch, const std::string& id,
                              const std::string& stormdistRoot, const ExtractLimits& limits) {
  if (!isSafeTopologyId(id)) {
    throw std::runtime_error(fmt::format("topology id '{}' cannot name a directory", id));
  }
  fs::create_directories(stormdistRoot);
  fs::path final = fs::path(stormdistRoot) / id;
  if (fs::exists(final)) return final.string();
  // What an earlier supervisor left mid-download.
  std::string prefix = "." + id + ".tmp-";
  for (const auto& e : fs::directory_iterator(stormdistRoot)) {
    if (startsWith(e.path().filename().string(), prefix.c_str())) {
      std::error_code ec;
      fs::remove_all(e.path(), ec);
    }
  }
  std::string pattern = (fs::path(stormdistRoot) / (prefix + "XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    throw std::runtime_error(fmt::format("cannot create {}: {}", pattern, std::strerror(errno)));
  }
  fs::path tmp = buf.data();
  try {
    auto get = [&](const std::string& key, const char* file) {
      fs::path path = tmp / file;
      std::ofstream f(path, std::ios::binary);
      bool found = fetch(key, f);
      f.close();
      if (!f) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
      if (!found) fs::remove(path);
      return found;
    };
    if (!get(stormCodeKey(id), "stormcode.ser") || !get(stormConfKey(id), "stormconf.ser")) {
      throw std::runtime_error(fmt::format("nimbus has no code for topology {}", id));
    }
    if (get(stormJarKey(id), "stormjar.jar")) {
      extractJarResources((tmp / "stormjar.jar").string(), tmp.string(), limits);
    }
    fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    fs::rename(tmp, final);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    if (fs::exists(final)) return final.string();  // another download finished first
    throw;
  }
  return final.string();
}

}  // namespace squall::supervisor
