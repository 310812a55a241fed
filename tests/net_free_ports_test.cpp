// The free ports picked for processes about to be started (src/net/free_ports.h).
#include "net/free_ports.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <vector>

namespace {

// Binds and listens on 127.0.0.1:port as a worker would (SO_REUSEADDR); -1 when it cannot.
int listenOn(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(FreePorts, ManyPickedTogetherAreDistinctAndEachCanBeListenedOn) {
  std::vector<int> ports = squall::net::freePorts("127.0.0.1", 200);
  ASSERT_EQ(ports.size(), 200u);
  std::set<int> distinct(ports.begin(), ports.end());
  EXPECT_EQ(distinct.size(), ports.size());
  std::vector<int> listening;
  for (int port : ports) {
    EXPECT_GT(port, 0);
    int fd = listenOn(port);
    EXPECT_GE(fd, 0) << "port " << port << " was returned but cannot be listened on";
    if (fd >= 0) listening.push_back(fd);
  }
  for (int fd : listening) ::close(fd);
}

TEST(FreePorts, PortsAlreadyPromisedAreNotPickedAgain) {
  // Promise a large share of what the kernel would hand out next, then ask for more: none of
  // the promised come back, although nothing listens on them.
  std::vector<int> first = squall::net::freePorts("127.0.0.1", 300);
  std::set<int> promised(first.begin(), first.end());
  for (int round = 0; round < 5; ++round) {
    for (int port : squall::net::freePorts("127.0.0.1", 50, promised)) {
      EXPECT_EQ(promised.count(port), 0u) << "port " << port << " was promised already";
    }
    EXPECT_EQ(promised.count(squall::net::freePort("127.0.0.1", promised)), 0u);
  }
}

TEST(FreePorts, AHostNameThatIsNotAnAddressStillGetsAPortFreeEverywhere) {
  int port = squall::net::freePort("localhost");
  int fd = listenOn(port);
  EXPECT_GE(fd, 0);
  if (fd >= 0) ::close(fd);
}

TEST(FreePorts, AnAddressOfNoInterfaceIsAnErrorThatNamesIt) {
  try {
    squall::net::freePort("192.0.2.1");  // TEST-NET-1: no interface of this host has it
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("192.0.2.1"), std::string::npos) << e.what();
  }
}

TEST(FreePorts, APortIsFreeUntilSomeoneListensOnItAndAgainAfter) {
  int port = squall::net::freePort("127.0.0.1");
  EXPECT_TRUE(squall::net::portFree("127.0.0.1", port));
  int fd = listenOn(port);
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(squall::net::portFree("127.0.0.1", port));
  EXPECT_FALSE(squall::net::portFree("localhost", port));  // any address includes loopback
  ::close(fd);
  EXPECT_TRUE(squall::net::portFree("127.0.0.1", port));
}

}  // namespace
