#pragma once
// Transport: this worker's connections to the other workers of its topology: one TCP
// connection per pair of workers (the lower index connects, the higher accepts), used both
// ways. Plain sockets and poll(2) in one I/O thread rather than Asio: a worker has a handful of
// connections, and the hot send path is a proxy executor thread writing a whole batch with one
// non-blocking send(2) under the connection's lock, which needs no event loop at all.
//
// Sending: every executor of another worker is stood in for here by a RemoteExecutor (see
// remote_executor.h), an executor whose queue the local producers fill exactly as they fill a
// local one; its thread (or, at low rates, the producer's: see remote_executor.h) encodes what
// it drains into Batch frames and calls send(). Bytes the
// kernel does not take wait in the peer's out buffer (bounded by kMaxOutBytes: above it the
// proxies stop draining, their queues fill, and the producers' own backpressure holds them).
// A peer that is down takes nothing: its tuples are dropped and counted; acking replays them.
//
// Receiving (I/O thread): frames are decoded and checked against the plan (a local destination
// task, a real source task and stream, the stream's arity) and pushed into the local
// executors' queues in batches. What a full queue refuses waits, in order, in that executor's
// overflow here, and the executor is reported to every peer as under backpressure (Storm 2's
// BackPressureStatus): the peers' proxies for it stop draining until it is relieved, so only
// the traffic to that executor waits, never a whole connection (which could deadlock two
// workers feeding each other). Past maxOverflow_ in all (squall.worker.receive.overflow.tuples)
// the I/O thread stops reading,
// except from a peer that holds one of our stand-ins under its own backpressure: the status
// that relieves it travels behind the tuples in that stream, and refusing to read them would
// deadlock the two workers. From such a peer, past 4 x maxOverflow_, a tuple or acking
// record for an executor with an overflow is dropped (counted; acking replays it).
// Handshakes are read whatever the overflow: they carry no tuples.
//
// Security: the acceptor sends a random challenge; the connector answers with its identity and
// an HMAC over both nonces keyed by the topology's secret; the acceptor answers with its own
// HMAC. Until then frames are bounded to 4 KiB and only handshake frames are accepted; any
// malformed frame, failed proof or invalid content closes that connection with a logged error.
//
// Restart: the lower index reconnects to a lost higher peer with Storm's netty backoff (100 ms
// doubling to 1 s), which alone would let a worker that is back in 300 ms wait until 700 ms.
// So a worker starting knocks at each lower peer: a connection whose proven Hello names a
// higher sender, which the lower peer takes as "connect to me now" (when it has no connection
// to that peer) and then closes. A knock carries no tuples and changes no connection that is up.
//
// Reassignment: reassign() (any thread) hands a new assignment of the same topology to the I/O
// thread: a peer whose address changed is disconnected and connected again at once at the new
// one; a peer that joined is connected to, one that left is disconnected and forgotten (worker
// indexes are stable, so the others keep theirs: assignment.h); a stand-in for an executor that
// moved between two other workers sends to its new worker. A peer that has not read the new
// assignment yet may refuse a hello meanwhile; the connector tries again with its backoff.
// Meanwhile tuples for a peer that is not connected are dropped (acking replays them), so
// nothing waits without bound.
//
// Lifetime: built by the worker after its RunningTopology (whose runtime it reads), listen()
// before the topology starts, start() after, stop() before the topology's executors stop.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/executor.h"
#include "runtime/topology_runtime.h"
#include "worker/assignment.h"
#include "worker/wire_format.h"

namespace squall::worker {

class RemoteExecutor;

// Wire stream numbers: each component's declared streams sorted by name, numbered from 0.
class StreamTable {
 public:
  explicit StreamTable(const internal::TopologyPlan& plan);
  // -1 when `meta` is not a declared stream of the plan.
  int64_t indexOf(const StreamMeta* meta) const {
    auto it = index_.find(meta);
    return it == index_.end() ? -1 : it->second;
  }
  // nullptr when `component` has no stream `index`.
  const StreamMeta* meta(const std::string& component, uint32_t index) const;
  // Every stream of `component`, by wire number (empty when it has none).
  std::vector<const StreamMeta*> ofComponent(const std::string& component) const;

 private:
  std::unordered_map<const StreamMeta*, uint32_t> index_;
  std::map<std::string, std::vector<const StreamMeta*>> byComponent_;
};

struct TransportStats {
  uint64_t sentTuples = 0;
  uint64_t receivedTuples = 0;
  uint64_t droppedTuples = 0;  // to a peer that was down, or for an executor not here
  uint64_t batchSends = 0;     // the stand-ins' send() calls: a send(2) each, unless backed up
  uint64_t inlineSends = 0;    // of those, made on a producer's thread (RemoteExecutor)
  uint64_t refusedConnections = 0;
};

class Transport {
 public:
  static constexpr size_t kMaxOutBytes = 1u << 20;

  Transport(Assignment assignment, int self, internal::TopologyRuntime& rt);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds this worker's address (std::runtime_error when it cannot).
  void listen();
  void start();
  void stop();
  // True once every other worker is connected and authenticated.
  bool allConnected() const;
  // Any thread. "" when `next` can be applied while this worker runs (and it will be, on the
  // I/O thread); otherwise why not: another topology or secret, another executor layout, or
  // this worker's own address or executors changed (the worker must then be restarted).
  std::string reassign(const Assignment& next);
  TransportStats stats() const;

  // The placement hook: a stand-in for an executor another worker runs.
  std::unique_ptr<internal::Executor> makeRemoteExecutor(internal::TopologyRuntime& rt,
                                                         const internal::ExecutorPlan& ep,
                                                         size_t index, size_t count);

