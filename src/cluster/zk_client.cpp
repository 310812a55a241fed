#include "cluster/zk_client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace squall::cluster {

bool ZkError::noNode() const {
  return code_ == ZNONODE;
}
bool ZkError::nodeExists() const {
  return code_ == ZNODEEXISTS;
}
bool ZkError::noAuth() const {
  return code_ == ZNOAUTH;
}
bool ZkError::badVersion() const {
  return code_ == ZBADVERSION;
}

const char* watchEventName(WatchEvent::Type t) {
  switch (t) {
    case WatchEvent::Type::Created:
      return "created";
    case WatchEvent::Type::Deleted:
      return "deleted";
    case WatchEvent::Type::Changed:
      return "changed";
    case WatchEvent::Type::Children:
      return "children";
  }
  return "?";
}

const char* sessionEventName(SessionEvent e) {
  switch (e) {
    case SessionEvent::Connected:
      return "connected";
    case SessionEvent::Disconnected:
      return "disconnected";
    case SessionEvent::Expired:
      return "expired";
    case SessionEvent::Reestablished:
      return "reestablished";
  }
  return "?";
}

ZkOptions ZkOptions::fromConfig(const Config& conf) {
  ZkOptions o;
  o.servers.clear();
  for (const Value& v : conf.get(Config::STORM_ZOOKEEPER_SERVERS).asList()) {
    o.servers.push_back(v.isString() ? v.asString() : v.toString());
  }
  o.port = static_cast<int>(conf.getInt(Config::STORM_ZOOKEEPER_PORT));
  o.root = conf.getString(Config::STORM_ZOOKEEPER_ROOT);
  o.sessionTimeoutMs = static_cast<int>(conf.getInt(Config::STORM_ZOOKEEPER_SESSION_TIMEOUT));
  o.connectionTimeoutMs = static_cast<int>(conf.getInt(Config::STORM_ZOOKEEPER_CONNECTION_TIMEOUT));
  o.retryTimes = static_cast<int>(conf.getInt(Config::STORM_ZOOKEEPER_RETRY_TIMES));
  Value scheme = conf.get(Config::STORM_ZOOKEEPER_AUTH_SCHEME);
  Value payload = conf.get(Config::STORM_ZOOKEEPER_AUTH_PAYLOAD);
  if (scheme.isString()) o.authScheme = scheme.asString();
  if (payload.isString()) o.authPayload = payload.asString();
  if (o.servers.empty()) throw ConfigError("storm.zookeeper.servers: the list is empty");
  if (!o.root.empty() && o.root[0] != '/') {
    throw ConfigError(fmt::format("storm.zookeeper.root: '{}' must start with '/'", o.root));
  }
  if (o.authPayload.empty() != o.authScheme.empty()) {
    throw ConfigError(
        "storm.zookeeper.auth.scheme and storm.zookeeper.auth.payload go together: set both "
        "or neither");
  }
  return o;
}

std::string ZkOptions::connectString() const {
  std::string s;
  for (const auto& h : servers) {
    if (!s.empty()) s += ',';
    // A bare host gets the port; "host:port" and "[v6]:port" keep theirs.
    bool hasPort =
        h.find(':') != std::string::npos && (h[0] != '[' || h.find("]:") != std::string::npos);
    s += hasPort ? h : fmt::format("{}:{}", h, port);
  }
  return s;
}

int64_t sequenceNumber(const std::string& name) {
  if (name.size() < 10) return -1;
  int64_t n = 0;
  for (size_t i = name.size() - 10; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

std::string joinPath(const std::string& parent, const std::string& child) {
  if (parent.empty() || parent == "/") return "/" + child;
  return parent + "/" + child;
}

namespace {

using Clock = std::chrono::steady_clock;

void logFromLibrary(const char* message) {
  spdlog::debug("zookeeper client: {}", message);
}

void quietLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_WARN); });
}

NodeStat toNodeStat(const Stat& s) {
  NodeStat n;
  n.czxid = s.czxid;
  n.mzxid = s.mzxid;
  n.pzxid = s.pzxid;
  n.version = s.version;
  n.cversion = s.cversion;
  n.ephemeralOwner = s.ephemeralOwner;
  n.dataLength = s.dataLength;
  n.numChildren = s.numChildren;
  n.ctimeMs = s.ctime;
  n.mtimeMs = s.mtime;
  return n;
}

bool retriable(int rc) {
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
         rc == ZINVALIDSTATE || rc == ZSESSIONMOVED;
}

