// At-least-once processing: tuple trees through fan-out, joins (multi-anchoring), failures
// and dropped tuples; anchored versus unanchored emits; acking from a bolt's own thread;
// acking switched off (topology.acker.executors = 0). Storm reference: storm.md 3.1-3.4.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "acking_support.h"

using namespace squall;
using namespace squall::testing;
using namespace std::chrono_literals;

namespace {

// The big one: 2000 ids through split (x3) -> two parallel bolts -> a join anchored to both
// copies -> a sink, each bolt failing or dropping 10% of its input on the first attempts. The
// spout replays every failed or timed-out emission. In the end every id is acked exactly
// once, no emission ends twice, nothing unknown is acked, and no tree is reported complete
// before the sink acked all three of its parts.
TEST(AtLeastOnce, EveryIdAckedExactlyOnceThroughFanOutJoinFailuresAndDrops) {
  const int kIds = 2000;
  auto ledger = std::make_shared<Ledger>(kIds);
  Config conf;
  conf.setMessageTimeoutSecs(1);
  conf.setNumAckers(2);
  LocalCluster cluster;
  cluster.submitTopology("ledger", conf, ledgerTopology(ledger, 0.10));
  ASSERT_TRUE(waitReady(cluster, "ledger"));

  ASSERT_TRUE(waitFor([&] { return static_cast<int>(ledger->ackedCount()) == kIds; }, 60s))
      << "acked " << ledger->ackedCount() << " of " << kIds;
  expectExactlyOnceAccounting(*ledger);
  {
    std::lock_guard lock(ledger->mu);
    EXPECT_EQ(ledger->earlyAcks, 0) << "a tree was reported complete before its sink acked it";
    // Faults really happened, and each failed or timed-out emission was replayed.
    EXPECT_GT(ledger->fails, 0);
    EXPECT_EQ(ledger->emits, kIds + ledger->fails);
    std::printf("ledger: %lld emits, %lld fails, injected %lld fails and %lld drops\n",
                static_cast<long long>(ledger->emits), static_cast<long long>(ledger->fails),
                static_cast<long long>(ledger->injectedFails.load()),
                static_cast<long long>(ledger->injectedDrops.load()));
  }
  EXPECT_GT(ledger->injectedDrops.load(), 0);
  EXPECT_GT(ledger->injectedFails.load(), 0);

  // The spout's own counters agree with what its ack() and fail() saw.
  auto spout = statsOf(cluster, "ledger", "spout");
  ASSERT_EQ(spout.size(), 1u);
  const auto& s = spout.begin()->second->spoutStreams.at("default");
  std::lock_guard lock(ledger->mu);
  EXPECT_EQ(static_cast<int64_t>(s.acked.get()), ledger->acks);
  EXPECT_EQ(static_cast<int64_t>(s.failed.get()), ledger->fails);
}

// A bolt failing its input fails the tree at once, well before the message timeout.
TEST(AtLeastOnce, ExplicitFailReachesTheSpoutBeforeTheTimeout) {
  struct State {
    std::mutex mu;
    std::vector<Clock::time_point> emitted, failed;
    std::atomic<int> acked{0};
  };
  struct Spout : BaseRichSpout {
    std::shared_ptr<State> st;
    SpoutOutputCollector* out = nullptr;
    int next = 0;
    explicit Spout(std::shared_ptr<State> s) : st(std::move(s)) {}
    void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out = &c; }
    void nextTuple() override {
      if (next == 5) return;
      {
        std::lock_guard lock(st->mu);
        st->emitted.push_back(Clock::now());
      }
      out->emit(Values{next}, Value(next));
      ++next;
    }
    void ack(const Value&) override { st->acked.fetch_add(1); }
    void fail(const Value&) override {
      std::lock_guard lock(st->mu);
      st->failed.push_back(Clock::now());
    }
    void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }
  };
  struct Failer : BaseRichBolt {
    OutputCollector* out = nullptr;
    void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out = &c; }
    void execute(const Tuple& in) override { out->fail(in); }
    void declareOutputFields(OutputFieldsDeclarer&) override {}
  };
  auto st = std::make_shared<State>();
  TopologyBuilder b;
  b.setSpout("spout", Spout(st));
  b.setBolt("failer", Failer()).shuffleGrouping("spout");
  Config conf;
  conf.setMessageTimeoutSecs(30);
  LocalCluster cluster;
  cluster.submitTopology("fail-fast", conf, b.createTopology());
  ASSERT_TRUE(waitFor(
      [&] {
        std::lock_guard lock(st->mu);
        return st->failed.size() == 5;
      },
      10s));
  std::lock_guard lock(st->mu);
  for (size_t i = 0; i < 5; ++i) EXPECT_LT(msBetween(st->emitted[i], st->failed[i]), 10'000);
  EXPECT_EQ(st->acked.load(), 0);
}

