// ShellBolt: the engine side of a multilang bolt (storm.md 1.4-1.10).
//
// Threads:
// - the executor thread: execute() assigns the tuple a delivery id, records it in flight and
//   writes it to the child: at once when the child is idle, else at the end of the executor's
//   batch of input with the rest of the burst (squall/detail/drain_end.h). It blocks only
//   while the in-flight window is full, until the window drains to its low-water mark;
// - the reader thread (one per task): reads and decodes the child's output and acts on it
//   through the OutputCollector (emit, ack, fail, reportError), writes task-id replies and
//   heartbeats, finishes writes the executor left when the pipe was full, watches the
//   subprocess timeout, and restarts the child after a failure;
// - the child's stderr thread (ShellProcess).
// Writes are non-blocking and go through three buffers under `mu_`: the message being
// written, urgent ones (task ids, heartbeats: they go first, as in Storm's writer) and
// tuples. Tuples queued while another write is pending leave in one write(2). The reader
// thread lets `mu_` go during its own write(2)s (flushFromReader).

#include "squall/shell_bolt.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "logs/log_tag.h"
#include "multilang/child_cpu_follower.h"
#include "multilang/child_cpu_pin.h"
#include "multilang/idle_child_grace.h"
#include "multilang/message_fields.h"
#include "multilang/read_coalescing.h"
#include "multilang/reply_poll.h"
#include "multilang/round_trip_children.h"
#include "multilang/shell_child.h"
#include "multilang/shell_context.h"
#include "multilang/shell_setup.h"
#include "multilang/window_refill.h"
#include "squall/detail/drain_end.h"
#include "squall/detail/emit_batch_scope.h"
#include "squall/topology_context.h"
#include "topology/topology_plan.h"