int createFlags(CreateMode m) {
  switch (m) {
    case CreateMode::Persistent:
      return ZOO_PERSISTENT;
    case CreateMode::Ephemeral:
      return ZOO_EPHEMERAL;
    case CreateMode::PersistentSequential:
      return ZOO_PERSISTENT_SEQUENTIAL;
    case CreateMode::EphemeralSequential:
      return ZOO_EPHEMERAL_SEQUENTIAL;
  }
  return ZOO_PERSISTENT;
}

}  // namespace

class ZkClient::Impl {
 public:
  explicit Impl(ZkOptions o) : opts(std::move(o)) {
    root = (opts.root == "/") ? "" : opts.root;
    while (!root.empty() && root.back() == '/') root.pop_back();
  }

  ZkOptions opts;
  std::string root;  // "" for none, else "/storm"

  // Guards the handle pointer's lifetime: operations hold it shared while calling the library;
  // replacing or closing the handle holds it exclusively.
  std::shared_mutex handleMu;
  zhandle_t* zh = nullptr;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool connectedFlag = false;
  uint64_t connectGen = 0;  // +1 on every CONNECTED event
  bool closed = false;
  bool authFailed = false;
  bool recovering = false;
  bool everConnected = false;
  // The session expired and its replacement is not connected yet. Only the event thread makes
  // the replacement, so an operation on that thread must fail now rather than wait for it.
  bool expiredPending = false;
  std::thread::id eventThreadId;

  // Event thread: watchers, listeners, session recovery, in order.
  std::deque<std::function<void()>> tasks;
  std::condition_variable tasksCv;
  bool stopEvents = false;
  std::thread eventThread;

  struct DataWatch {
    uint64_t id;
    Watcher fn;
    bool known = false;  // existed/mzxid recorded (the call that set it returned)
    bool existed = false;
    int64_t mzxid = 0;
  };
  struct ChildWatch {
    uint64_t id;
    Watcher fn;
    bool known = false;
    int32_t cversion = 0;
  };
  uint64_t nextWatchId = 1;
  std::map<std::string, std::vector<DataWatch>> dataWatches;
  std::map<std::string, std::vector<ChildWatch>> childWatches;

  struct Ephemeral {
    std::string data;
    NodeAcl acl;
  };
  std::map<std::string, Ephemeral> ephemerals;

  int nextListenerId = 1;
  std::map<int, std::function<void(SessionEvent)>> listeners;

  std::string display(const std::string& path) const { return root + path; }

  ZkError error(const char* op, const std::string& path, int rc) const {
    return ZkError(rc, fmt::format("ZooKeeper {} {}: {} ({})", op, display(path), zerror(rc), rc));
  }

  // --- handles -------------------------------------------------------------------------------

  // Each handle's context names its generation, so a replaced handle's late events are
  // ignored even when they arrive before zookeeper_init2 has returned the new one.
  struct HandleCtx {
    Impl* impl;
    uint64_t gen;
  };
  uint64_t handleGen = 0;

  static void onEvent(zhandle_t*, int type, int state, const char* path, void* ctx) {
    auto* c = static_cast<HandleCtx*>(ctx);
    c->impl->handleEvent(c->gen, type, state, path ? path : "");
  }

  // A new session; the flags start over for it.
  zhandle_t* newHandle(const std::string& hosts) {
    quietLibraryOnce();
    auto* ctx = new HandleCtx{this, 0};
    {
      std::lock_guard lk(mu);
      ctx->gen = ++handleGen;
      connectedFlag = false;
      everConnected = false;
    }
    zhandle_t* h = zookeeper_init2(hosts.c_str(), &Impl::onEvent, opts.sessionTimeoutMs, nullptr,
                                   ctx, 0, &logFromLibrary);
    if (!h) {
      delete ctx;
      throw ZkError(ZSYSTEMERROR, fmt::format("ZooKeeper: cannot create a client for {}: {}", hosts,
                                              std::strerror(errno)));
    }
    if (!opts.authScheme.empty()) {
      zoo_add_auth(h, opts.authScheme.c_str(), opts.authPayload.data(),
                   static_cast<int>(opts.authPayload.size()), nullptr, nullptr);
    }
    return h;
  }

  static void closeHandle(zhandle_t* h) {
    if (!h) return;
    auto* ctx = static_cast<HandleCtx*>(const_cast<void*>(zoo_get_context(h)));
    zookeeper_close(h);
    delete ctx;
  }