// Shared between the relay/holder bolts below and the test.
struct HoldState {
  std::mutex mu;
  std::vector<Tuple> held;
  OutputCollector* holderOut = nullptr;
  std::atomic<int> relayAcked{0};
  std::atomic<int> spoutAcked{0};
  std::atomic<int> spoutFailed{0};
};

class OneShotSpout : public BaseRichSpout {
 public:
  explicit OneShotSpout(std::shared_ptr<HoldState> s) : st_(std::move(s)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    if (done_) return;
    done_ = true;
    out_->emit(Values{"root"}, Value("msg-1"));
  }
  void ack(const Value& id) override {
    EXPECT_EQ(id.asString(), "msg-1");
    st_->spoutAcked.fetch_add(1);
  }
  void fail(const Value&) override { st_->spoutFailed.fetch_add(1); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"word"}); }

 private:
  std::shared_ptr<HoldState> st_;
  SpoutOutputCollector* out_ = nullptr;
  bool done_ = false;
};

// Emits one child per input, anchored or not, then acks the input.
class RelayBolt : public BaseRichBolt {
 public:
  RelayBolt(std::shared_ptr<HoldState> s, bool anchored) : st_(std::move(s)), anchored_(anchored) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out_ = &c; }
  void execute(const Tuple& in) override {
    if (anchored_) {
      out_->emit(in, Values{in.getString(0) + "-child"});
    } else {
      out_->emit(Values{in.getString(0) + "-child"});
    }
    out_->ack(in);
    st_->relayAcked.fetch_add(1);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"word"}); }

 private:
  std::shared_ptr<HoldState> st_;
  bool anchored_;
  OutputCollector* out_ = nullptr;
};

// Keeps every input, never acks; the test may ack them later through `holderOut`.
using HolderBolt = HoldingBolt<HoldState, &HoldState::holderOut>;

StormTopology relayTopology(const std::shared_ptr<HoldState>& st, bool anchored) {
  TopologyBuilder b;
  b.setSpout("spout", OneShotSpout(st));
  b.setBolt("relay", RelayBolt(st, anchored)).shuffleGrouping("spout");
  b.setBolt("holder", HolderBolt(st)).shuffleGrouping("relay");
  return b.createTopology();
}

// An unanchored child is not part of the tree: the spout tuple completes when the relay acks
// its input, although the child is never acked.
TEST(AtLeastOnce, UnanchoredChildIsNotTracked) {
  auto st = std::make_shared<HoldState>();
  Config conf;
  conf.setMessageTimeoutSecs(30);  // a completion seen below cannot be a timeout
  LocalCluster cluster;
  cluster.submitTopology("unanchored", conf, relayTopology(st, false));
  // The tree completes once the relay acks its input, which can be before the holder has
  // received the unanchored child: wait for both.
  ASSERT_TRUE(waitFor(
      [&] {
        std::lock_guard lock(st->mu);
        return st->spoutAcked.load() == 1 && !st->held.empty();
      },
      10s));
  std::lock_guard lock(st->mu);
  ASSERT_EQ(st->held.size(), 1u);
  EXPECT_TRUE(st->held[0].getMessageId().empty());
  EXPECT_EQ(st->spoutFailed.load(), 0);
}

