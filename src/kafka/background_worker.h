#pragma once
// BackgroundWorker: one thread that runs one job at a time, for the blocking calls a spout
// must not make on its executor thread (metadata, committed offsets, watermarks). submit()
// refuses a job while another is queued or running; the job hands its result back itself.
// start() in open, stop() (waits for the running job) before what the jobs use goes away.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace squall::kafka {

class BackgroundWorker {
 public:
  BackgroundWorker() = default;
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;
  ~BackgroundWorker() { stop(); }

  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  // Refuses new jobs; the running one finishes (stop() waits for it).
  void requestStop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  void stop() {
    requestStop();
    if (thread_.joinable()) thread_.join();
  }
  // False when busy (or stopped).
  bool submit(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (stop_ || busy_) return false;
      job_ = std::move(job);
      busy_ = true;
    }
    cv_.notify_all();
    return true;
  }
  bool busy() const {
    std::lock_guard lock(mu_);
    return busy_;
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || job_; });
      if (stop_) return;
      auto job = std::move(job_);
      job_ = nullptr;
      lock.unlock();
      job();
      lock.lock();
      busy_ = false;
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace squall::kafka