  void handleEvent(uint64_t gen, int type, int state, std::string path) {
    std::unique_lock lk(mu);
    if (gen != handleGen || closed) return;  // an old handle's late news
    if (type == ZOO_SESSION_EVENT) {
      if (state == ZOO_CONNECTED_STATE) {
        bool first = !everConnected;
        connectedFlag = true;
        everConnected = true;
        expiredPending = false;
        ++connectGen;
        cv.notify_all();
        if (!recovering && !first) post(lk, [this] { notify(SessionEvent::Connected); });
      } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE) {
        bool was = connectedFlag;
        connectedFlag = false;
        if (was && !recovering) {
          spdlog::warn("ZooKeeper: connection to {} lost; reconnecting", opts.connectString());
          post(lk, [this] { notify(SessionEvent::Disconnected); });
        }
      } else if (state == ZOO_EXPIRED_SESSION_STATE) {
        connectedFlag = false;
        expiredPending = true;
        cv.notify_all();
        spdlog::warn("ZooKeeper: session expired; starting a new one");
        post(lk, [this] { recover(); });
      } else if (state == ZOO_AUTH_FAILED_STATE) {
        connectedFlag = false;
        authFailed = true;
        cv.notify_all();
        spdlog::error("ZooKeeper: authentication ({}) failed", opts.authScheme);
      }
      return;
    }
    if (type == ZOO_NOTWATCHING_EVENT) return;
    post(lk, [this, type, path = std::move(path)] { dispatch(type, path); });
  }

  void post(std::unique_lock<std::mutex>&, std::function<void()> task) {
    tasks.push_back(std::move(task));
    tasksCv.notify_one();
  }

  void runEvents() {
    std::unique_lock lk(mu);
    eventThreadId = std::this_thread::get_id();
    while (true) {
      tasksCv.wait(lk, [this] { return stopEvents || !tasks.empty(); });
      if (stopEvents) return;
      auto task = std::move(tasks.front());
      tasks.pop_front();
      lk.unlock();
      try {
        task();
      } catch (const std::exception& e) {
        spdlog::error("ZooKeeper: a watcher or session listener failed: {}", e.what());
      }
      lk.lock();
    }
  }

  void notify(SessionEvent e) {
    std::vector<std::function<void(SessionEvent)>> copy;
    {
      std::lock_guard lk(mu);
      for (auto& [id, fn] : listeners) copy.push_back(fn);
    }
    for (auto& fn : copy) {
      try {
        fn(e);
      } catch (const std::exception& ex) {
        spdlog::error("ZooKeeper: session listener failed on {}: {}", sessionEventName(e),
                      ex.what());
      }
    }
  }

  void dispatch(int type, const std::string& path) {
    std::vector<Watcher> fire;
    WatchEvent ev{WatchEvent::Type::Changed, path};
    {
      std::lock_guard lk(mu);
      auto takeData = [&] {
        auto it = dataWatches.find(path);
        if (it == dataWatches.end()) return;
        for (auto& w : it->second) fire.push_back(std::move(w.fn));
        dataWatches.erase(it);
      };
      auto takeChildren = [&] {
        auto it = childWatches.find(path);
        if (it == childWatches.end()) return;
        for (auto& w : it->second) fire.push_back(std::move(w.fn));
        childWatches.erase(it);
      };
      if (type == ZOO_CREATED_EVENT) {
        ev.type = WatchEvent::Type::Created;
        takeData();
      } else if (type == ZOO_CHANGED_EVENT) {
        ev.type = WatchEvent::Type::Changed;
        takeData();
      } else if (type == ZOO_DELETED_EVENT) {
        ev.type = WatchEvent::Type::Deleted;
        takeData();
        takeChildren();
      } else if (type == ZOO_CHILD_EVENT) {
        ev.type = WatchEvent::Type::Children;
        takeChildren();
      }
    }
    for (auto& fn : fire) {
      try {
        fn(ev);
      } catch (const std::exception& e) {
        spdlog::error("ZooKeeper: watcher on {} ({}) failed: {}", display(path),
                      watchEventName(ev.type), e.what());
      }
    }
  }

  // On the event thread: the session is gone. A new handle, then what the old session held.
  void recover() {
    {
      std::unique_lock hl(handleMu);
      zhandle_t* old;
      {
        std::lock_guard lk(mu);
        if (closed) return;
        recovering = true;
        old = zh;
        zh = nullptr;
      }
      closeHandle(old);
      zhandle_t* fresh = newHandle(opts.connectString() + root);
      std::lock_guard lk(mu);
      zh = fresh;
    }
    {
      // Ends only with a connection or close(): nothing else can happen without a session.
      std::unique_lock lk(mu);
      cv.wait(lk, [this] { return closed || connectedFlag; });
      if (closed) return;
    }
    spdlog::info("ZooKeeper: new session 0x{:x}", sessionIdNow());
    notify(SessionEvent::Expired);
    restoreEphemerals();
    resetWatches();
    {
      std::lock_guard lk(mu);
      recovering = false;
    }
    notify(SessionEvent::Reestablished);
  }

  int64_t sessionIdNow() {
    std::shared_lock hl(handleMu);
    return zh ? zoo_client_id(zh)->client_id : 0;
  }

  void restoreEphemerals() {
    std::map<std::string, Ephemeral> copy;
    {
      std::lock_guard lk(mu);
      copy = ephemerals;
    }
    int64_t session = sessionIdNow();
    // Named members, not a structured binding: clang 14 cannot capture a binding in a lambda.
    for (auto& entry : copy) {
      const std::string& path = entry.first;
      const auto& e = entry.second;
      try {
        int rc = createRaw(path, e.data, ZOO_EPHEMERAL, e.acl, nullptr);
        if (rc == ZNODEEXISTS) {
          // Left by a session the server has not yet closed: replace it with ours.
          Stat st{};
          int rc2 = call("exists", path,
                         [&](zhandle_t* h) { return zoo_exists(h, path.c_str(), 0, &st); });
          if (rc2 == ZOK && st.ephemeralOwner != session) {
            call("delete", path, [&](zhandle_t* h) { return zoo_delete(h, path.c_str(), -1); });
            rc = createRaw(path, e.data, ZOO_EPHEMERAL, e.acl, nullptr);
          } else {
            rc = ZOK;
          }
        }
        if (rc != ZOK) throw error("create", path, rc);
      } catch (const std::exception& ex) {
        spdlog::error("ZooKeeper: cannot restore ephemeral node {}: {}", display(path), ex.what());
      }
    }
  }

  // Sets every pending watch again on the new session; one whose node changed while there
  // was no session fires now, as it would have.
  void resetWatches() {
    std::vector<std::pair<std::string, DataWatch>> data;
    std::vector<std::pair<std::string, ChildWatch>> kids;
    {
      std::lock_guard lk(mu);
      for (auto& [p, v] : dataWatches) {
        for (auto& w : v) data.emplace_back(p, w);
      }
      for (auto& [p, v] : childWatches) {
        for (auto& w : v) kids.emplace_back(p, w);
      }
    }
    std::vector<std::pair<Watcher, WatchEvent>> fire;
    for (auto& entry : data) {
      const std::string& p = entry.first;
      auto& w = entry.second;
      Stat st{};
      int rc = call("exists", p, [&](zhandle_t* h) { return zoo_exists(h, p.c_str(), 1, &st); });
      if (rc != ZOK && rc != ZNONODE) {
        spdlog::error("{}", error("exists", p, rc).what());
        continue;
      }
      bool now = rc == ZOK;
      if (!w.known || now != w.existed || (now && st.mzxid != w.mzxid)) {
        WatchEvent::Type t = !now         ? WatchEvent::Type::Deleted
                             : !w.existed ? WatchEvent::Type::Created
                                          : WatchEvent::Type::Changed;
        dropData(p, w.id);
        fire.push_back({w.fn, WatchEvent{t, p}});
      }
    }
    for (auto& entry : kids) {
      const std::string& p = entry.first;
      auto& w = entry.second;
      String_vector names{};
      Stat st{};
      int rc = call("children", p,
                    [&](zhandle_t* h) { return zoo_get_children2(h, p.c_str(), 1, &names, &st); });
      if (rc == ZOK) deallocate_String_vector(&names);
      if (rc != ZOK && rc != ZNONODE) {
        spdlog::error("{}", error("children", p, rc).what());
        continue;
      }
      if (rc == ZNONODE || !w.known || st.cversion != w.cversion) {
        dropChild(p, w.id);
        fire.push_back(
            {w.fn, WatchEvent{
                       rc == ZNONODE ? WatchEvent::Type::Deleted : WatchEvent::Type::Children, p}});
      }
    }
    for (auto& [fn, ev] : fire) {
      try {
        fn(ev);
      } catch (const std::exception& e) {
        spdlog::error("ZooKeeper: watcher on {} failed: {}", display(ev.path), e.what());
      }
    }
  }

  // --- operations ----------------------------------------------------------------------------

  // Waits for a connection of generation >= minGen; returns the generation.
  uint64_t waitConnected(const char* op, const std::string& path, uint64_t minGen) {
    std::unique_lock lk(mu);
    bool onEventThread = std::this_thread::get_id() == eventThreadId;
    auto ok = [&] {
      return closed || authFailed || (connectedFlag && connectGen >= minGen) ||
             (expiredPending && onEventThread);
    };
    if (!cv.wait_for(lk, std::chrono::milliseconds(opts.connectionTimeoutMs), ok)) {
      throw ZkError(ZCONNECTIONLOSS,
                    fmt::format("ZooKeeper {} {}: not connected to {} within {} ms", op,
                                display(path), opts.connectString(), opts.connectionTimeoutMs));
    }
    if (!closed && !authFailed && !(connectedFlag && connectGen >= minGen)) {
      throw ZkError(ZSESSIONEXPIRED,
                    fmt::format("ZooKeeper {} {}: the session expired; a new one follows (a "
                                "watcher or listener may try again on Reestablished)",
                                op, display(path)));
    }
    if (closed)
      throw ZkError(ZCLOSING,
                    fmt::format("ZooKeeper {} {}: the client is closed", op, display(path)));
    if (authFailed) {
      throw ZkError(ZAUTHFAILED, fmt::format("ZooKeeper {} {}: authentication ({}) failed", op,
                                             display(path), opts.authScheme));
    }
    return connectGen;
  }

  // Runs fn on the current handle; a lost connection or session waits for the next one and
  // tries again, at most retryTimes more times.
  template <class F>
  int call(const char* op, const std::string& path, F&& fn, bool retry = true) {
    uint64_t minGen = 0;
    for (int attempt = 0;; ++attempt) {
      uint64_t gen = waitConnected(op, path, minGen);
      int rc;
      {
        std::shared_lock hl(handleMu);
        rc = zh ? fn(zh) : ZINVALIDSTATE;
      }
      if (!retry || !retriable(rc) || attempt >= opts.retryTimes) return rc;
      minGen = gen + 1;
    }
  }

  int createRaw(const std::string& path, const std::string& data, int flags, NodeAcl acl,
                std::string* created) {
    char buf[1024];
    ACL_vector* acls = acl == NodeAcl::CreatorOnly ? &ZOO_CREATOR_ALL_ACL : &ZOO_OPEN_ACL_UNSAFE;
    bool sequential = (flags & ZOO_SEQUENCE) != 0;
    int attempts = 0;
    int rc = call(
        "create", path,
        [&](zhandle_t* h) {
          ++attempts;
          return zoo_create(h, path.c_str(), data.data(), static_cast<int>(data.size()), acls,
                            flags, buf, sizeof buf);
        },
        !sequential);
    if (rc == ZNODEEXISTS && attempts > 1 && flags == ZOO_EPHEMERAL) {
      // The first attempt may have succeeded before the connection dropped.
      Stat st{};
      if (call("exists", path, [&](zhandle_t* h) { return zoo_exists(h, path.c_str(), 0, &st); }) ==
              ZOK &&
          st.ephemeralOwner == sessionIdNow()) {
        if (created) *created = path;
        return ZOK;
      }
    }
    if (rc == ZOK && created) *created = buf;
    return rc;
  }

  uint64_t addDataWatch(const std::string& path, Watcher fn) {
    std::lock_guard lk(mu);
    uint64_t id = nextWatchId++;
    dataWatches[path].push_back(DataWatch{id, std::move(fn)});
    return id;
  }
  uint64_t addChildWatch(const std::string& path, Watcher fn) {
    std::lock_guard lk(mu);
    uint64_t id = nextWatchId++;
    childWatches[path].push_back(ChildWatch{id, std::move(fn)});
    return id;
  }
  void recordData(const std::string& path, uint64_t id, bool existed, int64_t mzxid) {
    std::lock_guard lk(mu);
    auto it = dataWatches.find(path);
    if (it == dataWatches.end()) return;
    for (auto& w : it->second) {
      if (w.id == id) {
        w.known = true;
        w.existed = existed;
        w.mzxid = mzxid;
      }
    }
  }
  void dropData(const std::string& path, uint64_t id) {
    std::lock_guard lk(mu);
    auto it = dataWatches.find(path);
    if (it == dataWatches.end()) return;
    std::erase_if(it->second, [&](const DataWatch& w) { return w.id == id; });
    if (it->second.empty()) dataWatches.erase(it);
  }
  void dropChild(const std::string& path, uint64_t id) {
    std::lock_guard lk(mu);
    auto it = childWatches.find(path);
    if (it == childWatches.end()) return;
    std::erase_if(it->second, [&](const ChildWatch& w) { return w.id == id; });
    if (it->second.empty()) childWatches.erase(it);
  }
};