// An anchored child must be acked too: the tree stays open while the holder keeps the child,
// and completes when it acks it (here from the test's thread: the bolt collector may be used
// from any thread).
TEST(AtLeastOnce, AnchoredChildMustBeAckedForCompletion) {
  auto st = std::make_shared<HoldState>();
  Config conf;
  conf.setMessageTimeoutSecs(30);
  LocalCluster cluster;
  cluster.submitTopology("anchored", conf, relayTopology(st, true));
  ASSERT_TRUE(waitFor(
      [&] {
        std::lock_guard lock(st->mu);
        return st->held.size() == 1 && st->relayAcked.load() == 1;
      },
      10s));
  {
    std::lock_guard lock(st->mu);
    ASSERT_FALSE(st->held[0].getMessageId().empty());
    EXPECT_EQ(st->held[0].getMessageId().anchors().size(), 1u);  // one root
  }
  // The relay's ack has been sent; give the acker a bounded window to (wrongly) complete.
  EXPECT_FALSE(waitFor([&] { return st->spoutAcked.load() > 0; }, 500ms));
  {
    std::lock_guard lock(st->mu);
    st->holderOut->ack(st->held[0]);
  }
  EXPECT_TRUE(waitFor([&] { return st->spoutAcked.load() == 1; }, 10s));
  EXPECT_EQ(st->spoutFailed.load(), 0);
}

// Emitting anchored to a tuple that is not part of any tree (an unreliable spout emit)
// produces an untracked tuple.
TEST(AtLeastOnce, AnchoringToAnUnreliableTupleYieldsAnUnanchoredChild) {
  struct Spout : BaseRichSpout {
    SpoutOutputCollector* out = nullptr;
    bool done = false;
    void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out = &c; }
    void nextTuple() override {
      if (done) return;
      done = true;
      out->emit(Values{"unreliable"});
    }
    void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"word"}); }
  };
  auto st = std::make_shared<HoldState>();
  TopologyBuilder b;
  b.setSpout("spout", Spout());
  b.setBolt("relay", RelayBolt(st, true)).shuffleGrouping("spout");
  b.setBolt("holder", HolderBolt(st)).shuffleGrouping("relay");
  LocalCluster cluster;
  cluster.submitTopology("unreliable-anchor", Config(), b.createTopology());
  ASSERT_TRUE(waitFor(
      [&] {
        std::lock_guard lock(st->mu);
        return st->held.size() == 1;
      },
      10s));
  std::lock_guard lock(st->mu);
  EXPECT_TRUE(st->held[0].getMessageId().empty());
}

// A reliable emit that no task consumes roots an empty tree: the acker completes it at once.
TEST(AtLeastOnce, ReliableEmitWithNoConsumerIsAckedAtOnce) {
  struct State {
    std::atomic<int> acked{0}, failed{0};
    std::atomic<bool> noTargets{false};
  };
  struct Spout : BaseRichSpout {
    std::shared_ptr<State> st;
    SpoutOutputCollector* out = nullptr;
    bool done = false;
    explicit Spout(std::shared_ptr<State> s) : st(std::move(s)) {}
    void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out = &c; }
    void nextTuple() override {
      if (done) return;
      done = true;
      st->noTargets = out->emit("nobody", Values{1}, Value(7)).empty();
    }
    void ack(const Value& id) override {
      EXPECT_EQ(id.asInt(), 7);
      st->acked.fetch_add(1);
    }
    void fail(const Value&) override { st->failed.fetch_add(1); }
    void declareOutputFields(OutputFieldsDeclarer& d) override {
      d.declare(Fields{"n"});
      d.declareStream("nobody", Fields{"n"});
    }
  };
  struct Sink : BaseRichBolt {
    void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
    void execute(const Tuple&) override {}
    void declareOutputFields(OutputFieldsDeclarer&) override {}
  };
  auto st = std::make_shared<State>();
  TopologyBuilder b;
  b.setSpout("spout", Spout(st));
  b.setBolt("sink", Sink()).shuffleGrouping("spout");
  Config conf;
  conf.setMessageTimeoutSecs(30);
  LocalCluster cluster;
  cluster.submitTopology("no-consumer", conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return st->acked.load() == 1; }, 10s));
  EXPECT_TRUE(st->noTargets.load());
  EXPECT_EQ(st->failed.load(), 0);
}