namespace squall {

namespace internal {

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr size_t kMaxTicksInFlight = 1000;
constexpr size_t kMaxExpiredIds = 100'000;
constexpr int64_t kWindowWarnNs = 10 * kSecond;
// Tuples for a busy child wait for the end of the executor's batch up to this many bytes.
constexpr size_t kDeferBytes = 64 * 1024;

// A tuple id as the child sees it, in the caller's buffer: 20 characters do not fit a short
// string, and a std::string cost an allocation per tuple sent.
struct IdText {
  explicit IdText(int64_t id) : end(std::to_chars(buf, buf + sizeof buf, id).ptr) {}
  operator std::string_view() const { return {buf, static_cast<size_t>(end - buf)}; }
  char buf[24];
  char* end;
};

std::optional<int64_t> parseId(std::string_view text) {
  // The ids IdText wrote: an optional '-' and at most 19 digits, which fit a uint64_t
  // without overflow checks (std::from_chars's per-digit checks were 6 % of the reader
  // thread's instructions, one id per ack and per anchor).
  size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
  if (text.size() > i && text.size() - i <= 19) {
    uint64_t u = 0;
    for (size_t k = i; k < text.size(); ++k) {
      unsigned d = static_cast<unsigned char>(text[k]) - unsigned{'0'};
      if (d > 9) return std::nullopt;
      u = u * 10 + d;
    }
    constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
    if (i == 0) {
      if (u > kMax) return std::nullopt;
      return static_cast<int64_t>(u);
    }
    if (u > kMax + 1) return std::nullopt;
    return static_cast<int64_t>(0 - u);
  }
  int64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

// The reader's copy of the tuple the child's last emit was anchored to. A client anchors every
// emit of an input tuple to that tuple (storm.py, pystorm: several words per sentence), and a
// lookup in the in-flight map takes mu_, which the executor takes for each tuple it sends: with
// pystorm msgpack the executor slept on mu_ 2 900 times a second. The copy is good while the
// tuple is in flight: the reader forgets it when the child acks or fails it, and the executor
// counts what it removes from the map itself (timeouts, old ticks).
struct AnchorCache {
  bool holds(const std::string& text, const std::atomic<uint64_t>& erasures) const {
    return valid && text == idText && generation == erasures.load(std::memory_order_relaxed);
  }
  void fill(const std::string& text, int64_t tupleId, const Tuple& t,
            const std::atomic<uint64_t>& erasures) {
    idText = text;
    id = tupleId;
    tuple = t;
    generation = erasures.load(std::memory_order_relaxed);
    valid = true;
  }
  void forget(int64_t tupleId) {
    if (valid && id == tupleId) clear();
  }
  void clear() {
    valid = false;
    tuple = Tuple();
  }

  bool valid = false;
  std::string idText;
  int64_t id = 0;
  Tuple tuple;
  uint64_t generation = 0;
};

class ShellBoltCore {
 public:
  ShellBoltCore(const ShellCommand& spec, const Config& conf, TopologyContext& context,
                OutputCollector& collector)
      : setup_(makeShellSetup("ShellBolt", spec, conf, context)),
        topologyStopping_(&context.plan().stopping),
        collector_(collector),
        maxPending_(static_cast<size_t>(conf.getInt(Config::TOPOLOGY_SHELLBOLT_MAX_PENDING))),
        messageTimeoutNs_(conf.getInt(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS) * kSecond),
        lowWater_(maxPending_ - std::min<size_t>(64, (maxPending_ + 3) / 4)) {
    std::random_device rd;
    idBase_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }

  ~ShellBoltCore() {
    detail::cancelDrainEnd(this);
    stop();
    ::close(stopFd_);
    ::close(wakeFd_);
  }

  // Starts the first child on the calling (executor) thread, so a child that cannot start
  // fails prepare(); later restarts happen on the reader thread.
  void start() {
    auto child = ShellChild::start(setup_, stopFd_);
    install(std::move(child));
    io_ = std::thread([this] {
      std::string name = fmt::format("ml:{}:{}", setup_.component, setup_.task).substr(0, 15);
      pthread_setname_np(pthread_self(), name.c_str());
      logs::setThreadTag(logs::componentTag(setup_.component, setup_.task, setup_.task));
      ioLoop();
    });
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      windowCv_.notify_all();
    }
    signal(stopFd_);
    if (io_.joinable()) io_.join();
    if (child_) {
      child_->terminate();
      child_.reset();
    }
    removePidDirIfEmpty(setup_.pidDirOwned, setup_.pidDir);
  }

  void execute(const Tuple& input) {
    bool tick = input.isTick();
    int64_t id = nextId();
    thread_local std::string encoded;
    encoded.clear();
    setup_.serializer->writeTuple(encoded, IdText(id), &input.getSourceComponent(),
                                  input.getSourceStreamId(), input.getSourceTask(),
                                  input.getValues());
    std::unique_lock lock(mu_);
    if (!tick && inFlight_ >= maxPending_) {
      // What waits for the drain's end must reach the child before we wait for its acks.
      if (running_ && !flushLocked()) signal(wakeFd_);
      waitForWindow(lock);
    }
    bool childBusy = inFlight_ > 0;
    pending_.emplace(id, Pending{input, monotonicNs(), tick});
    if (tick) {
      trackTick(id);
    } else {
      ++inFlight_;
    }
    normal_ += encoded;
    if (!running_) return;
    // An idle child gets its tuple at once; a busy one is working on earlier tuples, so what
    // arrives meanwhile leaves together when the executor's batch of input ends: one write(2)
    // (and one wake-up of the child) per burst instead of one per tuple.
    if (childBusy && normal_.size() < kDeferBytes &&
        (flushAtDrainEnd_ || detail::callAtDrainEnd(&ShellBoltCore::flushAtDrainEnd, this))) {
      flushAtDrainEnd_ = true;
      return;
    }
    if (!flushLocked()) signal(wakeFd_);
  }

  int childPid() const { return childPid_.load(); }

 private:
  struct Pending {
    Tuple tuple;
    int64_t sinceNs;
    bool tick;
  };

  static void flushAtDrainEnd(void* self) {
    auto* core = static_cast<ShellBoltCore*>(self);
    std::lock_guard lock(core->mu_);
    core->flushAtDrainEnd_ = false;
    if (core->running_ && !core->flushLocked()) signal(core->wakeFd_);
  }

  static void signal(int fd) {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
  }
  static void drain(int fd) {
    uint64_t v;
    [[maybe_unused]] auto n = ::read(fd, &v, sizeof v);
  }

  // Unique per delivery for 2^64 deliveries, and as random-looking as Storm's ids.
  int64_t nextId() {
    return static_cast<int64_t>(idBase_ + seq_.fetch_add(1, std::memory_order_relaxed) *
                                              0x9E3779B97F4A7C15ULL);
  }

  void install(std::unique_ptr<ShellChild> child) {
    std::lock_guard lock(mu_);
    childPid_.store(child->osPid());
    stdinFd_ = child->stdinFd();
    child_ = std::move(child);
    running_ = true;
    lastHeardNs_ = monotonicNs();
    if (!flushLocked()) signal(wakeFd_);
  }

  // Writes buffered messages until done or the pipe is full. True when nothing is left, or
  // when the reader thread is writing (it takes what was added before it lets go).
  bool flushLocked() {
    if (readerWriting_) return true;
    while (running_ && nextToWrite()) {
      ssize_t n = ::write(stdinFd_, current_.data() + currentOff_, current_.size() - currentOff_);
      if (!wrote(n, errno)) return false;
    }
    return true;
  }

  // flushLocked() for the reader thread: the same writes, with mu_ let go during each. A write
  // that wakes a child on the reader's CPU (child_cpu_pin.h) switches to the child before it
  // returns, and the reader held mu_ all that time: the executor, taking mu_ for its next tuple,
  // slept on it, and the reader's unlock then paid a futex wake-up of the other CPU (10 % of the
  // reader's time with storm.py). Only the reader thread may write unlocked: it alone closes
  // the child, so the descriptor stays valid while mu_ is let go.
  bool flushFromReader(std::unique_lock<std::mutex>& lock) {
    while (running_ && nextToWrite()) {
      int fd = stdinFd_;
      const char* data = current_.data() + currentOff_;
      size_t size = current_.size() - currentOff_;
      readerWriting_ = true;  // current_ is ours until set back
      lock.unlock();
      ssize_t n = ::write(fd, data, size);
      int err = errno;
      lock.lock();
      readerWriting_ = false;
      if (!wrote(n, err)) return false;
    }
    return true;
  }

  // Under mu_: false when nothing is left to write; else current_ holds what goes next
  // (a message begun, then urgent ones, then tuples).
  bool nextToWrite() {
    if (currentOff_ < current_.size()) return true;
    current_.clear();
    currentOff_ = 0;
    if (!urgent_.empty()) {
      current_.swap(urgent_);
    } else if (!normal_.empty()) {
      current_.swap(normal_);
    } else {
      return false;
    }
    return true;
  }

  // Under mu_, after write(2) returned `n` (errno `err`): false when the pipe is full.
  bool wrote(ssize_t n, int err) {
    if (n > 0) {
      currentOff_ += static_cast<size_t>(n);
    } else if (n < 0 && err == EAGAIN) {
      return false;
    } else if (!(n < 0 && err == EINTR)) {
      // The child closed its stdin (it is exiting): the reader reports it when stdout ends.
      running_ = false;
    }
    return true;
  }

  bool outputPending() const {
    return running_ && (currentOff_ < current_.size() || !urgent_.empty() || !normal_.empty());
  }

  void trackTick(int64_t id) {
    // A child that never acks ticks (storm.py's Bolt) must not grow the map forever.
    tickIds_.push_back(id);
    while (tickIds_.size() > kMaxTicksInFlight) {
      int64_t old = tickIds_.front();
      tickIds_.pop_front();
      if (pending_.erase(old)) {
        executorErasures_.fetch_add(1, std::memory_order_relaxed);
        rememberExpired(old);
      }
    }
  }

  void rememberExpired(int64_t id) {
    if (expired_.insert(id).second) expiredOrder_.push_back(id);
    while (expiredOrder_.size() > kMaxExpiredIds) {
      expired_.erase(expiredOrder_.front());
      expiredOrder_.pop_front();
    }
  }

  // The executor thread waits here while the window is full: that is the backpressure.
  // It waits for the window to drain to its low-water mark (the reader wakes it once there),
  // not for one free slot: waking per ack cost a futex wake, a context switch and a lone
  // write(2) per tuple, the executor's whole share. A child that holds tuples between the
  // two marks (a batching bolt) would never drain that far: after kRefillWaitMs in which no
  // tuple was acked the executor takes any free slot, and for the next kEagerNs the reader
  // wakes it per ack again (so such a child loses at most 2 % of its time to the wait). A
  // child that keeps acking, only slowly, keeps the low-water wake (window_refill.h).
  // Tuples in flight longer than topology.message.timeout.secs have timed out at their
  // spouts already; past that they leave the window (a late ack is ignored), so a child that
  // holds tuples (a batching bolt with a window too small) slows the topology, never stops it.
  void waitForWindow(std::unique_lock<std::mutex>& lock) {
    int64_t since = monotonicNs();
    bool warned = false;
    ++waiters_;
    while (!stopping_ && !topologyStopping()) {
      bool eager = monotonicNs() < eagerUntilNs_;
      auto waitMs = std::chrono::milliseconds(eager ? 100 : kRefillWaitMs);
      uint64_t leftBefore = leftWindow_;
      bool timedOut = windowCv_.wait_for(lock, waitMs) == std::cv_status::timeout;
      int64_t now = monotonicNs();
      if (startRefillingPerAck(timedOut, eager, leftBefore, leftWindow_)) {
        eagerUntilNs_ = now + kEagerNs;
        eager = true;
      }
      // The topology is being killed: let the executor finish its queue and stop.
      if (stopping_ || topologyStopping()) break;
      if (inFlight_ <= lowWater_ || (eager && inFlight_ < maxPending_)) break;
      if (!warned && now - since > kWindowWarnNs) {
        warned = true;
        spdlog::warn(
            "{}: {} tuples in flight to the child and none acked or failed for {} s; a child "
            "that holds tuples until later (a batching bolt) needs "
            "topology.shellbolt.max.pending above what it holds",
            setup_.label(), inFlight_, (now - since) / kSecond);
      }
      if (now - since < messageTimeoutNs_) continue;
      std::vector<Tuple> expired;
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (!it->second.tick && now - it->second.sinceNs >= messageTimeoutNs_) {
          expired.push_back(std::move(it->second.tuple));
          rememberExpired(it->first);
          it = pending_.erase(it);
          executorErasures_.fetch_add(1, std::memory_order_relaxed);
          --inFlight_;
        } else {
          ++it;
        }
      }
      if (!expired.empty()) {
        spdlog::warn(
            "{}: {} tuples in flight for more than topology.message.timeout.secs "
            "left the window",
            setup_.label(), expired.size());
        lock.unlock();
        for (auto& t : expired) collector_.fail(t);
        lock.lock();
      }
    }
    --waiters_;
  }

