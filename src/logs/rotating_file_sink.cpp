#include "logs/rotating_file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace squall::logs {

RotatingFileSink::RotatingFileSink(uint64_t maxBytes, int maxFiles)
    : maxBytes_(std::max<uint64_t>(1, maxBytes)), maxFiles_(std::max(0, maxFiles)) {}

RotatingFileSink::~RotatingFileSink() {
  if (fd_ >= 0) ::close(fd_);
}

std::string RotatingFileSink::rotatedName(const std::string& path, int index) {
  return fmt::format("{}.{}", path, index);
}

std::string RotatingFileSink::path() {
  std::lock_guard lock(mutex_);
  return path_;
}

void RotatingFileSink::open(const std::string& path) {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("cannot write the log file {}: {}", path,
                                         ec ? ec.message() : std::strerror(errno)));
  }
  struct stat st {};
  size_ = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
  holding_ = false;
  for (const auto& line : pending_) write(line.data(), line.size());
  if (dropped_) {
    std::string note =
        fmt::format("({} lines logged before this file was opened were not kept)\n", dropped_);
    write(note.data(), note.size());
  }
  pending_.clear();
  pending_.shrink_to_fit();
  pendingBytes_ = 0;
  dropped_ = 0;
}

void RotatingFileSink::discardPending() {
  std::lock_guard lock(mutex_);
  holding_ = false;
  pending_.clear();
  pending_.shrink_to_fit();
  pendingBytes_ = 0;
}

void RotatingFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  if (fd_ < 0) {
    if (!holding_) return;
    if (pendingBytes_ + formatted.size() > kPendingBytes) {
      ++dropped_;
      return;
    }
    pendingBytes_ += formatted.size();
    pending_.emplace_back(formatted.data(), formatted.size());
    return;
  }
  write(formatted.data(), formatted.size());
}

void RotatingFileSink::write(const char* data, size_t size) {
  if (size_ > 0 && size_ + size > maxBytes_) rotate();
  if (fd_ < 0) return;
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk must not stop the topology; the console still has the line
    }
    data += n;
    size -= static_cast<size_t>(n);
    size_ += static_cast<uint64_t>(n);
  }
}

void RotatingFileSink::rotate() {
  ::close(fd_);
  fd_ = -1;
  if (maxFiles_ == 0) {
    ::unlink(path_.c_str());
  } else {
    ::unlink(rotatedName(path_, maxFiles_).c_str());
    for (int i = maxFiles_ - 1; i >= 1; --i) {
      std::rename(rotatedName(path_, i).c_str(), rotatedName(path_, i + 1).c_str());
    }
    std::rename(path_.c_str(), rotatedName(path_, 1).c_str());
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0644);
  size_ = 0;
}

}  // namespace squall::logs
