#pragma once
// RotatingFileSink: an spdlog sink writing one file that rotates by size the way Storm's
// worker log4j2 configuration does (SizeBasedTriggeringPolicy + DefaultRolloverStrategy):
// when the next line would take `worker.log` past maxBytes, worker.log.N-1 becomes
// worker.log.N (the oldest, worker.log.N, is deleted), ..., worker.log becomes worker.log.1,
// and a fresh worker.log starts. Storm gzips the rotated files; these stay plain text so
// `squall logs` and grep read them as they are.
//
// The path may be given after the sink is in use (a topology's id is known only once it is
// submitted): lines logged before open() are held, at most kPendingBytes of them, and written
// first. Every line is written with one write(2) as it comes (log4j2's immediateFlush), so a
// reader following the file sees it at once and a crash loses nothing that was logged.
// Thread-safe (spdlog's base_sink lock).

#include <spdlog/sinks/base_sink.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace squall::logs {

class RotatingFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr size_t kPendingBytes = 4 << 20;

  // maxFiles: rotated files kept beside the current one (0: the file starts over instead).
  RotatingFileSink(uint64_t maxBytes, int maxFiles);
  ~RotatingFileSink() override;

  // Opens (appending to) `path`, creating its folder, and writes what was held. Throws
  // std::runtime_error naming the path when it cannot.
  void open(const std::string& path);
  // Stops holding lines for a file that will never be opened.
  void discardPending();
  std::string path();

  // The name of rotated file `index` (1 = newest) of `path`: "worker.log.3".
  static std::string rotatedName(const std::string& path, int index);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  void write(const char* data, size_t size);
  void rotate();

  uint64_t maxBytes_;
  int maxFiles_;
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool holding_ = true;
  std::vector<std::string> pending_;
  size_t pendingBytes_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace squall::logs
