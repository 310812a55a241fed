#include "worker/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "worker/handshake_auth.h"
#include "worker/remote_executor.h"

namespace squall::worker {

using internal::nowNs;

StreamTable::StreamTable(const internal::TopologyPlan& plan) {
  for (const auto& [id, cp] : plan.components) {
    auto& list = byComponent_[id];
    // cp.streamMeta is a std::map: already sorted by stream name.
    for (const auto& [sid, meta] : cp.streamMeta) {
      index_[meta.get()] = static_cast<uint32_t>(list.size());
      list.push_back(meta.get());
    }
  }
}

const StreamMeta* StreamTable::meta(const std::string& component, uint32_t index) const {
  auto it = byComponent_.find(component);
  if (it == byComponent_.end() || index >= it->second.size()) return nullptr;
  return it->second[index];
}

std::vector<const StreamMeta*> StreamTable::ofComponent(const std::string& component) const {
  auto it = byComponent_.find(component);
  return it == byComponent_.end() ? std::vector<const StreamMeta*>{} : it->second;
}

struct Transport::Conn {
  enum class State { Connecting, AwaitChallenge, AwaitHello, AwaitWelcome, Up };
  int fd = -1;
  State state = State::Connecting;
  int peer = -1;  // known from the start for a connector, after the Hello for an acceptor
  std::string name;
  FrameReader reader{kMaxHandshakeFrameBytes};
  uint8_t challengeNonce[kNonceBytes] = {};
  Hello hello;
  int64_t deadlineNs = 0;
  bool closed = false;
  bool knock = false;  // closed once its Hello is sent (see knock())
};

namespace {

constexpr int64_t kHandshakeTimeoutNs = 5'000'000'000LL;
constexpr int kMinBackoffMs = 100, kMaxBackoffMs = 1000;  // Storm's netty min/max wait
// Room offered to each recv(2): several of the senders' frames (see remote_executor.cpp) per
// system call.
constexpr size_t kReadBytes = 256u << 10;

void setNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool resolve(const WorkerAddress& a, sockaddr_in& out) {
  std::memset(&out, 0, sizeof out);
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<uint16_t>(a.port));
  if (inet_pton(AF_INET, a.host.c_str(), &out.sin_addr) == 1) return true;
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_INET;
  if (getaddrinfo(a.host.c_str(), nullptr, &hints, &res) != 0 || !res) return false;
  out.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return true;
}

// The abstract unix socket of the worker listening on `a`: named after its TCP port, which it
// holds, so no other live worker has the name; it vanishes with the process.
socklen_t localAddress(const std::string& topologyId, const WorkerAddress& a, sockaddr_un& out) {
  std::memset(&out, 0, sizeof out);
  out.sun_family = AF_UNIX;
  std::string name = fmt::format("squall/{}/{}:{}", topologyId, a.host, a.port);
  name.resize(std::min(name.size(), sizeof out.sun_path - 1));
  std::memcpy(out.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
}

// Whole small frames on a socket that has just connected: its buffer has room.
bool writeAll(int fd, std::string_view s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Transport::Transport(Assignment assignment, int self, internal::TopologyRuntime& rt)
    : assignment_(std::move(assignment)),
      self_(self),
      rt_(rt),
      plan_(*rt.plan),
      streams_(plan_),
      fingerprint_(planFingerprint(plan_)),
      // Room to take back every body the receiver can have out at once (the overflow's bound
      // plus a few queues' worth): a body the pool cannot take back is freed, and the next
      // one allocated, on two threads. Ring slots are untouched memory until used.
      maxOverflow_(
          static_cast<size_t>(plan_.conf.getInt(Config::SQUALL_WORKER_RECEIVE_OVERFLOW_TUPLES))),
      pool_(std::make_unique<internal::TuplePool>(maxOverflow_ + 4 * rt.receiveBufferSize)) {
  latest_ = assignment_;
  workerOfTask_.assign(plan_.numTasks() + 1, -1);
  streamsOfTask_.resize(static_cast<size_t>(plan_.numTasks()) + 1);
  for (int t = 1; t <= plan_.numTasks(); ++t) {
    streamsOfTask_[static_cast<size_t>(t)] = streams_.ofComponent(plan_.componentOfTask(t));
  }
  for (const auto& [id, cp] : plan_.components) {
    for (const auto& ep : cp.executors) {
      for (int t = ep.startTask; t <= ep.endTask; ++t) {
        workerOfTask_[t] = assignment_.workerOf(ep.startTask);
      }
    }
  }
  // A Peer for every index a worker of this plan can have (a cluster's indexes are below the
  // executor count, the launcher's below its worker count), made now so that peers_ never
  // changes size while proxies and allConnected() read it: reassign() only marks which exist.
  size_t executors = 0;
  for (const auto& [id, cp] : plan_.components) executors += cp.executors.size();
  size_t indexes = std::max(assignment_.workers.size(), executors);
  for (size_t i = 0; i < indexes; ++i) {
    if (static_cast<int>(i) == self_) {
      peers_.emplace_back();
      continue;
    }
    auto p = std::make_unique<Peer>();
    p->index = static_cast<int>(i);
    p->assigned.store(assignment_.hasWorker(p->index));
    peers_.push_back(std::move(p));
  }
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Transport::~Transport() {
  stop();
  for (auto& c : conns_) {
    if (c->fd >= 0) ::close(c->fd);
  }
  if (listenFd_ >= 0) ::close(listenFd_);
  if (localListenFd_ >= 0) ::close(localListenFd_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
  for (auto& in : inbound_) {
    for (auto* d : in.overflow) detail::release(d);
    for (auto* d : in.batch) detail::release(d);
  }
}

void Transport::listen() {
  const WorkerAddress& me = assignment_.workers.at(static_cast<size_t>(self_));
  sockaddr_in addr;
  if (!resolve(me, addr)) throw std::runtime_error("cannot resolve " + me.host);
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listenFd_, 64) != 0) {
    throw std::runtime_error(fmt::format("worker {} cannot listen on {}:{}: {}", self_, me.host,
                                         me.port, std::strerror(errno)));
  }
  if (assignment_.localSockets) {
    sockaddr_un local;
    socklen_t len = localAddress(assignment_.topologyId, me, local);
    localListenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (::bind(localListenFd_, reinterpret_cast<sockaddr*>(&local), len) != 0 ||
        ::listen(localListenFd_, 64) != 0) {
      throw std::runtime_error(fmt::format("worker {} cannot listen on its unix socket: {}", self_,
                                           std::strerror(errno)));
    }
  }
  spdlog::info("worker {} listening on {}:{}{}", self_, me.host, me.port,
               assignment_.localSockets ? " (and a unix socket for workers on this host)" : "");
}

std::unique_ptr<internal::Executor> Transport::makeRemoteExecutor(internal::TopologyRuntime& rt,
                                                                  const internal::ExecutorPlan& ep,
                                                                  size_t index, size_t count) {
  int w = assignment_.workerOf(ep.startTask);
  Peer& p = *peers_.at(static_cast<size_t>(w));
  auto ex = std::make_unique<RemoteExecutor>(rt, ep, index, count, *this, p);
  {
    std::lock_guard lock(p.proxiesMu);
    p.proxies.push_back(ex.get());
  }
  proxies_[ep.startTask] = ex.get();
  return ex;
}

void Transport::start() {
  // One inbound slot per executor index (proxies included: cheaper than a map).
  inbound_.resize(rt_.pools.size());
  executorByIndex_.assign(rt_.pools.size(), nullptr);
  takesAcks_.assign(rt_.pools.size(), false);
  for (internal::Executor* ex : rt_.executorOfTask) {
    if (!ex) continue;
    executorByIndex_[ex->index()] = ex;
    const internal::ComponentPlan& cp = plan_.component(ex->plan().componentId);
    takesAcks_[ex->index()] = cp.system || cp.kind == ComponentKind::Spout;
  }
  io_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "transport");
    run();
  });
}

