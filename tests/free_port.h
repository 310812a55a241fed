#pragma once
// A loopback TCP port nothing listens on, for tests that start servers and workers.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

namespace squall::testing {

// Never one this process handed out before: the kernel may give a just-closed port again, and
// two workers of one assignment on one port (one unix socket name, too) would meet themselves.
inline int freePort() {
  static std::set<int> given;
  while (true) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    if (given.insert(ntohs(a.sin_port)).second) return ntohs(a.sin_port);
  }
}

}  // namespace squall::testing
