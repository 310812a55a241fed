#pragma once
// ErrorLog: errors reported by a topology's components (reportError and caught exceptions),
// newest last, bounded. Any thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "squall/local_cluster.h"

namespace squall::internal {

class ErrorLog {
 public:
  void add(const std::string& component, int task, const std::string& message) {
    std::lock_guard lock(mu_);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    errors_.push_back(ReportedError{component, task, message,
                                    std::chrono::duration_cast<std::chrono::seconds>(now).count()});
    ++added_;
    if (errors_.size() > kMax) errors_.pop_front();
  }
  std::vector<ReportedError> all() const {
    std::lock_guard lock(mu_);
    return {errors_.begin(), errors_.end()};
  }
  // The kept errors and how many were ever added (the kept ones are the last of those), so a
  // reader that polls tells new errors from ones it has seen.
  std::vector<ReportedError> all(uint64_t* added) const {
    std::lock_guard lock(mu_);
    *added = added_;
    return {errors_.begin(), errors_.end()};
  }

 private:
  static constexpr size_t kMax = 1000;
  mutable std::mutex mu_;
  std::deque<ReportedError> errors_;
  uint64_t added_ = 0;
};

}  // namespace squall::internal