// Storm's OutputCollector is thread-safe: a bolt may hand its inputs to its own thread and ack
// (and emit anchored children) there, while its executor keeps acking others.
TEST(AtLeastOnce, BoltMayAckAndAnchorFromItsOwnThread) {
  const int kIds = 400;
  auto ledger = std::make_shared<Ledger>(kIds);
  ledger->partsPerTree = 1;

  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Tuple> work;
    bool stop = false;
    std::thread thread;
  };
  // Acks odd ids on the executor thread; emits and acks even ids on its own thread.
  class AsyncBolt : public BaseRichBolt {
   public:
    void prepare(const Config&, TopologyContext&, OutputCollector& c) override {
      out_ = &c;
      w_ = std::make_shared<Worker>();
      w_->thread = std::thread([w = w_, out = out_] {
        std::unique_lock lock(w->mu);
        while (true) {
          w->cv.wait(lock, [&] { return w->stop || !w->work.empty(); });
          if (w->work.empty()) return;
          Tuple t = std::move(w->work.front());
          w->work.pop_front();
          lock.unlock();
          out->emit(t, Values{t.getLong(0), t.getLong(1), 0});
          out->ack(t);
          t = Tuple();
          lock.lock();
        }
      });
    }
    void execute(const Tuple& in) override {
      if (in.getLong(0) % 2 == 1) {
        out_->emit(in, Values{in.getLong(0), in.getLong(1), 0});
        out_->ack(in);
        return;
      }
      {
        std::lock_guard lock(w_->mu);
        w_->work.push_back(in);
      }
      w_->cv.notify_one();
    }
    void cleanup() override { stopWorker(); }
    ~AsyncBolt() override { stopWorker(); }
    void stopWorker() {
      if (!w_ || !w_->thread.joinable()) return;
      {
        std::lock_guard lock(w_->mu);
        w_->stop = true;
      }
      w_->cv.notify_one();
      w_->thread.join();
    }
    void declareOutputFields(OutputFieldsDeclarer& d) override {
      d.declare(Fields{"id", "attempt", "part"});
    }

   private:
    OutputCollector* out_ = nullptr;
    std::shared_ptr<Worker> w_;
  };

  TopologyBuilder b;
  b.setSpout("spout", LedgerSpout(ledger));
  b.setBolt("async", AsyncBolt()).shuffleGrouping("spout");
  b.setBolt("sink", SinkBolt(ledger, 0.0)).shuffleGrouping("async");
  Config conf;
  conf.setMessageTimeoutSecs(30);  // any failure would be a bug, and would show as a hang
  LocalCluster cluster;
  cluster.submitTopology("async-ack", conf, b.createTopology());
  ASSERT_TRUE(waitReady(cluster, "async-ack"));
  ASSERT_TRUE(waitFor([&] { return static_cast<int>(ledger->ackedCount()) == kIds; }, 30s))
      << "acked " << ledger->ackedCount() << " of " << kIds;
  expectExactlyOnceAccounting(*ledger);
  std::lock_guard lock(ledger->mu);
  EXPECT_EQ(ledger->fails, 0);
  EXPECT_EQ(ledger->earlyAcks, 0);
}