void Transport::stop() {
  if (stop_.exchange(true)) return;
  wakeIo();
  if (io_.joinable()) io_.join();
  for (auto& p : peers_) {
    if (!p) continue;
    std::lock_guard lock(p->mu);
    p->fd = -1;
    p->up.store(false);
  }
}

bool Transport::allConnected() const {
  for (const auto& p : peers_) {
    if (p && p->assigned.load() && !p->up.load()) return false;
  }
  return true;
}

std::string Transport::reassign(const Assignment& next) {
  std::lock_guard lock(reassignMu_);
  const Assignment& cur = latest_;
  if (next.topologyId != cur.topologyId || next.secret != cur.secret) {
    return fmt::format("it is for topology '{}' or has another secret", next.topologyId);
  }
  // Workers may join or leave (their indexes are stable: see assignment.h), within the
  // indexes this worker has peers for.
  if (next.workers.size() > peers_.size()) {
    return fmt::format("it numbers a worker {}, beyond this worker's {} peers",
                       next.workers.size() - 1, peers_.size());
  }
  if (!next.hasWorker(self_)) return fmt::format("it has no worker {}", self_);
  const WorkerAddress& a = cur.workers[static_cast<size_t>(self_)];
  const WorkerAddress& b = next.workers[static_cast<size_t>(self_)];
  if (a.host != b.host || a.port != b.port) {
    return fmt::format("it moves this worker to {}:{}", b.host, b.port);
  }
  // Other executors (a rebalance -e) mean another plan: every worker starts again with it.
  size_t planned = 0;
  for (const auto& [id, cp] : plan_.components) planned += cp.executors.size();
  if (next.executorWorker.size() != planned) {
    return fmt::format(
        "it has {} executors where this worker's plan has {} (the executor layout "
        "changed)",
        next.executorWorker.size(), planned);
  }
  for (const auto& [id, cp] : plan_.components) {
    for (const auto& ep : cp.executors) {
      int was = cur.workerOf(ep.startTask), is = next.workerOf(ep.startTask);
      if (!next.hasWorker(is)) {
        return fmt::format("it gives executor [{}-{}] of '{}' to no worker", ep.startTask,
                           ep.endTask, id);
      }
      if (was != is && (was == self_ || is == self_)) {
        return fmt::format("it moves executor [{}-{}] of '{}' from worker {} to worker {}",
                           ep.startTask, ep.endTask, id, was, is);
      }
    }
  }
  latest_ = next;
  pending_ = next;
  wakeIo();
  return "";
}

