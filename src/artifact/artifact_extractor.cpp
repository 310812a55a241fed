#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>

#include "artifact/artifact.h"

namespace fs = std::filesystem;

namespace squall::artifact {
namespace {

struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// The name's components, or an empty list when it is absolute or climbs out with "..".
// "." and empty components (a folder's trailing '/') are dropped.
std::vector<std::string> components(const std::string& name, bool& ok) {
  std::vector<std::string> parts;
  ok = !name.empty() && name.front() != '/';
  size_t start = 0;
  while (ok && start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    if (part == "..")
      ok = false;
    else if (!part.empty() && part != ".")
      parts.push_back(part);
    start = end + 1;
  }
  if (parts.empty()) ok = false;
  return parts;
}

bool isInside(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

class Extraction {
 public:
  Extraction(const std::string& jar, const fs::path& root, const ExtractLimits& limits,
             uint64_t jarSize)
      : jar_(jar), root_(root), limits_(limits) {
    constexpr uint64_t kFloor = uint64_t{1} << 20;
    uint64_t ratio = limits.maxRatio;
    budget_ = jarSize > (UINT64_MAX - kFloor) / std::max<uint64_t>(ratio, 1)
                  ? UINT64_MAX
                  : kFloor + jarSize * ratio;
  }

  [[noreturn]] void refuse(const std::string& entry, const std::string& why) const {
    throw ArtifactError(fmt::format("{}: entry '{}': {}", jar_, entry, why));
  }

  void entry(archive* a, archive_entry* e, ExtractResult& result) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) raw = archive_entry_pathname_utf8(e);
    if (!raw) refuse("?", "its name cannot be read");
    std::string name = raw;
    if (!wanted(name)) return;
    bool ok = false;
    auto parts = components(name, ok);
    if (!ok) refuse(name, "an absolute path or one with '..' would leave the destination");
    if (++result.entries > limits_.maxEntries) {
      refuse(name, fmt::format("more than {} entries", limits_.maxEntries));
    }
    fs::path path = root_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      path /= parts[i];
      makeFolder(path, name);
    }
    path /= parts.back();
    if (archive_entry_hardlink(e)) refuse(name, "hard links are not extracted");
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR:
        makeFolder(path, name);
        break;
      case AE_IFREG:
        writeFile(a, e, path, name, result);
        break;
      case AE_IFLNK:
        makeLink(e, path, name);
        break;
      default:
        refuse(name, "only files, folders and symlinks are extracted");
    }
  }

  // A link's target is checked once every entry is written: a later entry could otherwise
  // turn an inside target into a way out (a folder replaced by a link).
  void checkLinks() const {
    std::error_code ec;
    fs::path root = fs::canonical(root_, ec);
    for (const auto& [path, name] : links_) {
      fs::path resolved = fs::weakly_canonical(path, ec);
      if (ec || !isInside(resolved, root)) {
        refuse(name, fmt::format("symlink to '{}' leaves the destination",
                                 fs::read_symlink(path, ec).string()));
      }
    }
  }

 private:
  bool wanted(const std::string& name) const {
    if (limits_.prefixes.empty()) return true;
    for (const auto& p : limits_.prefixes) {
      if (name.rfind(p, 0) == 0) return true;
    }
    return false;
  }

  void makeFolder(const fs::path& path, const std::string& name) const {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) refuse(name, "it lies under a symlink of the archive");
      if (!S_ISDIR(st.st_mode)) refuse(name, "a file of the archive has the same name");
      return;
    }
    if (::mkdir(path.c_str(), 0755) != 0) {
      refuse(name, fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
    }
  }

  // An entry named again replaces the earlier one, as unzip does; never through a link.
  void clearFor(const fs::path& path, const std::string& name) const {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) refuse(name, "a folder of the archive has the same name");
    ::unlink(path.c_str());
  }

  void writeFile(archive* a, archive_entry* e, const fs::path& path, const std::string& name,
                 ExtractResult& result) {
    clearFor(path, name);
    mode_t mode = (archive_entry_perm(e) & S_IXUSR) ? 0755 : 0644;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) refuse(name, fmt::format("cannot create: {}", std::strerror(errno)));
    uint64_t written = 0;
    char buf[65536];
    try {
      while (true) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
          refuse(name, fmt::format("cannot read its data (truncated or corrupt jar?): {}",
                                   archiveError(a)));
        }
        written += static_cast<uint64_t>(n);
        result.bytes += static_cast<uint64_t>(n);
        if (written > limits_.maxEntryBytes) {
          refuse(name, fmt::format("larger than {} bytes", limits_.maxEntryBytes));
        }
        if (result.bytes > limits_.maxTotalBytes) {
          refuse(name, fmt::format("the jar expands past {} bytes", limits_.maxTotalBytes));
        }
        if (result.bytes > budget_) {
          refuse(name, fmt::format("the jar expands past {} times its size (a zip bomb?)",
                                   limits_.maxRatio));
        }
        for (la_ssize_t off = 0; off < n;) {
          ssize_t w = ::write(fd, buf + off, static_cast<size_t>(n - off));
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) refuse(name, fmt::format("cannot write: {}", std::strerror(errno)));
          off += w;
        }
      }
    } catch (...) {
      ::close(fd);
      throw;
    }
    // The mode asked at open is cut by the umask; the jar's executable bit is what counts.
    ::fchmod(fd, mode);
    if (::close(fd) != 0) refuse(name, fmt::format("cannot write: {}", std::strerror(errno)));
  }

  void makeLink(archive_entry* e, const fs::path& path, const std::string& name) {
    const char* target = archive_entry_symlink(e);
    if (!target || !*target) refuse(name, "a symlink without a target");
    fs::path t(target);
    fs::path lexical = (path.parent_path() / t).lexically_normal();
    if (t.is_absolute() || !isInside(lexical, root_.lexically_normal())) {
      refuse(name, fmt::format("symlink to '{}' leaves the destination", target));
    }
    clearFor(path, name);
    if (::symlink(target, path.c_str()) != 0) {
      refuse(name, fmt::format("cannot create the symlink: {}", std::strerror(errno)));
    }
    links_.emplace_back(path, name);
  }

  std::string jar_;
  fs::path root_;
  ExtractLimits limits_;
  uint64_t budget_ = 0;
  std::vector<std::pair<fs::path, std::string>> links_;
};

