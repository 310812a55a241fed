#include "logs/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "logs/log_tag.h"
#include "logs/rotating_file_sink.h"

namespace squall::logs {

namespace fs = std::filesystem;

std::vector<std::string> portLogFiles(const std::string& portDir) {
  std::string base = (fs::path(portDir) / kWorkerLog).string();
  std::vector<int> rotated;
  std::error_code ec;
  std::string prefix = std::string(kWorkerLog) + ".";
  for (const auto& e : fs::directory_iterator(portDir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::string index = name.substr(prefix.size());
    if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) continue;
    if (index.size() > 6) continue;
    rotated.push_back(std::stoi(index));
  }
  std::sort(rotated.rbegin(), rotated.rend());
  std::vector<std::string> out;
  for (int i : rotated) out.push_back(RotatingFileSink::rotatedName(base, i));
  if (fs::exists(base, ec)) out.push_back(base);
  return out;
}

std::string lineComponent(std::string_view line) {
  if (!startsEntry(line)) return "";
  std::string_view rest = line.substr(kStampLength + 1);
  size_t end = rest.find(" [");
  if (end == std::string_view::npos) return "";
  std::string_view tag = rest.substr(0, end);
  size_t colon = tag.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return "";
  return std::string(tag.substr(0, colon));
}

LogReader::LogReader(TopologyLogs topology, std::string component, Output out)
    : topology_(std::move(topology)), component_(std::move(component)), out_(std::move(out)) {}

LogReader::~LogReader() {
  for (auto& [port, f] : followed_) {
    if (f.fd >= 0) ::close(f.fd);
  }
}

void LogReader::emitLine(Followed& f, std::string_view line) {
  if (startsEntry(line)) {
    std::string c = lineComponent(line);
    if (!c.empty()) seen_.insert(c);
    f.keeping = component_.empty() || lineHasComponent(line, component_);
  } else if (component_.empty()) {
    f.keeping = true;
  }
  if (!f.keeping) return;
  ++printed_;
  out_(f.path, line);
}

void LogReader::feed(Followed& f, std::string_view data, bool flush) {
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    if (nl == std::string_view::npos) {
      f.partial.append(data.substr(start));
      break;
    }
    if (f.partial.empty()) {
      emitLine(f, data.substr(start, nl - start));
    } else {
      f.partial.append(data.substr(start, nl - start));
      emitLine(f, f.partial);
      f.partial.clear();
    }
    start = nl + 1;
  }
  if (flush && !f.partial.empty()) {
    emitLine(f, f.partial);
    f.partial.clear();
  }
}

// Reads `fd` to its end into `f`; false on a read error.
bool LogReader::drain(Followed& f) {
  char buf[65536];
  while (true) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return true;
    feed(f, std::string_view(buf, static_cast<size_t>(n)), false);
  }
}

void LogReader::readFile(const std::string& path, Followed* follow) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  Followed scratch;
  Followed& f = follow ? *follow : scratch;
  f.fd = fd;
  if (!follow) f.path = path;
  drain(f);
  if (!follow) {
    feed(f, {}, true);
    ::close(fd);
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) f.inode = st.st_ino;
}

void LogReader::readExisting() {
  for (const auto& port : topology_.ports) {
    std::string dir = (fs::path(topology_.dir) / port).string();
    std::vector<std::string> files = portLogFiles(dir);
    Followed& f = followed_[port];
    f.path = (fs::path(dir) / kWorkerLog).string();
    for (const auto& file : files) {
      if (file == f.path) {
        readFile(file, &f);
      } else {
        readFile(file, nullptr);
      }
    }
  }
}

void LogReader::addPorts() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(topology_.dir, ec)) {
    if (!e.is_directory(ec)) continue;
    std::string port = e.path().filename().string();
    if (followed_.count(port)) continue;
    Followed& f = followed_[port];
    f.path = (e.path() / kWorkerLog).string();
  }
}

size_t LogReader::poll() {
  size_t before = printed_;
  addPorts();
  for (auto& [port, f] : followed_) {
    if (f.fd >= 0) drain(f);
    struct stat st {};
    bool exists = ::stat(f.path.c_str(), &st) == 0;
    if (!exists) continue;
    if (f.fd >= 0 && st.st_ino == f.inode) continue;
    // Rotated (or new): finish the old file, then read the new one from its start.
    if (f.fd >= 0) {
      drain(f);
      feed(f, {}, true);
      ::close(f.fd);
      f.fd = -1;
    }
    readFile(f.path, &f);
  }
  return printed_ - before;
}

}  // namespace squall::logs