void Transport::applyReassignment() {
  std::optional<Assignment> next;
  {
    std::lock_guard lock(reassignMu_);
    next.swap(pending_);
  }
  if (!next) return;
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (static_cast<int>(i) == self_) continue;
    int index = static_cast<int>(i);
    bool had = assignment_.hasWorker(index), has = next->hasWorker(index);
    if (!had && !has) continue;
    Peer& p = *peers_[i];
    const WorkerAddress& is = has ? next->workers[i] : WorkerAddress{};
    if (had && has) {
      const WorkerAddress& was = assignment_.workers[i];
      if (was.host == is.host && was.port == is.port) continue;
      spdlog::info("worker {}: worker {} moved from {}:{} to {}:{}", self_, i, was.host, was.port,
                   is.host, is.port);
    } else if (had) {
      spdlog::info("worker {}: worker {} left the assignment", self_, i);
      p.assigned.store(false);
      if (p.conn) closeConn(*p.conn, "it left the assignment", false);
      continue;
    } else {
      spdlog::info("worker {}: worker {} joined at {}:{}", self_, i, is.host, is.port);
      p.assigned.store(true);
      p.reportedDown = false;
    }
    // The lower index connects: to the new address at once. A higher peer (which connects
    // to us) replaces its connection when it comes back; its old one dies with it.
    if (p.index > self_) {
      if (p.conn) closeConn(*p.conn, "it moved", false);
      p.backoffMs = 0;
      p.nextConnectNs = 0;
    }
  }
  // Dialing reads the addresses: the new ones from here on (gaps included).
  assignment_.workers = next->workers;
  for (const auto& [start, w] : next->executorWorker) {
    int was = assignment_.workerOf(start);
    if (was == w) continue;
    auto it = proxies_.find(start);
    if (it == proxies_.end()) continue;  // checked by reassign(): never one of ours
    RemoteExecutor* proxy = it->second;
    Peer& fromPeer = *peers_[static_cast<size_t>(was)];
    {
      std::lock_guard lock(fromPeer.proxiesMu);
      auto& from = fromPeer.proxies;
      from.erase(std::remove(from.begin(), from.end(), proxy), from.end());
    }
    Peer& to = *peers_[static_cast<size_t>(w)];
    {
      std::lock_guard lock(to.proxiesMu);
      to.proxies.push_back(proxy);
    }
    proxy->setPeer(to);
    proxy->setBackPressure(false);
    for (int t = proxy->plan().startTask; t <= proxy->plan().endTask; ++t) workerOfTask_[t] = w;
    spdlog::info("worker {}: executor [{}-{}] of '{}' moved from worker {} to worker {}", self_,
                 proxy->plan().startTask, proxy->plan().endTask, proxy->plan().componentId, was, w);
  }
  assignment_.executorWorker = next->executorWorker;
  assignment_.heartbeatDir = next->heartbeatDir;
}

TransportStats Transport::stats() const {
  TransportStats s;
  s.sentTuples = sent_.load();
  s.receivedTuples = received_.load();
  s.droppedTuples = dropped_.load();
  s.refusedConnections = refused_.load();
  s.batchSends = batchSends_.load();
  s.inlineSends = inlineSends_.load();
  return s;
}

bool Transport::writable(Peer& p) const {
  return p.outBytes.load(std::memory_order_relaxed) < kMaxOutBytes;
}

bool Transport::holdsFor(const Peer& p) const {
  return startingUp_.load(std::memory_order_relaxed) && !p.up.load(std::memory_order_relaxed);
}

bool Transport::send(Peer& p, std::string_view frames, size_t tuples) {
  batchSends_.fetch_add(1, std::memory_order_relaxed);
  return sendBytes(p, frames, tuples);
}

