#pragma once
// ZooKeeperServer: runs Debian's ZooKeeper server (package `zookeeper`, Java) as a child process
// with a private configuration and data directory, listening on 127.0.0.1 only. Used by
// `squall dev-cluster` and by the tests; the cluster daemons never start one.
//
// Lifetime: start() writes DIR/zoo.cfg, launches `java ... QuorumPeerMain DIR/zoo.cfg` (output
// in DIR/zookeeper.log) and returns once the server answers the `srvr` four-letter word as
// serving, or throws ZooKeeperServerError with the log's tail. stop() sends SIGTERM, waits,
// then SIGKILL; the destructor stops it. The child also gets SIGKILL when the thread that
// started it dies (PR_SET_PDEATHSIG), so a crashed or killed parent leaves no Java behind.
// restart() keeps the port and the data, so sessions survive it (as they survive a real
// server's restart). Not thread-safe: one owner thread.

#include <sys/types.h>

#include <string>

#include "squall/errors.h"

namespace squall::cluster {

class ZooKeeperServerError : public SquallError {
 public:
  using SquallError::SquallError;
};

struct ZooKeeperServerOptions {
  std::string dir;        // created if missing; holds zoo.cfg, data/ and zookeeper.log
  int port = 0;           // 0: a free loopback port, chosen at the first start
  int tickTimeMs = 2000;  // session timeouts are bounded to [2, 20] ticks
  // Empty: $SQUALL_JAVA, else `java` on PATH.
  std::string java;
  // Empty: $SQUALL_ZOOKEEPER_CLASSPATH, else Debian's jars under /usr/share/java.
  std::string classpath;
  int startTimeoutMs = 60000;
  bool removeDirOnDestroy = false;
};

class ZooKeeperServer {
 public:
  explicit ZooKeeperServer(ZooKeeperServerOptions options);
  ~ZooKeeperServer();
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  void start();
  void stop();
  void restart();
  bool running() const { return pid_ > 0; }
  // Reaps the server if it has exited on its own; false then (the log says why).
  bool alive();

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return opts_.dir; }
  std::string logTail(size_t bytes = 4000) const;

  // The server's answer to a four-letter word ("srvr", "ruok", ...), "" when none came in
  // timeoutMs.
  static std::string fourLetterWord(int port, const std::string& word, int timeoutMs = 1000);

 private:
  void launch();
  bool waitServing(std::string& why);

  ZooKeeperServerOptions opts_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A fresh directory under $TMPDIR (or /tmp), named prefix-XXXXXX.
std::string makeTempDir(const std::string& prefix);

}  // namespace squall::cluster
