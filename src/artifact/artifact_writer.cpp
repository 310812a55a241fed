#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "artifact/artifact.h"

namespace fs = std::filesystem;

namespace squall::artifact {
namespace {

// 1980-01-02: the zip format's time starts in 1980; a fixed time keeps jars reproducible.
constexpr time_t kEntryTime = 315619200;

bool validName(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  if (name.find('\0') != std::string::npos || name.find('\\') != std::string::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string readFile(const std::string& path, const std::string& jar) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ArtifactError(fmt::format("{}: cannot read {}", jar, path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ArtifactError(fmt::format("{}: cannot read {}", jar, path));
  return data;
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

}  // namespace

void writeArtifact(const std::string& jarPath, std::vector<ArtifactFile> files) {
  std::sort(files.begin(), files.end(),
            [](const ArtifactFile& a, const ArtifactFile& b) { return a.name < b.name; });
  std::set<std::string> dirs;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    if (!validName(f.name)) {
      throw ArtifactError(
          fmt::format("{}: entry name '{}' is not a relative path", jarPath, f.name));
    }
    if (i > 0 && files[i - 1].name == f.name) {
      throw ArtifactError(fmt::format("{}: two entries named '{}'", jarPath, f.name));
    }
    for (size_t slash = f.name.find('/'); slash != std::string::npos;
         slash = f.name.find('/', slash + 1)) {
      dirs.insert(f.name.substr(0, slash + 1));
    }
  }

  fs::path target(jarPath);
  fs::path tmp = target;
  tmp += fmt::format(".tmp-{}", getpid());
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  archive_write_set_format_zip(a.get());
  if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) {
    throw ArtifactError(fmt::format("{}: cannot create: {}", jarPath, archiveError(a.get())));
  }
  auto fail = [&](const std::string& entry) {
    std::string why = archiveError(a.get());
    a.reset();
    std::error_code ec;
    fs::remove(tmp, ec);
    throw ArtifactError(fmt::format("{}: writing entry '{}': {}", jarPath, entry, why));
  };
  auto entry = std::unique_ptr<archive_entry, void (*)(archive_entry*)>(archive_entry_new(),
                                                                        archive_entry_free);
  // Folder entries first (a jar lists them; unzip and Java both make them from file names
  // too), then the files, each in name order.
  for (const auto& d : dirs) {
    archive_entry_clear(entry.get());
    archive_entry_set_pathname(entry.get(), d.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFDIR);
    archive_entry_set_perm(entry.get(), 0755);
    archive_entry_set_mtime(entry.get(), kEntryTime, 0);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) fail(d);
  }
  for (const auto& f : files) {
    std::string data = f.data;
    bool executable = f.executable;
    if (!f.source.empty()) {
      data = readFile(f.source, jarPath);
      struct stat st {};
      executable = ::stat(f.source.c_str(), &st) == 0 && (st.st_mode & S_IXUSR);
    }
    archive_entry_clear(entry.get());
    archive_entry_set_pathname(entry.get(), f.name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), executable ? 0755 : 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(entry.get(), kEntryTime, 0);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) fail(f.name);
    if (!data.empty() && archive_write_data(a.get(), data.data(), data.size()) !=
                             static_cast<la_ssize_t>(data.size())) {
      fail(f.name);
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) fail("(central directory)");
  a.reset();
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw ArtifactError(fmt::format("{}: cannot rename into place: {}", jarPath, ec.message()));
  }
}

std::string archiveError(::archive* a) {
  const char* why = archive_error_string(a);
  return why ? why : fmt::format("libarchive error {}", archive_errno(a));
}

std::string manifestValue(const std::string& text, const std::string& key) {
  // Manifest lines are "Key: value"; a line starting with a space continues the previous one.
  std::string prefix = key + ": ";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(prefix, 0) == 0) {
      std::string value = line.substr(prefix.size());
      size_t next = end + 1;
      while (next < text.size() && text[next] == ' ') {
        size_t e = text.find('\n', next);
        if (e == std::string::npos) e = text.size();
        std::string more = text.substr(next + 1, e - next - 1);
        if (!more.empty() && more.back() == '\r') more.pop_back();
        value += more;
        next = e + 1;
      }
      return value;
    }
    pos = end + 1;
  }
  return {};
}

}  // namespace squall::artifact