bool Transport::sendBytes(Peer& p, std::string_view frames, size_t tuples) {
  bool wake = false;
  {
    std::lock_guard lock(p.mu);
    if (p.fd < 0) {
      dropped_.fetch_add(tuples, std::memory_order_relaxed);
      return false;
    }
    size_t done = 0;
    if (p.out.empty()) {
      ssize_t n = ::send(p.fd, frames.data(), frames.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      // An error other than a full buffer: the I/O thread sees the socket fail and closes it.
      done = n > 0 ? static_cast<size_t>(n) : 0;
    }
    if (done < frames.size()) {
      wake = p.out.empty();
      p.out.append(frames.substr(done));
      p.outBytes.store(p.out.size(), std::memory_order_relaxed);
    }
  }
  sent_.fetch_add(tuples, std::memory_order_relaxed);
  if (wake) wakeIo();
  return true;
}

void Transport::wakeIo() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
}

void Transport::flushOut(Peer& p) {
  std::lock_guard lock(p.mu);
  if (p.fd < 0 || p.out.empty()) return;
  ssize_t n = ::send(p.fd, p.out.data(), p.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) p.out.erase(0, static_cast<size_t>(n));
  bool wasFull = p.outBytes.load() >= kMaxOutBytes;
  p.outBytes.store(p.out.size(), std::memory_order_relaxed);
  if (wasFull && p.out.size() < kMaxOutBytes) {
    for (auto* proxy : p.proxies) proxy->queue().wake();
  }
}

