#include "net/free_ports.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace squall::net {

namespace {

sockaddr_in addressOf(const std::string& host, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    address.sin_addr.s_addr = htonl(INADDR_ANY);  // free on every address is free on host's
  }
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// Closes every socket it holds when the picking ends, however it ends.
struct HeldSockets {
  std::vector<int> fds;
  ~HeldSockets() {
    for (int fd : fds) ::close(fd);
  }
};

}  // namespace

std::vector<int> freePorts(const std::string& host, size_t count, const std::set<int>& avoid) {
  const sockaddr_in address = addressOf(host, 0);
  HeldSockets held;
  std::vector<int> ports;
  // Each held socket owns a distinct port, so at most avoid.size() picks are thrown away.
  while (ports.size() < count) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw std::runtime_error(
          fmt::format("no free port on {}: socket(): {}", host, std::strerror(errno)));
    }
    held.fds.push_back(fd);
    sockaddr_in bound = address;
    socklen_t length = sizeof bound;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&bound), sizeof bound) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
      throw std::runtime_error(fmt::format("no free port on {}: {}", host, std::strerror(errno)));
    }
    int port = ntohs(bound.sin_port);
    if (avoid.count(port) == 0) ports.push_back(port);
  }
  return ports;
}

int freePort(const std::string& host, const std::set<int>& avoid) {
  return freePorts(host, 1, avoid).front();
}

bool portFree(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = addressOf(host, port);
  bool taken =
      ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno == EADDRINUSE;
  ::close(fd);
  return !taken;
}

}  // namespace squall::net
