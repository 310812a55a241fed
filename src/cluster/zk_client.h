#pragma once
// ZkClient: one ZooKeeper session over Debian's libzookeeper-mt, with what the cluster daemons
// need on top of the C API: a chroot (`storm.zookeeper.root`) created on first use, recursive
// mkdirs, operations that wait out a lost connection and retry, bounded reads, and session
// expiry handled (a new handle, the ephemeral nodes made through this client created again,
// pending watches set again; a watch whose node changed meanwhile fires at once).
//
// Threads: every method may be called from any thread. The C library runs two threads of its
// own; this client adds one event thread that runs watchers and session listeners in order and
// replaces an expired session. Watchers and listeners may call this client (they never run on
// the library's completion thread, where a synchronous call would deadlock) but should not block
// for long: they hold up the events behind them. Lifetime: start() connects, close() (or the
// destructor) ends the session, deleting its ephemeral nodes at once.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "squall/config.h"
#include "squall/errors.h"

namespace squall::cluster {

// A failed ZooKeeper operation. The message names the operation, the path (as the caller
// wrote it, under the chroot) and ZooKeeper's error string; code() is the C client's ZOO_ERRORS
// value (ZNONODE -101, ZNODEEXISTS -110, ZNOAUTH -102, ZCONNECTIONLOSS -4, ...).
class ZkError : public SquallError {
 public:
  ZkError(int code, const std::string& message) : SquallError(message), code_(code) {}
  int code() const { return code_; }
  bool noNode() const;
  bool nodeExists() const;
  bool noAuth() const;
  bool badVersion() const;

 private:
  int code_;
};

struct ZkOptions {
  std::vector<std::string> servers{"localhost"};  // host or host:port
  int port = 2181;                                // for servers given without a port
  std::string root = "/storm";                    // chroot; "" or "/" for none
  int sessionTimeoutMs = 20000;
  int connectionTimeoutMs = 15000;  // longest wait for a connection, per attempt
  int retryTimes = 5;               // attempts after a lost connection, beyond the first
  std::string authScheme;           // "digest", or empty
  std::string authPayload;          // "user:password" for digest
  // Largest node data a read accepts (ZooKeeper's own default limit, jute.maxbuffer).
  size_t maxDataBytes = 1 << 20;

  // storm.zookeeper.servers, .port, .root, .session.timeout, .connection.timeout,
  // .retry.times, .auth.scheme, .auth.payload.
  static ZkOptions fromConfig(const Config& conf);
  // "host:port,host:port" (no chroot).
  std::string connectString() const;
};

enum class CreateMode { Persistent, Ephemeral, PersistentSequential, EphemeralSequential };

// Who may use a node: everyone, or only clients authenticated as its creator (ZooKeeper's
// CREATOR_ALL_ACL; needs storm.zookeeper.auth.* set).
enum class NodeAcl { Open, CreatorOnly };

struct NodeStat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t pzxid = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int64_t ephemeralOwner = 0;
  int32_t dataLength = 0;
  int32_t numChildren = 0;
  int64_t ctimeMs = 0;
  int64_t mtimeMs = 0;
};

struct WatchEvent {
  enum class Type { Created, Deleted, Changed, Children };
  Type type;
  std::string path;
};
const char* watchEventName(WatchEvent::Type t);

// One-shot, as ZooKeeper's watches: re-register by reading again.
using Watcher = std::function<void(const WatchEvent&)>;

enum class SessionEvent {
  Connected,      // (re)connected, same session: ephemerals and watches intact
  Disconnected,   // connection lost; the session may still be alive
  Expired,        // the session is gone: its ephemerals are deleted, leadership is lost
  Reestablished,  // a new session replaced it; ephemerals made here exist again
};
const char* sessionEventName(SessionEvent e);

class ZkClient {
 public:
  explicit ZkClient(ZkOptions options);
  ~ZkClient();
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // Connects (creating the chroot if missing); ZkError when no server answers within
  // connectionTimeoutMs.
  void start();
  // Ends the session; later calls throw ZkError.
  void close();

  bool connected() const;
  int64_t sessionId() const;
  // The current session's id and password, for tests that end it from another handle.
  std::pair<int64_t, std::string> sessionCredentials() const;
  const ZkOptions& options() const;

  // Returns the created path (with the sequence number for sequential modes). Missing parents
  // are an error (ZNONODE); call mkdirs first. Sequential creates are not retried after a lost
  // connection (the name is unknown): callers find their node by a unique name part.
  std::string create(const std::string& path, const std::string& data,
                     CreateMode mode = CreateMode::Persistent, NodeAcl acl = NodeAcl::Open);
  // Creates path and every missing ancestor as empty persistent nodes.
  void mkdirs(const std::string& path);
  // The node's data, or nullopt when there is no node. A watcher fires once on the next change:
  // Changed or Deleted, or Created when the node did not exist.
  std::optional<std::string> get(const std::string& path, Watcher watcher = {},
                                 NodeStat* stat = nullptr);
  // version -1 matches any; ZkError (ZNONODE, ZBADVERSION) otherwise.
  void set(const std::string& path, const std::string& data, int version = -1);
  // false when there was no node.
  bool remove(const std::string& path, int version = -1);
  // Deletes the node and everything under it.
  void removeRecursive(const std::string& path);
  // The node's stat, or nullopt; the watcher fires on Created, Changed or Deleted.
  std::optional<NodeStat> exists(const std::string& path, Watcher watcher = {});
  // Child names, unsorted; ZkError ZNONODE when the node is missing. The watcher fires once on
  // Children (a child created or deleted) or Deleted.
  std::vector<std::string> children(const std::string& path, Watcher watcher = {});

  // Called on the event thread for every session change. Returns an id for removal.
  int addSessionListener(std::function<void(SessionEvent)> listener);
  void removeSessionListener(int id);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// Ends a live session from a second handle that joins it with the session's id and password
// and closes (ZooKeeper's way to force an expiry in tests): the session's ephemeral nodes go at
// once, and its own client learns on reconnecting that it expired.
void endSessionFromAnotherHandle(const ZkOptions& options,
                                 const std::pair<int64_t, std::string>& credentials);

// The sequence number ZooKeeper appended to a sequential node's name (its last 10 digits), or
// -1 when the name has none.
int64_t sequenceNumber(const std::string& name);

// "a/b" joined as "/a/b"; parent("/a/b") = "/a".
std::string joinPath(const std::string& parent, const std::string& child);

}  // namespace squall::cluster