// topology.acker.executors = 0: no acker, a reliable emit is acked inside emit() (before it
// returns), bolt ack/fail/resetTimeout do nothing, and max spout pending has no effect.
TEST(AckingDisabled, ReliableEmitIsAckedInsideEmit) {
  struct State {
    std::atomic<int> acked{0}, ackedInsideEmit{0}, failed{0}, boltExecuted{0};
    std::atomic<int64_t> maxPendingSeen{0};
    std::mutex mu;
    std::vector<std::string> componentIds, spoutStreams;
    size_t ackerTasks = 99;
  };
  struct Spout : BaseRichSpout {
    std::shared_ptr<State> st;
    SpoutOutputCollector* out = nullptr;
    int next = 0;
    bool inEmit = false;
    explicit Spout(std::shared_ptr<State> s) : st(std::move(s)) {}
    void open(const Config&, TopologyContext& ctx, SpoutOutputCollector& c) override {
      out = &c;
      std::lock_guard lock(st->mu);
      st->componentIds = ctx.getComponentIds();
      st->spoutStreams = ctx.getThisStreams();
      st->ackerTasks = ctx.getComponentTasks("__acker").size();
    }
    void nextTuple() override {
      if (next == 50) return;
      inEmit = true;
      out->emit(Values{next}, Value(next));
      inEmit = false;
      ++next;
      int64_t p = out->getPendingCount();
      if (p > st->maxPendingSeen.load()) st->maxPendingSeen = p;
    }
    void ack(const Value&) override {
      st->acked.fetch_add(1);
      if (inEmit) st->ackedInsideEmit.fetch_add(1);
    }
    void fail(const Value&) override { st->failed.fetch_add(1); }
    void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }
  };
  // Fails, resets and acks everything: all no-ops without ackers.
  struct Bolt : BaseRichBolt {
    std::shared_ptr<State> st;
    OutputCollector* out = nullptr;
    explicit Bolt(std::shared_ptr<State> s) : st(std::move(s)) {}
    void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out = &c; }
    void execute(const Tuple& in) override {
      EXPECT_TRUE(in.getMessageId().empty());
      out->resetTimeout(in);
      out->fail(in);
      out->ack(in);
      st->boltExecuted.fetch_add(1);
    }
    void declareOutputFields(OutputFieldsDeclarer&) override {}
  };
  auto st = std::make_shared<State>();
  TopologyBuilder b;
  b.setSpout("spout", Spout(st)).setMaxSpoutPending(2);
  b.setBolt("bolt", Bolt(st)).shuffleGrouping("spout");
  Config conf;
  conf.setNumAckers(0);
  conf.setMessageTimeoutSecs(1);
  LocalCluster cluster;
  cluster.submitTopology("no-ackers", conf, b.createTopology());
  // All 50 are emitted although max pending is 2: nothing stays pending without ackers.
  ASSERT_TRUE(waitFor([&] { return st->boltExecuted.load() == 50; }, 10s));
  EXPECT_EQ(st->acked.load(), 50);
  EXPECT_EQ(st->ackedInsideEmit.load(), 50);
  EXPECT_EQ(st->maxPendingSeen.load(), 0);
  // The bolt's fail() calls must not reach the spout; they would do so at once, but give them
  // a timeout's length (timeouts are off without ackers too).
  EXPECT_FALSE(waitFor([&] { return st->failed.load() > 0; }, 1500ms));

  std::lock_guard lock(st->mu);
  for (const auto& id : st->componentIds) EXPECT_NE(id, "__acker");
  for (const auto& s : st->spoutStreams) EXPECT_NE(s, "__ack_init");
  EXPECT_EQ(st->ackerTasks, 0u);
  auto spout = statsOf(cluster, "no-ackers", "spout");
  ASSERT_EQ(spout.size(), 1u);
  const auto& ss = spout.begin()->second->spoutStreams.at("default");
  EXPECT_EQ(ss.acked.get(), 50u);
  EXPECT_EQ(ss.completeLatency.samples.get(), 0u);  // no complete latency without ackers
}

}  // namespace
