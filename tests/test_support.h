#pragma once
// Helpers shared by the runtime tests: wait for a condition with a deadline (never sleep and
// hope), and a process-wide recorder that components write to and tests read.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace squall::testing {

// Polls `cond` until it holds or `timeout` passes; returns whether it held.
inline bool waitFor(const std::function<bool()>& cond,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A thread-safe list of events per key.
template <class T>
class Recorder {
 public:
  void add(const std::string& key, T v) {
    std::lock_guard lock(mu_);
    events_[key].push_back(std::move(v));
  }
  std::vector<T> get(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = events_.find(key);
    return it == events_.end() ? std::vector<T>{} : it->second;
  }
  size_t count(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = events_.find(key);
    return it == events_.end() ? 0 : it->second.size();
  }
  void clear() {
    std::lock_guard lock(mu_);
    events_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<T>> events_;
};

}  // namespace squall::testing