ZkClient::ZkClient(ZkOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

ZkClient::~ZkClient() {
  close();
}

const ZkOptions& ZkClient::options() const {
  return impl_->opts;
}

void ZkClient::start() {
  Impl& d = *impl_;
  auto waitFirst = [&] {
    std::unique_lock lk(d.mu);
    bool ok = d.cv.wait_for(lk, std::chrono::milliseconds(d.opts.connectionTimeoutMs),
                            [&] { return d.connectedFlag || d.authFailed; });
    return ok && d.connectedFlag;
  };
  auto install = [&](zhandle_t* h) {
    std::unique_lock hl(d.handleMu);
    std::lock_guard lk(d.mu);
    d.zh = h;
  };
  auto uninstall = [&] {
    zhandle_t* h;
    {
      std::unique_lock hl(d.handleMu);
      std::lock_guard lk(d.mu);
      h = d.zh;
      d.zh = nullptr;
      d.connectedFlag = false;
    }
    Impl::closeHandle(h);
  };
  std::string hosts = d.opts.connectString();
  if (!d.root.empty()) {
    // The chroot must exist before a handle can use it: create it from a plain session first.
    install(d.newHandle(hosts));
    if (!waitFirst()) {
      uninstall();
      throw ZkError(ZCONNECTIONLOSS, fmt::format("ZooKeeper: no server at {} answered within {} ms",
                                                 hosts, d.opts.connectionTimeoutMs));
    }
    std::string prefix;
    std::string err;
    for (size_t pos = 1; pos <= d.root.size(); ++pos) {
      if (pos != d.root.size() && d.root[pos] != '/') continue;
      prefix = d.root.substr(0, pos);
      int rc = d.call("create", prefix, [&](zhandle_t* h) {
        return zoo_create(h, prefix.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
      });
      if (rc != ZOK && rc != ZNODEEXISTS) {
        err = fmt::format("ZooKeeper create {}: {} ({})", prefix, zerror(rc), rc);
        break;
      }
    }
    uninstall();
    if (!err.empty()) throw ZkError(ZSYSTEMERROR, err);
  }
  install(d.newHandle(hosts + d.root));
  if (!waitFirst()) {
    uninstall();
    throw ZkError(ZCONNECTIONLOSS, fmt::format("ZooKeeper: no server at {} answered within {} ms",
                                               hosts, d.opts.connectionTimeoutMs));
  }
  d.eventThread = std::thread([&d] { d.runEvents(); });
  spdlog::debug("ZooKeeper: session 0x{:x} on {}{}", d.sessionIdNow(), hosts, d.root);
}

void ZkClient::close() {
  Impl& d = *impl_;
  {
    std::lock_guard lk(d.mu);
    if (d.closed) return;
    d.closed = true;
    d.stopEvents = true;
    d.cv.notify_all();
    d.tasksCv.notify_all();
  }
  if (d.eventThread.joinable()) {
    if (d.eventThread.get_id() == std::this_thread::get_id()) {
      d.eventThread.detach();  // closed from a watcher: the thread ends after it returns
    } else {
      d.eventThread.join();
    }
  }
  zhandle_t* h;
  {
    std::unique_lock hl(d.handleMu);
    std::lock_guard lk(d.mu);
    h = d.zh;
    d.zh = nullptr;
  }
  Impl::closeHandle(h);
}

bool ZkClient::connected() const {
  std::lock_guard lk(impl_->mu);
  return impl_->connectedFlag && !impl_->closed;
}

int64_t ZkClient::sessionId() const {
  return impl_->sessionIdNow();
}

std::pair<int64_t, std::string> ZkClient::sessionCredentials() const {
  std::shared_lock hl(impl_->handleMu);
  if (!impl_->zh) return {0, {}};
  const clientid_t* id = zoo_client_id(impl_->zh);
  return {id->client_id, std::string(id->passwd, sizeof id->passwd)};
}

std::string ZkClient::create(const std::string& path, const std::string& data, CreateMode mode,
                             NodeAcl acl) {
  Impl& d = *impl_;
  std::string created;
  int rc = d.createRaw(path, data, createFlags(mode), acl, &created);
  if (rc == ZINVALIDACL && acl == NodeAcl::CreatorOnly) {
    throw ZkError(rc, fmt::format("ZooKeeper create {}: a node only its creator may read needs "
                                  "storm.zookeeper.auth.scheme and .payload ({})",
                                  d.display(path), zerror(rc)));
  }
  if (rc != ZOK) throw d.error("create", path, rc);
  if (mode == CreateMode::Ephemeral) {
    std::lock_guard lk(d.mu);
    d.ephemerals[path] = Impl::Ephemeral{data, acl};
  }
  return created;
}

void ZkClient::mkdirs(const std::string& path) {
  Impl& d = *impl_;
  if (path.empty() || path[0] != '/') {
    throw ZkError(ZBADARGUMENTS, fmt::format("ZooKeeper mkdirs '{}': not an absolute path", path));
  }
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    Stat st{};
    int rc = d.call("exists", prefix,
                    [&](zhandle_t* h) { return zoo_exists(h, prefix.c_str(), 0, &st); });
    if (rc == ZOK) continue;
    if (rc != ZNONODE) throw d.error("exists", prefix, rc);
    rc = d.createRaw(prefix, "", ZOO_PERSISTENT, NodeAcl::Open, nullptr);
    if (rc != ZOK && rc != ZNODEEXISTS) throw d.error("create", prefix, rc);
  }
}

std::optional<std::string> ZkClient::get(const std::string& path, Watcher watcher, NodeStat* stat) {
  Impl& d = *impl_;
  size_t capacity = std::min<size_t>(d.opts.maxDataBytes, 16 * 1024);
  // A node that grows between two reads is read again; a node deleted and created again while
  // a watch is being set likewise. Bounded, so a node changing nonstop is an error.
  for (int round = 0; round < 16; ++round) {
    uint64_t id = watcher ? d.addDataWatch(path, watcher) : 0;
    std::string buf(capacity, '\0');
    Stat st{};
    int len = 0;
    int rc = d.call("get", path, [&](zhandle_t* h) {
      len = static_cast<int>(buf.size());
      return zoo_get(h, path.c_str(), watcher ? 1 : 0, buf.data(), &len, &st);
    });
    if (rc == ZOK) {
      auto size = static_cast<size_t>(std::max(st.dataLength, 0));
      if (size > buf.size()) {
        if (id) d.dropData(path, id);
        if (size > d.opts.maxDataBytes) {
          throw ZkError(ZBADARGUMENTS,
                        fmt::format("ZooKeeper get {}: the node holds {} bytes, more than the "
                                    "{}-byte limit",
                                    d.display(path), size, d.opts.maxDataBytes));
        }
        capacity = size;
        continue;
      }
      buf.resize(len < 0 ? 0 : static_cast<size_t>(len));
      if (id) d.recordData(path, id, true, st.mzxid);
      if (stat) *stat = toNodeStat(st);
      return buf;
    }
    if (rc == ZNONODE) {
      if (!id) return std::nullopt;
      // getData sets no watch on a missing node; exists does, and hears of its creation.
      rc =
          d.call("exists", path, [&](zhandle_t* h) { return zoo_exists(h, path.c_str(), 1, &st); });
      if (rc == ZNONODE) {
        d.recordData(path, id, false, 0);
        return std::nullopt;
      }
      d.dropData(path, id);
      if (rc == ZOK) continue;  // created meanwhile: read it
      throw d.error("exists", path, rc);
    }
    if (id) d.dropData(path, id);
    throw d.error("get", path, rc);
  }
  throw ZkError(ZSYSTEMERROR,
                fmt::format("ZooKeeper get {}: the node kept changing; gave up", d.display(path)));
}

void ZkClient::set(const std::string& path, const std::string& data, int version) {
  Impl& d = *impl_;
  int rc = d.call("set", path, [&](zhandle_t* h) {
    return zoo_set(h, path.c_str(), data.data(), static_cast<int>(data.size()), version);
  });
  if (rc != ZOK) throw d.error("set", path, rc);
  std::lock_guard lk(d.mu);
  auto it = d.ephemerals.find(path);
  if (it != d.ephemerals.end()) it->second.data = data;
}

bool ZkClient::remove(const std::string& path, int version) {
  Impl& d = *impl_;
  int attempts = 0;
  int rc = d.call("delete", path, [&](zhandle_t* h) {
    ++attempts;
    return zoo_delete(h, path.c_str(), version);
  });
  {
    std::lock_guard lk(d.mu);
    if (rc == ZOK || rc == ZNONODE) d.ephemerals.erase(path);
  }
  if (rc == ZOK) return true;
  if (rc == ZNONODE) return attempts > 1;  // after a retry: likely our own first attempt
  throw d.error("delete", path, rc);
}

void ZkClient::removeRecursive(const std::string& path) {
  std::vector<std::string> kids;
  try {
    kids = children(path);
  } catch (const ZkError& e) {
    if (e.noNode()) return;
    throw;
  }
  for (const auto& k : kids) removeRecursive(joinPath(path, k));
  remove(path);
}

std::optional<NodeStat> ZkClient::exists(const std::string& path, Watcher watcher) {
  Impl& d = *impl_;
  uint64_t id = watcher ? d.addDataWatch(path, watcher) : 0;
  Stat st{};
  int rc = d.call("exists", path,
                  [&](zhandle_t* h) { return zoo_exists(h, path.c_str(), watcher ? 1 : 0, &st); });
  if (rc == ZOK || rc == ZNONODE) {
    if (id) d.recordData(path, id, rc == ZOK, rc == ZOK ? st.mzxid : 0);
    if (rc == ZNONODE) return std::nullopt;
    return toNodeStat(st);
  }
  if (id) d.dropData(path, id);
  throw d.error("exists", path, rc);
}

std::vector<std::string> ZkClient::children(const std::string& path, Watcher watcher) {
  Impl& d = *impl_;
  uint64_t id = watcher ? d.addChildWatch(path, watcher) : 0;
  String_vector names{};
  Stat st{};
  int rc = d.call("children", path, [&](zhandle_t* h) {
    return zoo_get_children2(h, path.c_str(), watcher ? 1 : 0, &names, &st);
  });
  if (rc != ZOK) {
    if (id) d.dropChild(path, id);
    throw d.error("children", path, rc);
  }
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(names.count));
  for (int i = 0; i < names.count; ++i) out.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  if (id) {
    std::lock_guard lk(d.mu);
    auto it = d.childWatches.find(path);
    if (it != d.childWatches.end()) {
      for (auto& w : it->second) {
        if (w.id == id) {
          w.known = true;
          w.cversion = st.cversion;
        }
      }
    }
  }
  return out;
}

