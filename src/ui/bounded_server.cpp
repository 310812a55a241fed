#include "ui/bounded_server.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace squall::ui {

namespace {

constexpr int kTimeoutMs = 5000;

// A socket with poll timeouts that reads at most `limit` bytes in all.
class BoundedStream : public httplib::Stream {
 public:
  // `deadline`: for the whole request however slowly it trickles in, so that a slow client
  // holds a thread at most this long.
  BoundedStream(int fd, size_t limit, std::chrono::milliseconds deadline)
      : fd_(fd), left_(limit), deadline_(std::chrono::steady_clock::now() + deadline) {}

  bool is_readable() const override { return wait(POLLIN); }
  bool is_writable() const override { return wait(POLLOUT); }
  ssize_t read(char* ptr, size_t size) override {
    if (left_ == 0 || !wait(POLLIN)) return -1;
    ssize_t n = ::recv(fd_, ptr, std::min(size, left_), 0);
    if (n > 0) left_ -= static_cast<size_t>(n);
    return n;
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!wait(POLLOUT)) return -1;
    return ::send(fd_, ptr, size, MSG_NOSIGNAL);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address(::getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  bool wait(short events) const {
    pollfd p{fd_, events, 0};
    int r;
    do {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline_ - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return false;
      r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, kTimeoutMs)));
    } while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & (events | POLLHUP | POLLERR));
  }
  template <class F>
  void address(F get, std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    ip.clear();
    port = 0;
    if (get(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) return;
    char buf[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&a);
      inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
      port = ntohs(in->sin_port);
    } else if (a.ss_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&a);
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
      port = ntohs(in6->sin6_port);
    }
    ip = buf;
  }

  int fd_;
  size_t left_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

std::thread BoundedServer::listenInBackground() {
  listenerStarted_ = true;
  return std::thread([this] {
    listen_after_bind();
    listenerDone_ = true;
  });
}

void BoundedServer::stopAll() {
  if (listenerStarted_) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!is_running() && !listenerDone_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  stop();
  std::lock_guard lock(mu_);
  for (socket_t s : open_) ::shutdown(s, SHUT_RDWR);
}

bool BoundedServer::process_and_close_socket(socket_t sock) {
  {
    std::lock_guard lock(mu_);
    open_.insert(sock);
  }
  bool ok;
  {
    BoundedStream stream(sock, kMaxRequestBytes, requestDeadline_);
    bool closed = true;
    ok = process_request(stream, /*close_connection=*/true, closed, [](httplib::Request&) {});
  }
  {
    std::lock_guard lock(mu_);
    open_.erase(sock);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace squall::ui