bool emptyOrMissing(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

}  // namespace

ExtractResult extractArtifact(const std::string& jarPath, const std::string& destDir,
                              const ExtractLimits& limits) {
  fs::path dest = fs::absolute(destDir).lexically_normal();
  if (dest.filename().empty()) dest = dest.parent_path();
  if (!emptyOrMissing(dest)) {
    throw ArtifactError(fmt::format("{}: cannot extract into {}: it exists and is not empty",
                                    jarPath, dest.string()));
  }
  struct stat st {};
  if (::stat(jarPath.c_str(), &st) != 0) {
    throw ArtifactError(fmt::format("{}: cannot read: {}", jarPath, std::strerror(errno)));
  }
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  std::random_device rd;
  fs::path tmp = dest.parent_path() /
                 fmt::format(".{}.extract-{}-{:x}", dest.filename().string(), getpid(), rd());
  if (::mkdir(tmp.c_str(), 0755) != 0) {
    throw ArtifactError(
        fmt::format("{}: cannot create {}: {}", jarPath, tmp.string(), std::strerror(errno)));
  }
  ExtractResult result;
  try {
    std::unique_ptr<archive, ReadDeleter> a(archive_read_new());
    // The central directory is the zip's table of contents (what Java reads), so seek to it.
    archive_read_support_format_zip_seekable(a.get());
    if (archive_read_open_filename(a.get(), jarPath.c_str(), 65536) != ARCHIVE_OK) {
      throw ArtifactError(
          fmt::format("{}: not a jar (zip) archive: {}", jarPath, archiveError(a.get())));
    }
    Extraction x(jarPath, tmp, limits, static_cast<uint64_t>(st.st_size));
    archive_entry* e = nullptr;
    std::string last = "(first entry)";
    while (true) {
      int rc = archive_read_next_header(a.get(), &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) {
        throw ArtifactError(
            fmt::format("{}: after entry '{}': cannot read the next one "
                        "(truncated or corrupt jar?): {}",
                        jarPath, last, archiveError(a.get())));
      }
      x.entry(a.get(), e, result);
      if (const char* n = archive_entry_pathname(e)) last = n;
    }
    x.checkLinks();
    // An empty folder is replaced by rename(2); a full one (another process won) is not.
    if (::rename(tmp.c_str(), dest.c_str()) != 0) {
      throw ArtifactError(fmt::format("{}: cannot move the extracted tree to {}: {}", jarPath,
                                      dest.string(), std::strerror(errno)));
    }
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  return result;
}

}  // namespace squall::artifact