int ZkClient::addSessionListener(std::function<void(SessionEvent)> listener) {
  std::lock_guard lk(impl_->mu);
  int id = impl_->nextListenerId++;
  impl_->listeners[id] = std::move(listener);
  return id;
}

void ZkClient::removeSessionListener(int id) {
  std::lock_guard lk(impl_->mu);
  impl_->listeners.erase(id);
}

namespace {

struct JoinWait {
  std::mutex mu;
  std::condition_variable cv;
  int state = 0;
};

void onJoinEvent(zhandle_t*, int type, int state, const char*, void* ctx) {
  auto* w = static_cast<JoinWait*>(ctx);
  if (type != ZOO_SESSION_EVENT) return;
  if (state != ZOO_CONNECTED_STATE && state != ZOO_EXPIRED_SESSION_STATE) return;
  std::lock_guard lk(w->mu);
  w->state = state;
  w->cv.notify_all();
}

// Joins the session; returns ZOO_CONNECTED_STATE (then closes it, which ends it unless its own
// client took it back first) or ZOO_EXPIRED_SESSION_STATE.
int joinAndClose(const ZkOptions& options, const clientid_t& id) {
  JoinWait wait;
  zhandle_t* h = zookeeper_init2(options.connectString().c_str(), &onJoinEvent,
                                 options.sessionTimeoutMs, &id, &wait, 0, &logFromLibrary);
  if (!h) throw ZkError(ZSYSTEMERROR, "ZooKeeper: cannot create a client");
  int state;
  {
    std::unique_lock lk(wait.mu);
    wait.cv.wait_for(lk, std::chrono::milliseconds(options.connectionTimeoutMs),
                     [&] { return wait.state != 0; });
    state = wait.state;
  }
  zookeeper_close(h);
  return state;
}

}  // namespace

void endSessionFromAnotherHandle(const ZkOptions& options,
                                 const std::pair<int64_t, std::string>& credentials) {
  quietLibraryOnce();
  clientid_t id{};
  id.client_id = credentials.first;
  std::memcpy(id.passwd, credentials.second.data(),
              std::min(sizeof id.passwd, credentials.second.size()));
  // Joining moves the session to the new connection; the owner reconnecting at once can move
  // it back before the close arrives, and the server then ignores the close. So: until a join
  // is told the session expired.
  for (int attempt = 0; attempt < 50; ++attempt) {
    int state = joinAndClose(options, id);
    if (state == ZOO_EXPIRED_SESSION_STATE) return;
    if (state == 0) break;
  }
  throw ZkError(ZCONNECTIONLOSS,
                fmt::format("ZooKeeper: could not end session 0x{:x}", credentials.first));
}

}  // namespace squall::cluster