void Transport::acceptOne(int listenFd) {
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  int fd =
      ::accept4(listenFd, reinterpret_cast<sockaddr*>(&from), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  auto c = std::make_unique<Conn>();
  c->fd = fd;
  if (from.ss_family == AF_INET) {
    setNoDelay(fd);
    const auto& in = reinterpret_cast<const sockaddr_in&>(from);
    char host[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
    c->name = fmt::format("{}:{}", host, ntohs(in.sin_port));
  } else {
    c->name = "a unix socket";
  }
  c->state = Conn::State::AwaitHello;
  c->deadlineNs = nowNs() + kHandshakeTimeoutNs;
  Challenge ch;
  randomBytes(ch.nonce, kNonceBytes);
  std::memcpy(c->challengeNonce, ch.nonce, kNonceBytes);
  WireWriter w;
  encode(w, ch);
  if (!writeAll(fd, w.buffer())) {
    ::close(fd);
    return;
  }
  conns_.push_back(std::move(c));
}

std::unique_ptr<Transport::Conn> Transport::dial(int index) {
  const WorkerAddress& a = assignment_.workers[static_cast<size_t>(index)];
  // On this host (the same address as ours) by its unix socket when the assignment says so.
  bool local =
      assignment_.localSockets && a.host == assignment_.workers[static_cast<size_t>(self_)].host;
  int fd = ::socket(local ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr;
  sockaddr_un localAddr;
  socklen_t len = 0;
  if (local) {
    len = localAddress(assignment_.topologyId, a, localAddr);
  } else if (resolve(a, addr)) {
    len = sizeof addr;
  }
  if (fd < 0 || len == 0) {
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  if (!local) setNoDelay(fd);
  int rc = local ? ::connect(fd, reinterpret_cast<sockaddr*>(&localAddr), len)
                 : ::connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
  if (rc != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return nullptr;
  }
  auto c = std::make_unique<Conn>();
  c->fd = fd;
  c->peer = index;
  c->name = fmt::format("worker {} at {}:{}", index, a.host, a.port);
  c->state = rc == 0 ? Conn::State::AwaitChallenge : Conn::State::Connecting;
  c->deadlineNs = nowNs() + kHandshakeTimeoutNs;
  return c;
}

void Transport::connectTo(int index) {
  Peer& p = *peers_[static_cast<size_t>(index)];
  auto c = dial(index);
  if (!c) {
    p.backoffMs = std::clamp(p.backoffMs * 2, kMinBackoffMs, kMaxBackoffMs);
    p.nextConnectNs = nowNs() + p.backoffMs * 1'000'000LL;
    return;
  }
  p.conn = c.get();
  conns_.push_back(std::move(c));
}

void Transport::knock(int index) {
  // Best effort: a lower peer that is not up yet connects to us on its own when it starts.
  if (auto c = dial(index)) {
    c->knock = true;
    conns_.push_back(std::move(c));
  }
}

void Transport::closeConn(Conn& c, const std::string& why, bool error) {
  if (c.closed) return;
  c.closed = true;
  bool wasUp = c.state == Conn::State::Up;
  if (c.peer >= 0 && c.peer != self_) {
    Peer& p = *peers_[static_cast<size_t>(c.peer)];
    if (p.conn == &c) {
      p.conn = nullptr;
      {
        std::lock_guard lock(p.mu);
        p.fd = -1;
        p.out.clear();
        p.outBytes.store(0);
        p.up.store(false);
      }
      // Whatever the peer said about its queues no longer holds; tuples to it are dropped
      // until it is back, so the proxies must not sit on full queues meanwhile.
      for (auto* proxy : p.proxies) proxy->setBackPressure(false);
      if (c.peer > self_ && p.knocked) {
        p.knocked = false;
        p.backoffMs = 0;
        p.nextConnectNs = 0;
      } else if (c.peer > self_) {
        p.backoffMs = std::clamp(p.backoffMs * 2, kMinBackoffMs, kMaxBackoffMs);
        p.nextConnectNs = nowNs() + p.backoffMs * 1'000'000LL;
      }
      if (wasUp && stop_.load()) {
        // Stopping: nothing to report.
      } else if (wasUp) {
        spdlog::warn(
            "worker {}: connection to worker {} lost ({}); tuples for it are dropped "
            "until it is back",
            self_, c.peer, why);
        p.reportedDown = true;
      } else if (!p.reportedDown) {
        spdlog::info("worker {}: worker {} not reachable yet ({}); retrying", self_, c.peer, why);
        p.reportedDown = true;
      }
    }
  }
  if (error && c.state == Conn::State::AwaitHello) {
    // An incoming connection that never proved it belongs to the topology.
    refused_.fetch_add(1);
    spdlog::error("worker {}: refused connection from {}: {}", self_, c.name, why);
  } else if (error) {
    spdlog::error("worker {}: closed the connection to {}: {}", self_, c.name, why);
  }
  ::close(c.fd);
  c.fd = -1;
}

void Transport::establish(Conn& c) {
  Peer& p = *peers_[static_cast<size_t>(c.peer)];
  if (p.conn && p.conn != &c) {
    // The peer restarted: its old connection is dead even if we have not noticed yet.
    closeConn(*p.conn, "replaced by a new connection", false);
  }
  c.state = Conn::State::Up;
  c.reader.setMaxFrameBytes(kMaxFrameBytes);
  p.conn = &c;
  p.backoffMs = 0;
  p.knocked = false;
  p.lastStatusSeq = 0;
  {
    std::lock_guard lock(p.mu);
    p.fd = c.fd;
    p.out.clear();
    p.outBytes.store(0);
    p.up.store(true);
  }
  spdlog::info("worker {}: connected to worker {}", self_, c.peer);
  p.reportedDown = false;
  sendStatusTo(p);
}

void Transport::onReadable(Conn& c) {
  for (int reads = 0; reads < 16 && !c.closed; ++reads) {
    // Small reads until the peer has proved it belongs: a stray connection costs a few KiB.
    auto room =
        c.reader.writable(c.state == Conn::State::Up ? kReadBytes : kMaxHandshakeFrameBytes);
    ssize_t n = ::recv(c.fd, room.data(), room.size(), MSG_DONTWAIT);
    if (n == 0) {
      closeConn(c, "the peer closed it", false);
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      closeConn(c, std::strerror(errno), false);
      return;
    }
    c.reader.commit(static_cast<size_t>(n));
    try {
      while (!c.closed) {
        auto f = c.reader.next();
        if (!f) break;
        onFrame(c, *f);
      }
    } catch (const WireError& e) {
      closeConn(c, e.what(), true);
      return;
    }
    // Stop early when our queues are backed up: the rest stays in the kernel.
    if (!mayRead(c)) break;
    // A short read emptied the socket: poll(2) tells of more, without a recv(2) that fails.
    if (static_cast<size_t>(n) < room.size()) break;
  }
}

bool Transport::mayRead(const Conn& c) const {
  if (overflowTuples_ < maxOverflow_) return true;
  // A handshake carries no tuples (its frames are bounded to 4 KiB), and the connection it
  // makes may be what the full queues wait for: a stand-in held until its peer is connected.
  if (c.state != Conn::State::Up) return true;
  if (c.peer < 0) return false;
  // Our stand-ins that this peer holds wait for a status frame queued behind its tuples.
  for (const RemoteExecutor* r : peers_[static_cast<size_t>(c.peer)]->proxies) {
    if (r->backPressure()) return true;
  }
  return false;
}

void Transport::onFrame(Conn& c, const FrameReader::Frame& f) {
  WireReader r(f.data, f.size);
  switch (c.state) {
    case Conn::State::AwaitChallenge: {
      if (f.type != FrameType::Challenge) throw WireError("expected a challenge");
      Challenge ch = decodeChallenge(r);
      Hello h;
      h.topologyId = assignment_.topologyId;
      h.from = static_cast<uint32_t>(self_);
      h.to = static_cast<uint32_t>(c.peer);
      h.planFingerprint = fingerprint_;
      randomBytes(h.nonce, kNonceBytes);
      helloMac(assignment_.secret, ch.nonce, h, h.mac);
      std::memcpy(c.challengeNonce, ch.nonce, kNonceBytes);
      c.hello = h;
      WireWriter w;
      encode(w, h);
      if (!writeAll(c.fd, w.buffer())) throw WireError("cannot send the hello");
      if (c.knock) {
        closeConn(c, "knocked", false);
        return;
      }
      c.state = Conn::State::AwaitWelcome;
      return;
    }
    case Conn::State::AwaitWelcome: {
      if (f.type != FrameType::Welcome) throw WireError("expected a welcome");
      Welcome m = decodeWelcome(r);
      uint8_t want[kMacBytes];
      welcomeMac(assignment_.secret, c.hello.nonce, c.challengeNonce, want);
      if (!macEqual(want, m.mac)) throw WireError("the peer does not know the topology's secret");
      establish(c);
      return;
    }
    case Conn::State::AwaitHello: {
      if (f.type != FrameType::Hello) throw WireError("expected a hello");
      Hello h = decodeHello(r);
      if (h.topologyId != assignment_.topologyId) {
        throw WireError(fmt::format("hello for topology '{}', this worker runs '{}'", h.topologyId,
                                    assignment_.topologyId));
      }
      uint8_t want[kMacBytes];
      helloMac(assignment_.secret, c.challengeNonce, h, want);
      if (!macEqual(want, h.mac)) throw WireError("bad proof of the topology's secret");
      bool known = h.from < peers_.size() && peers_[h.from] && peers_[h.from]->assigned.load();
      if (h.to == static_cast<uint32_t>(self_) && known && static_cast<int>(h.from) > self_ &&
          h.planFingerprint == fingerprint_) {
        // A knock from a higher peer that (re)started: connect to it now, not at the end of
        // the backoff; a connection that is up or being made is left alone.
        Peer& p = *peers_[h.from];
        if (!p.conn) {
          spdlog::info("worker {}: worker {} is starting; connecting to it now", self_, h.from);
          p.backoffMs = 0;
          p.nextConnectNs = 0;
        } else if (p.conn->state != Conn::State::Up) {
          p.knocked = true;  // a try that may have left before the peer listened
        }
        closeConn(c, "a knock", false);
        return;
      }
      if (!known) {
        throw WireError(
            fmt::format("hello from worker {}, which this worker's assignment does "
                        "not have (yet)",
                        h.from));
      }
      if (h.to != static_cast<uint32_t>(self_) || static_cast<int>(h.from) >= self_) {
        throw WireError(fmt::format("hello from worker {} to worker {} reached worker {}", h.from,
                                    h.to, self_));
      }
      if (h.planFingerprint != fingerprint_) {
        throw WireError(fmt::format("worker {} runs a different plan of the topology", h.from));
      }
      Welcome m;
      welcomeMac(assignment_.secret, h.nonce, c.challengeNonce, m.mac);
      WireWriter w;
      encode(w, m);
      if (!writeAll(c.fd, w.buffer())) throw WireError("cannot send the welcome");
      c.peer = static_cast<int>(h.from);
      c.name = fmt::format("worker {}", c.peer);
      establish(c);
      return;
    }
    case Conn::State::Up:
      if (f.type == FrameType::Batch) {
        handleBatch(c, r);
      } else if (f.type == FrameType::BackPressure) {
        handleBackPressure(c, r);
      } else {
        throw WireError("handshake frame on an established connection");
      }
      return;
    case Conn::State::Connecting:
      throw WireError("data before the connection completed");
  }
}

void Transport::handleBatch(Conn& c, WireReader& r) {
  const int numTasks = plan_.numTasks();
  size_t count = 0;
  auto checkTask = [&](int task, const char* what) {
    if (task < 1 || task > numTasks) {
      throw WireError(fmt::format("{} task {} is not in the topology", what, task));
    }
  };
  // The executor here that runs `task`, or null (counted as dropped) when it is not here.
  auto localExecutor = [&](int task) -> internal::Executor* {
    if (workerOfTask_[task] != self_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    return rt_.executorOfTask[task];
  };
  // Read past maxOverflow_ only to reach a status frame (mayRead): past four times that,
  // what would join an overflow is dropped rather than held.
  auto overflowFull = [&](internal::Executor* ex, bool acks) {
    if (overflowTuples_ < 4 * maxOverflow_) return false;
    const Inbound& in = inbound_[ex->index()];
    if (acks ? in.ackOverflow.empty() : in.overflow.empty()) return false;
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return true;
  };
  auto hold = [&](internal::Executor* ex) -> Inbound& {
    Inbound& in = inbound_[ex->index()];
    if (in.batch.empty() && in.acks.empty()) touched_.push_back(ex->index());
    return in;
  };
  decodeBatchItems(
      r,
      [&](const WireTupleHead& h, WireReader& rr) {
        checkTask(h.destTask, "destination");
        internal::Executor* ex = localExecutor(h.destTask);
        if (ex && overflowFull(ex, false)) ex = nullptr;
        checkTask(h.sourceTask, "source");
        const auto& streams = streamsOfTask_[static_cast<size_t>(h.sourceTask)];
        if (h.stream >= streams.size()) {
          throw WireError(fmt::format("component '{}' has no stream number {}",
                                      plan_.componentOfTask(h.sourceTask), h.stream));
        }
        const StreamMeta* meta = streams[h.stream];
        // Decoded straight into the body the executor will get: no copy, and a recycled
        // body's value storage is reused.
        detail::TupleData* d = ex ? pool_->acquire() : nullptr;
        try {
          decodeAnchors(rr, [&](uint64_t root, uint64_t edge) {
            if (d) d->messageId.xorInto(root, edge);
          });
          size_t n = rr.count(1);
          if (n != meta->fields.size()) {
            throw WireError(fmt::format("{} values on stream '{}' of '{}', which declares {}", n,
                                        meta->streamId, meta->componentId, meta->fields.size()));
          }
          decodeValuesInto(rr, d ? d->values : scratch_.values, n);
        } catch (...) {
          if (d) detail::release(d);
          throw;
        }
        if (!d) return;
        d->sourceTask = h.sourceTask;
        d->destTask = h.destTask;
        d->meta = meta;
        hold(ex).batch.push_back(d);
        ++count;
      },
      [&](const internal::AckRecord& a) {
        checkTask(a.destTask, "destination");
        internal::Executor* ex = localExecutor(a.destTask);
        if (!ex) return;
        if (!takesAcks_[ex->index()]) {
          throw WireError(fmt::format("acking record for task {}, which takes none", a.destTask));
        }
        if (overflowFull(ex, true)) return;
        hold(ex).acks.push_back(a);
      });
  received_.fetch_add(count, std::memory_order_relaxed);
  (void)c;
  bool changed = false;
  for (size_t i : touched_) changed |= pushInbound(i);
  touched_.clear();
  if (changed) broadcastBackPressure();
}

bool Transport::pushInbound(size_t i) {
  Inbound& in = inbound_[i];
  internal::ReceiveQueue& q = executorByIndex_[i]->queue();
  size_t pushed = 0;
  if (in.overflow.empty() && !in.batch.empty()) {
    pushed = q.tryPushBatch(in.batch.data(), in.batch.size());
  }
  for (size_t k = pushed; k < in.batch.size(); ++k) in.overflow.push_back(in.batch[k]);
  overflowTuples_ += in.batch.size() - pushed;
  in.batch.clear();
  pushed = 0;
  if (in.ackOverflow.empty() && !in.acks.empty()) {
    pushed = q.tryPushAcks(in.acks.data(), in.acks.size());
  }
  for (size_t k = pushed; k < in.acks.size(); ++k) in.ackOverflow.push_back(in.acks[k]);
  overflowTuples_ += in.acks.size() - pushed;
  in.acks.clear();
  return updateBackPressure(in);
}

bool Transport::updateBackPressure(Inbound& in) {
  bool on = !in.overflow.empty() || !in.ackOverflow.empty();
  if (on == in.underBackPressure) return false;
  in.underBackPressure = on;
  return true;
}

void Transport::drainOverflows() {
  if (overflowTuples_ == 0) return;
  bool changed = false;
  std::vector<detail::TupleData*> run;
  std::vector<internal::AckRecord> acks;
  for (size_t i = 0; i < inbound_.size(); ++i) {
    Inbound& in = inbound_[i];
    if (in.overflow.empty() && in.ackOverflow.empty()) continue;
    internal::ReceiveQueue& q = executorByIndex_[i]->queue();
    while (!in.overflow.empty()) {
      run.assign(in.overflow.begin(),
                 in.overflow.begin() +
                     static_cast<std::ptrdiff_t>(std::min<size_t>(256, in.overflow.size())));
      size_t pushed = q.tryPushBatch(run.data(), run.size());
      in.overflow.erase(in.overflow.begin(),
                        in.overflow.begin() + static_cast<std::ptrdiff_t>(pushed));
      overflowTuples_ -= pushed;
      if (pushed < run.size()) break;
    }
    while (!in.ackOverflow.empty()) {
      acks.assign(in.ackOverflow.begin(),
                  in.ackOverflow.begin() +
                      static_cast<std::ptrdiff_t>(std::min<size_t>(1024, in.ackOverflow.size())));
      size_t pushed = q.tryPushAcks(acks.data(), acks.size());
      in.ackOverflow.erase(in.ackOverflow.begin(),
                           in.ackOverflow.begin() + static_cast<std::ptrdiff_t>(pushed));
      overflowTuples_ -= pushed;
      if (pushed < acks.size()) break;
    }
    changed |= updateBackPressure(in);
  }
  if (changed) broadcastBackPressure();
}

void Transport::broadcastBackPressure() {
  ++statusSeq_;
  for (auto& p : peers_) {
    if (p && p->up.load()) sendStatusTo(*p);
  }
}

void Transport::sendStatusTo(Peer& p) {
  BackPressureStatus s;
  s.seq = ++statusSeq_;
  for (size_t i = 0; i < inbound_.size(); ++i) {
    if (inbound_[i].underBackPressure) s.executors.push_back(executorByIndex_[i]->plan().startTask);
  }
  WireWriter w;
  encode(w, s);
  sendBytes(p, w.buffer(), 0);
}

void Transport::run() {
  std::vector<pollfd> fds;
  std::vector<Conn*> polled;
  for (auto& p : peers_) {
    if (p && p->assigned.load() && p->index < self_) knock(p->index);
  }
  while (!stop_.load()) {
    applyReassignment();
    int64_t now = nowNs();
    for (auto& p : peers_) {
      if (p && p->assigned.load() && p->index > self_ && !p->conn && now >= p->nextConnectNs) {
        connectTo(p->index);
      }
    }
    for (auto& c : conns_) {
      if (!c->closed && c->state != Conn::State::Up && now > c->deadlineNs) {
        closeConn(*c, "the handshake timed out", c->state == Conn::State::AwaitHello);
      }
    }
    conns_.erase(std::remove_if(conns_.begin(), conns_.end(),
                                [](const std::unique_ptr<Conn>& c) { return c->closed; }),
                 conns_.end());
    fds.clear();
    polled.clear();
    fds.push_back({wakeFd_, POLLIN, 0});
    fds.push_back({listenFd_, POLLIN, 0});
    fds.push_back({localListenFd_, POLLIN, 0});  // ignored by poll when -1
    for (auto& c : conns_) {
      short events = mayRead(*c) ? POLLIN : 0;
      if (c->state == Conn::State::Connecting) events = POLLOUT;
      if (c->state == Conn::State::Up &&
          peers_[static_cast<size_t>(c->peer)]->outBytes.load(std::memory_order_relaxed) > 0) {
        events |= POLLOUT;
      }
      fds.push_back({c->fd, events, 0});
      polled.push_back(c.get());
    }
    int timeoutMs = overflowTuples_ > 0 ? 1 : 50;
    int n = ::poll(fds.data(), fds.size(), timeoutMs);
    if (n < 0 && errno != EINTR) {
      spdlog::error("worker {}: poll failed: {}", self_, std::strerror(errno));
      break;
    }
    if (fds[0].revents & POLLIN) {
      uint64_t v;
      [[maybe_unused]] auto r = ::read(wakeFd_, &v, sizeof v);
    }
    for (int l = 1; l <= 2; ++l) {
      if (!(fds[static_cast<size_t>(l)].revents & POLLIN)) continue;
      for (int i = 0; i < 16; ++i) {
        size_t before = conns_.size();
        acceptOne(fds[static_cast<size_t>(l)].fd);
        if (conns_.size() == before) break;
      }
    }
    for (size_t k = 0; k < polled.size(); ++k) {
      Conn& c = *polled[k];
      short re = fds[k + 3].revents;
      if (c.closed || !re) continue;
      if (c.state == Conn::State::Connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          closeConn(c, std::strerror(err), false);
        } else {
          c.state = Conn::State::AwaitChallenge;
        }
        continue;
      }
      if (re & (POLLIN | POLLHUP | POLLERR)) onReadable(c);
      if (!c.closed && (re & POLLOUT) && c.state == Conn::State::Up) {
        flushOut(*peers_[static_cast<size_t>(c.peer)]);
      }
    }
    drainOverflows();
  }
  for (auto& c : conns_) closeConn(*c, "the worker is stopping", false);
}

void Transport::handleBackPressure(Conn& c, WireReader& r) {
  BackPressureStatus s = decodeBackPressure(r);
  Peer& p = *peers_[static_cast<size_t>(c.peer)];
  if (s.seq <= p.lastStatusSeq) return;
  p.lastStatusSeq = s.seq;
  std::sort(s.executors.begin(), s.executors.end());
  for (auto* proxy : p.proxies) {
    bool on = std::binary_search(s.executors.begin(), s.executors.end(), proxy->plan().startTask);
    proxy->setBackPressure(on);
  }
}

}  // namespace squall::worker