  bool topologyStopping() const { return topologyStopping_->load(std::memory_order_relaxed); }

  void ioLoop() {
    while (true) {
      if (child_) serve();
      if (stopRequested() || !sleepBackoff()) break;
      try {
        install(ShellChild::start(setup_, stopFd_));
      } catch (const ShellError& e) {
        if (stopRequested()) break;
        std::string report = fmt::format("{}\n  restarting the child in {:g} s", e.what(),
                                         static_cast<double>(countCrash()) / 1e3);
        spdlog::error("{}", report);
        collector_.reportError(report);
      }
    }
    std::lock_guard lock(mu_);
    running_ = false;
  }

  // Counts a failure and returns the wait before the next start: 0.1 s doubling to 5 s for
  // failures less than 30 s apart, like the executor's restart of a task that throws.
  int64_t countCrash() {
    int64_t now = monotonicNs();
    crashes_ = now - lastCrashNs_ < 30 * kSecond ? crashes_ + 1 : 1;
    lastCrashNs_ = now;
    backoffMs_ = std::min<int64_t>(5000, int64_t{100} << std::min(crashes_ - 1, 6));
    return backoffMs_;
  }

  // False when stopped during the wait.
  bool sleepBackoff() {
    int64_t deadline = monotonicNs() + backoffMs_ * 1'000'000;
    while (true) {
      int64_t left = deadline - monotonicNs();
      if (left <= 0) return !stopRequested();
      pollfd p{stopFd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>((left + 999'999) / 1'000'000)) > 0) return false;
    }
  }

  bool stopRequested() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  // Serves the current child until it fails (then it is gone) or the bolt stops.
  void serve() {
    ShellChild& child = *child_;
    int64_t nextBeat = monotonicNs() + kSecond;
    int64_t holdUntil = 0;  // the child's output is left in the pipe until then (coalescing)
    int64_t pollUntil = 0;  // the child's output is polled for until then (reply_poll.h)
    ReplyPoll replyPoll(setup_.replyPollNs);
    ChildCpuFollower follower(setup_.readerFollowsChild);
    RoundTripSlot roundTrips;  // round_trip_children.h
    ChildCpuPin childPin(setup_.readerFollowsChild);
    // While the child is pinned (child_cpu_pin.h), what its reads bring is held for the
    // executors up to kRoundTripHoldNs, so they sleep between hand-offs.
    std::optional<detail::EmitBatchScope> roundTripBatch;
    int64_t roundTripBatchSince = 0;
    IdleChildGrace idleGrace;  // idle_child_grace.h
    while (true) {
      bool wantOut;
      size_t inFlight;
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        wantOut = outputPending();
        inFlight = inFlight_;
      }
      int64_t now = monotonicNs();
      bool holding = now < holdUntil;
      // stdin is polled only while output waits: a closed pipe would report POLLERR forever.
      pollfd fds[4] = {{holding ? -1 : child.stdoutFd(), POLLIN, 0},
                       {wantOut ? child.stdinFd() : -1, POLLOUT, 0},
                       {wakeFd_, POLLIN, 0},
                       {stopFd_, POLLIN, 0}};
      int64_t waitNs = std::max<int64_t>(0, nextBeat - now);
      if (holding) waitNs = std::min(waitNs, holdUntil - now);
      bool polling = !holding && now < pollUntil;
      if (polling) waitNs = 0;
      idleGrace.observe(inFlight, now);
      if (roundTripBatch) {
        int64_t heldFor = now - roundTripBatchSince;
        int64_t holdLeft = roundTripHoldNs(inFlight) - heldFor;
        // A child with no tuple left adds to the batch only if its next comes soon.
        if (inFlight == 0) holdLeft = std::min(holdLeft, idleGrace.waitLeftNs(now));
        if (holdLeft <= 0) {
          roundTripBatch.reset();  // hands the held emits and acks over
        } else {
          waitNs = std::min(waitNs, holdLeft);
        }
      }
      // While the reader polls for a child that waits for replies, it reads the pipe straight
      // away: the child usually ran while the reply was written, so a ppoll would only report
      // what the read finds, one system call more per word. Output waiting to be written, a
      // stop (stopping_, checked above) and the wake eventfd go through ppoll as before.
      bool readDirectly = polling && !wantOut;
      if (!readDirectly) {
        timespec timeout{static_cast<time_t>(waitNs / kSecond),
                         static_cast<long>(waitNs % kSecond)};
        int r = ::ppoll(fds, 4, &timeout, nullptr);
        if (r < 0 && errno != EINTR) {
          fail(fmt::format("poll failed: {}", std::strerror(errno)), "");
          return;
        }
        if (r == 0 && polling) {
          sched_yield();  // a child on this core runs; on another core this returns at once
          continue;
        }
        if (fds[3].revents) return;
        if (fds[2].revents) drain(wakeFd_);
        if (fds[1].revents) {
          std::unique_lock lock(mu_);
          flushFromReader(lock);
        }
      }
      try {
        if (readDirectly || fds[0].revents) {
          long n = child.readSome();
          if (n < 0) {  // nothing there yet (a direct read), or a spurious readiness
            if (readDirectly) sched_yield();
            continue;
          }
          if (n == 0) {
            std::string pending = child.reader().pendingText(300);
            throw ProtocolError(pending.empty() ? "the child closed its stdout (it exited?)"
                                                : "the child closed its stdout (it exited?) in "
                                                  "the middle of a message",
                                pending);
          }
          now = monotonicNs();
          int64_t sincePreviousRead = now - lastReadNs_;
          // The previous read brought an emit that was answered (lastReadNs_ is still its time).
          if (lastReplyNs_ >= lastReadNs_) replyPoll.observe(now - lastReplyNs_);
          acksRead_ = 0;
          {
            // What one read brought leaves for the executors in batches, not one push each.
            detail::EmitBatchScope batch;
            while (child.nextMessage(msg_)) {
              lastHeardNs_ = now;
              dispatch(child, msg_);
            }
            // The task-id replies to what this read brought leave in one write, before the
            // batch goes to the executors. A child that waits for each reply (storm.py) sent
            // one emit, so its reply leaves as soon as before; one that does not (storm.js)
            // sends many emits at once, which cost a write(2) each.
            if (!replies_.empty()) {
              std::unique_lock lock(mu_);
              if (urgent_.empty()) {
                urgent_.swap(replies_);
              } else {
                urgent_ += replies_;
              }
              replies_.clear();
              flushFromReader(lock);
            }
          }
          holdUntil = now + coalesceNs(now, n);
          // A child that waits for task ids (its next emit comes on the heels of the reply,
          // or the rest of a message it writes in pieces) is polled for a while.
          bool asksTaskIds = now - lastReplyNs_ < kReplyQuietNs;
          roundTrips.set(asksTaskIds);
          if (asksTaskIds && roundTripPollPays()) {
            pollUntil = now + replyPoll.pollNs();
            childPin.keep(child.speakerPid(), child.osPid(), now);
            // Only while words come back to back: a lone word leaves at once.
            if (childPin.pinnedCpu() >= 0 && sincePreviousRead < kRoundTripHoldNs &&
                !roundTripBatch) {
              roundTripBatch.emplace(kRoundTripHoldMaxItems);
              roundTripBatchSince = now;
            }
          } else {
            roundTripBatch.reset();
            childPin.release();
          }
          if (asksTaskIds) {
            follower.follow(child.speakerPid(), now);
          } else {
            follower.release();
          }
        }
        now = monotonicNs();
        if (now >= nextBeat) {
          nextBeat = now + kSecond;
          if (now - lastHeardNs_ > setup_.timeoutNs) {
            throw ProtocolError(fmt::format(
                "subprocess heartbeat timeout: no message from the child for {:.1f} s "
                "(topology.subprocess.timeout.secs is {} s)",
                static_cast<double>(now - lastHeardNs_) / 1e9, setup_.timeoutNs / kSecond));
          }
          sendHeartbeat();
        }
      } catch (const ProtocolError& e) {
        fail(e.what(), e.offending());
        return;
      }
    }
  }

  // See read_coalescing.h.
  int64_t coalesceNs(int64_t now, long bytesRead) {
    ReadHoldInputs in;
    in.windowNs = setup_.readCoalesceNs;
    in.sinceLastReadNs = now - lastReadNs_;
    in.sinceLastReplyNs = now - lastReplyNs_;
    in.bytesRead = static_cast<size_t>(bytesRead);
    in.acksRead = acksRead_;
    lastReadNs_ = now;
    {
      std::lock_guard lock(mu_);
      in.inFlight = inFlight_;
    }
    return readHoldNs(in);
  }

  void sendHeartbeat() {
    int64_t id = nextId();
    std::unique_lock lock(mu_);
    setup_.serializer->writeTuple(urgent_, IdText(id), nullptr, "__heartbeat", -1, Values{});
    flushFromReader(lock);
  }

  // The child broke the protocol, exited or went silent: stop it, report why, fail what was
  // in flight (so spouts replay it) and leave the restart to ioLoop().
  void fail(const std::string& problem, const std::string& offending) {
    std::vector<Tuple> inFlight;
    {
      std::lock_guard lock(mu_);
      running_ = false;
      stdinFd_ = -1;
      current_.clear();
      currentOff_ = 0;
      urgent_.clear();
      replies_.clear();
      normal_.clear();
      for (auto& [id, p] : pending_) {
        if (!p.tick) inFlight.push_back(std::move(p.tuple));
      }
      pending_.clear();
      anchorCache_.clear();
      tickIds_.clear();
      expired_.clear();
      expiredOrder_.clear();
      inFlight_ = 0;
      windowCv_.notify_all();
    }
    std::string report = child_->failureReport(problem, offending);
    child_.reset();
    childPid_.store(0);
    report += fmt::format("\n  {} tuple(s) in flight failed; restarting the child in {:g} s",
                          inFlight.size(), static_cast<double>(countCrash()) / 1e3);
    spdlog::error("{}", report);
    collector_.reportError(report);
    for (auto& t : inFlight) collector_.fail(t);
  }

  std::string offending(ShellChild& child) { return child.reader().lastMessageText(300); }

  void dispatch(ShellChild& child, ShellMsg& m) {
    switch (m.kind) {
      case ShellCommandKind::Emit:
        emit(child, m);
        return;
      case ShellCommandKind::Ack:
      case ShellCommandKind::Fail:
        ackOrFail(child, m, m.kind == ShellCommandKind::Ack);
        return;
      case ShellCommandKind::Sync:
        return;  // only proves the child is alive
      case ShellCommandKind::Log:
        logFromChild(setup_, child.reportedPid(), m.level, m.msg);
        return;
      case ShellCommandKind::Error:
        collector_.reportError("Shell Process Exception: " + m.msg);
        return;
      case ShellCommandKind::Metrics:
        if (m.name.empty()) {
          throw ProtocolError("'metrics' without a metric name", offending(child));
        }
        recordMetric(setup_, m.name, m.params);
        return;
      case ShellCommandKind::Other:
        break;
    }
    if (!m.hasCommand) throw ProtocolError("a message without 'command'", offending(child));
    throw ProtocolError(fmt::format("unknown command '{}'", m.command), offending(child));
  }

  void emit(ShellChild& child, ShellMsg& m) {
    if (!m.hasTuple) throw ProtocolError("'emit' without 'tuple'", offending(child));
    anchors_.clear();
    if (m.anchors.size() == 1 && anchorCache_.holds(m.anchors[0], executorErasures_)) {
      anchors_.push_back(anchorCache_.tuple);
    } else if (!m.anchors.empty()) {
      std::lock_guard lock(mu_);
      for (const auto& text : m.anchors) {
        auto id = parseId(text);
        auto it = id ? pending_.find(*id) : pending_.end();
        if (it != pending_.end()) {
          anchors_.push_back(it->second.tuple);
          if (m.anchors.size() == 1) {
            anchorCache_.fill(text, *id, it->second.tuple, executorErasures_);
          }
        } else if (!id || !expired_.count(*id)) {
          throw ProtocolError(fmt::format("anchored onto tuple id '{}', which is not in flight "
                                          "(never delivered, or already acked or failed)",
                                          text),
                              offending(child));
        }
        // An anchor that timed out out of the window: its tree has failed already.
      }
    }
    if (!m.poison.empty()) {
      refusePoisoned(m);
      return;
    }
    const std::string& stream = m.stream.empty() ? defaultStream_ : m.stream;
    try {
      if (m.task && *m.task != 0) {
        if (*m.task < 0 || *m.task > INT32_MAX) {
          throw ProtocolError(fmt::format("direct emit to task {}, which does not exist", *m.task),
                              offending(child));
        }
        collector_.emitDirect(static_cast<int>(*m.task), stream, anchors_, std::move(m.tuple));
      } else {
        const TaskIds& ids = collector_.emit(stream, anchors_, std::move(m.tuple));
        if (m.needTaskIds) {
          setup_.serializer->writeTaskIds(replies_, ids);
          lastReplyNs_ = lastHeardNs_.load(std::memory_order_relaxed);  // this read's time
        }
      }
    } catch (const ProtocolError&) {
      throw;
    } catch (const std::exception& e) {
      throw ProtocolError(fmt::format("the emit was refused: {}", e.what()), offending(child));
    }
    anchors_.clear();
  }

  // A value the engine cannot carry fails just this tuple: the tuples it was anchored to fail
  // (so the spout replays them), the error is reported, and the child goes on.
  void refusePoisoned(ShellMsg& m) {
    std::string report =
        fmt::format("{}: an emitted tuple cannot be carried: {}; failing its {} anchor(s)",
                    setup_.label(), m.poison, anchors_.size());
    spdlog::error("{}", report);
    collector_.reportError(report);
    for (const Tuple& t : anchors_) collector_.fail(t);
    anchors_.clear();
    if (!(m.task && *m.task != 0) && m.needTaskIds) {
      setup_.serializer->writeTaskIds(replies_, TaskIds{});
      lastReplyNs_ = lastHeardNs_.load(std::memory_order_relaxed);  // this read's time
    }
  }

  void ackOrFail(ShellChild& child, ShellMsg& m, bool ack) {
    const char* what = ack ? "ack" : "fail";
    ++acksRead_;
    if (!m.hasId) throw ProtocolError(fmt::format("'{}' without 'id'", what), offending(child));
    // A string id (every client's) is parsed in place: a copy would allocate per ack.
    auto id = m.id.isString() ? parseId(m.id.asString()) : parseId(tupleIdText(m.id));
    Tuple t;
    bool found = false;
    bool expired = false;
    if (id) {
      std::lock_guard lock(mu_);
      anchorCache_.forget(*id);
      auto it = pending_.find(*id);
      if (it != pending_.end()) {
        found = true;
        t = std::move(it->second.tuple);
        if (!it->second.tick) {
          --inFlight_;
          ++leftWindow_;
          if (waiters_ && (inFlight_ == lowWater_ || monotonicNs() < eagerUntilNs_)) {
            windowCv_.notify_one();
          }
        }
        pending_.erase(it);
      } else {
        expired = expired_.erase(*id) > 0;
      }
    }
    if (found) {
      if (ack) {
        collector_.ack(t);
      } else {
        collector_.fail(t);
      }
      return;
    }
    if (expired) return;  // timed out of the window already; its tree has failed
    throw ProtocolError(fmt::format("{} of tuple id '{}', which is not in flight (never "
                                    "delivered, already acked or failed, or a heartbeat)",
                                    what, tupleIdText(m.id)),
                        offending(child));
  }

  ShellSetup setup_;
  // Read only while executing, when the topology (and its plan) certainly exists.
  const std::atomic<bool>* topologyStopping_;
  OutputCollector& collector_;
  const size_t maxPending_;
  const int64_t messageTimeoutNs_;
  // A full window refills from here (a quarter of it, at most 64 tuples, below the top).
  const size_t lowWater_;
  const std::string defaultStream_ = kDefaultStream;

  std::mutex mu_;
  std::condition_variable windowCv_;
  bool stopping_ = false;
  bool running_ = false;  // a child is past its handshake: writes may go out
  int stdinFd_ = -1;
  std::unordered_map<int64_t, Pending> pending_;
  size_t inFlight_ = 0;  // entries of pending_ that are not ticks
  int waiters_ = 0;
  // Until then the executor is woken on every ack: a full window saw no ack for
  // kRefillWaitMs (a child holding tuples).
  int64_t eagerUntilNs_ = 0;
  uint64_t leftWindow_ = 0;  // tuples acked or failed by the child, ever
  std::deque<int64_t> tickIds_;
  std::unordered_set<int64_t> expired_;
  std::deque<int64_t> expiredOrder_;
  std::string current_;  // being written; currentOff_ bytes are out
  size_t currentOff_ = 0;
  std::string urgent_;            // task ids and heartbeats: before tuples
  std::string normal_;            // tuples
  bool flushAtDrainEnd_ = false;  // normal_ waits for the executor's drain to end
  std::string replies_;           // task-id replies to the read being dispatched (reader only)
  bool readerWriting_ = false;    // the reader writes current_ without mu_ (flushFromReader)
  // Entries of pending_ the executor thread removed (timeouts, old ticks), ever: a change tells
  // the reader its AnchorCache may hold a tuple no longer in flight.
  std::atomic<uint64_t> executorErasures_{0};

  uint64_t idBase_ = 0;
  std::atomic<uint64_t> seq_{0};
  std::atomic<int> childPid_{0};
  int stopFd_ = -1;  // readable once stop() was called
  int wakeFd_ = -1;  // the executor left output for the reader thread to finish

  // Reader thread only (and start(), before it runs).
  std::unique_ptr<ShellChild> child_;
  std::atomic<int64_t> lastHeardNs_{0};
  int crashes_ = 0;
  int64_t lastCrashNs_ = 0;
  int64_t backoffMs_ = 0;
  ShellMsg msg_;
  std::vector<Tuple> anchors_;
  AnchorCache anchorCache_;
  int64_t lastReadNs_ = 0;               // when the child's output was last read
  int64_t lastReplyNs_ = INT64_MIN / 2;  // when a task-id reply last went to the child
  size_t acksRead_ = 0;                  // acks and fails in the current read
  std::thread io_;
};

}  // namespace internal

namespace {

ShellCommand commandWithStreams(std::vector<std::string> command,
                                std::map<std::string, Fields> streams) {
  ShellCommand spec;
  spec.command = std::move(command);
  for (auto& [id, fields] : streams) spec.streams[id] = StreamInfo{std::move(fields), false};
  return spec;
}

}  // namespace

ShellBolt::ShellBolt(std::vector<std::string> command, Fields outputFields)
    : ShellBolt(
          commandWithStreams(std::move(command), {{kDefaultStream, std::move(outputFields)}})) {}

ShellBolt::ShellBolt(std::vector<std::string> command, std::map<std::string, Fields> streams)
    : ShellBolt(commandWithStreams(std::move(command), std::move(streams))) {}

ShellBolt::ShellBolt(ShellCommand spec) : spec_(std::move(spec)) {
  if (spec_.command.empty()) throw IllegalArgumentException("ShellBolt: the command is empty");
}

ShellBolt::ShellBolt(const ShellBolt& other)
    : IRichBolt(other), spec_(other.spec_), componentConf_(other.componentConf_) {}

ShellBolt::~ShellBolt() = default;

ShellBolt& ShellBolt::setCwd(std::string dir) {
  spec_.cwd = std::move(dir);
  return *this;
}

ShellBolt& ShellBolt::setEnv(std::map<std::string, std::string> env) {
  spec_.env = std::move(env);
  return *this;
}

ShellBolt& ShellBolt::declareStream(const std::string& streamId, Fields fields, bool direct) {
  spec_.streams[streamId] = StreamInfo{std::move(fields), direct};
  return *this;
}

ShellBolt& ShellBolt::setComponentConfiguration(Map conf) {
  componentConf_ = std::move(conf);
  return *this;
}

void ShellBolt::prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) {
  core_.reset();
  auto core = std::make_unique<internal::ShellBoltCore>(spec_, conf, context, collector);
  core->start();
  core_ = std::move(core);
}

void ShellBolt::execute(const Tuple& input) {
  if (!core_) throw SquallError("ShellBolt::execute before prepare");
  core_->execute(input);
}

void ShellBolt::cleanup() {
  core_.reset();
}

void ShellBolt::declareOutputFields(OutputFieldsDeclarer& declarer) {
  internal::declareShellStreams(spec_, declarer);
}

int ShellBolt::childPid() const {
  return core_ ? core_->childPid() : 0;
}

// Static libraries keep an object file only when something references it; this one holds
// ShellBolt, so a program using ShellBolt gets the registrations too. Touching spdlog's
// registry here also builds it before any thread exists: otherwise the first log line of an
// executor thread may race with the main thread building it (libspdlog's own initialisation).
static const bool registered [[maybe_unused]] =
    (registerMultilangComponents(), spdlog::default_logger_raw(), true);

}  // namespace squall