  // Proxy threads.
  struct Peer;
  bool writable(Peer& p) const;
  // While the worker starts (until endStartup()), a stand-in holds what it has for a peer not
  // connected yet instead of letting send() drop it: the workers are still connecting to each
  // other, and a tuple dropped then would wait for its message timeout to be replayed.
  bool holdsFor(const Peer& p) const;
  void endStartup() { startingUp_.store(false, std::memory_order_relaxed); }
  // Sends whole frames carrying `tuples` tuples; false (and counted as dropped) if the peer
  // is down.
  bool send(Peer& p, std::string_view frames, size_t tuples);
  void countInlineSend() { inlineSends_.fetch_add(1, std::memory_order_relaxed); }
  const StreamTable& streams() const { return streams_; }
  // Calls f(RemoteExecutor&) for each stand-in that sends to `p`, unless another thread is
  // doing so (or the list is being changed): then none, and false.
  template <class F>
  bool forEachProxy(Peer& p, F&& f);

 private:
  struct Conn;
  void run();
  void acceptOne(int listenFd);
  void connectTo(int peer);
  void knock(int peer);
  // A non-blocking connection to worker `peer` (nullptr when it failed at once).
  std::unique_ptr<Conn> dial(int peer);
  void onReadable(Conn& c);
  // Whether to read from `c` now (see the top of this file).
  bool mayRead(const Conn& c) const;
  void onFrame(Conn& c, const FrameReader::Frame& f);
  void establish(Conn& c);
  void closeConn(Conn& c, const std::string& why, bool error);
  void handleBatch(Conn& c, WireReader& r);
  void handleBackPressure(Conn& c, WireReader& r);
  void drainOverflows();
  void applyReassignment();
  struct Inbound;
  // Pushes what one frame brought for executor `i`; true when its backpressure changed.
  bool pushInbound(size_t i);
  bool updateBackPressure(Inbound& in);
  void broadcastBackPressure();
  void sendStatusTo(Peer& p);
  void flushOut(Peer& p);
  // send() without counting a batch (the I/O thread's status frames).
  bool sendBytes(Peer& p, std::string_view frames, size_t tuples);
  void wakeIo();

  Assignment assignment_;
  int self_;
  internal::TopologyRuntime& rt_;
  const internal::TopologyPlan& plan_;
  StreamTable streams_;
  uint64_t fingerprint_;
  std::vector<int> workerOfTask_;  // index = task id
  // index = task id: its component's streams by wire number (StreamTable, without a lookup
  // by component name for every tuple received).
  std::vector<std::vector<const StreamMeta*>> streamsOfTask_;
  std::vector<std::unique_ptr<Peer>> peers_;  // index = worker index; null for self
  std::map<int, RemoteExecutor*> proxies_;    // by executor start task
  int listenFd_ = -1;
  int localListenFd_ = -1;  // the unix socket, with Assignment::localSockets
  int wakeFd_ = -1;
  std::vector<std::unique_ptr<Conn>> conns_;  // I/O thread only
  std::thread io_;
  std::atomic<bool> stop_{false};
  // The last assignment accepted by reassign(), and the one the I/O thread has yet to apply.
  std::mutex reassignMu_;
  Assignment latest_;
  std::optional<Assignment> pending_;

  // Inbound, I/O thread only: per local executor (by executor index), what its queue refused.
  struct Inbound {
    std::vector<detail::TupleData*> batch;
    std::vector<internal::AckRecord> acks;
    std::deque<detail::TupleData*> overflow;
    std::deque<internal::AckRecord> ackOverflow;
    bool underBackPressure = false;
  };
  std::vector<Inbound> inbound_;  // index = executor index
  std::vector<internal::Executor*> executorByIndex_;
  std::vector<bool> takesAcks_;  // index = executor index: ackers and spouts
  std::vector<size_t> touched_;
  size_t overflowTuples_ = 0;
  std::atomic<bool> startingUp_{true};
  const size_t maxOverflow_;  // squall.worker.receive.overflow.tuples
  uint64_t statusSeq_ = 0;
  std::unique_ptr<internal::TuplePool> pool_;
  WireTuple scratch_;  // values of tuples for executors not here, decoded to be checked

  std::atomic<uint64_t> sent_{0}, received_{0}, dropped_{0}, refused_{0}, batchSends_{0},
      inlineSends_{0};
};

struct Transport::Peer {
  int index = 0;
  // In the current assignment (written by the I/O thread, read by allConnected()): a gap in the
  // indexes, or a worker that left, is neither connected to nor waited for.
  std::atomic<bool> assigned{false};
  // Guards fd and out: proxies write under it, the I/O thread replaces the socket under it.
  std::mutex mu;
  int fd = -1;
  std::string out;
  std::atomic<size_t> outBytes{0};
  std::atomic<bool> up{false};
  // Changed by the I/O thread (reassignment) under proxiesMu; read by the proxies under it.
  std::mutex proxiesMu;
  std::vector<RemoteExecutor*> proxies;
  // I/O thread only.
  Conn* conn = nullptr;
  int64_t nextConnectNs = 0;
  int backoffMs = 0;
  bool reportedDown = false;
  // Knocked while a try of ours was under way: if that try fails, the next one is at once.
  bool knocked = false;
  uint64_t lastStatusSeq = 0;
};

template <class F>
bool Transport::forEachProxy(Peer& p, F&& f) {
  std::unique_lock lock(p.proxiesMu, std::try_to_lock);
  if (!lock) return false;
  for (RemoteExecutor* r : p.proxies) f(*r);
  return true;
}

}  // namespace squall::worker
