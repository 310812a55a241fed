#pragma once
// BoundedServer: cpp-httplib's Server with a bound on what one connection may send. httplib
// 0.11 limits the request line and each header line to 8 KiB but not how many header lines
// come, so a client streaming headers would grow the server's memory without end. Here each
// connection serves one request (the reply says `Connection: close`) through a socket stream
// that stops reading after kMaxRequestBytes, so httplib's parser fails and answers 400, and
// gives up on a request that has not arrived within its deadline (30 s).

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace squall::ui {

class BoundedServer : public httplib::Server {
 public:
  // The request line, headers and body of one request together.
  static constexpr size_t kMaxRequestBytes = 256 * 1024;

  explicit BoundedServer(std::chrono::milliseconds requestDeadline = std::chrono::seconds(30))
      : requestDeadline_(requestDeadline) {}

  // Runs listen_after_bind() on a new thread, which the caller joins after stopAll().
  std::thread listenInBackground();
  // Stops listening and ends the requests being read, so that stopping does not wait for a
  // slow client's deadline. Also right after listenInBackground(): httplib's stop() does
  // nothing until its listen loop has begun, and a loop that begins after it never ends, so
  // this first waits (at most 5 s) for the loop to be running.
  void stopAll();
  // Connections whose request is being read or answered.
  size_t openConnections() {
    std::lock_guard lock(mu_);
    return open_.size();
  }

 private:
  std::chrono::milliseconds requestDeadline_;
  std::atomic<bool> listenerStarted_{false};
  std::atomic<bool> listenerDone_{false};
  std::mutex mu_;
  std::set<socket_t> open_;
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace squall::ui
