// Storm's stream features across 2 and 3 workers of one topology in this process, connected
// over TCP loopback by their real transports: named streams (each bolt gets only the streams it
// subscribed to), direct emits to tasks in other workers (each tuple reaches exactly the task
// it was sent to), tick tuples in every worker, and acking through all of it (every message id
// acked exactly once at the spout).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "free_port.h"
#include "squall/component_registry.h"
#include "squall/components.h"
#include "squall/topology_builder.h"
#include "squall/topology_context.h"
#include "worker/assignment.h"
#include "worker/handshake_auth.h"
#include "worker/worker.h"

using namespace squall;
using namespace squall::worker;
using Clock = std::chrono::steady_clock;

namespace {

struct Received {
  std::string component;
  int task;
  std::string sourceComponent;
  std::string stream;
  int64_t id;
};

struct Shared {
  std::mutex mu;
  std::multiset<int64_t> acked;
  std::vector<Received> received;
  std::map<int, int> ticks;                     // ticker task -> tick tuples
  std::map<int, std::set<int64_t>> directSent;  // target task -> ids the router sent it
};
Shared* shared = nullptr;

// Ids 0..n-1, reliably: even ids on stream "evens", odd ids on "odds"; replays failures.
class TwoStreamSpout : public BaseRichSpout {
 public:
  explicit TwoStreamSpout(const Values& args) : n_(args.at(0).asInt()) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { c_ = &c; }
  void nextTuple() override {
    int64_t id;
    if (!replay_.empty()) {
      id = replay_.back();
      replay_.pop_back();
    } else if (next_ < n_) {
      id = next_++;
    } else {
      return;
    }
    c_->emit(id % 2 == 0 ? "evens" : "odds", Values{id}, Value(id));
  }
  void ack(const Value& id) override {
    std::lock_guard lock(shared->mu);
    shared->acked.insert(id.asInt());
  }
  void fail(const Value& id) override { replay_.push_back(id.asInt()); }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declareStream("evens", Fields{"id"});
    d.declareStream("odds", Fields{"id"});
  }

 private:
  int64_t n_;
  int64_t next_ = 0;
  std::vector<int64_t> replay_;
  SpoutOutputCollector* c_ = nullptr;
};

// Records what it receives (ticks apart), acks it.
class SinkBolt : public BaseRichBolt {
 public:
  explicit SinkBolt(const Values&) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    task_ = ctx.getThisTaskId();
    component_ = ctx.getThisComponentId();
  }
  void execute(const Tuple& t) override {
    std::lock_guard lock(shared->mu);
    if (t.getSourceComponent() == "__system" && t.getSourceStreamId() == "__tick") {
      ++shared->ticks[task_];
      return;
    }
    shared->received.push_back(
        {component_, task_, t.getSourceComponent(), t.getSourceStreamId(), t.getLong(0)});
    c_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* c_ = nullptr;
  int task_ = 0;
  std::string component_;
};

// Sends each id, anchored, straight to task (id mod k) of "direct" on its direct stream.
class RouterBolt : public BaseRichBolt {
 public:
  explicit RouterBolt(const Values&) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    targets_ = ctx.getComponentTasks("direct");
  }
  void execute(const Tuple& t) override {
    int64_t id = t.getLong(0);
    int target = targets_[static_cast<size_t>(id) % targets_.size()];
    {
      std::lock_guard lock(shared->mu);
      shared->directSent[target].insert(id);
    }
    c_->emitDirect(target, "routed", t, Values{id});
    c_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declareStream("routed", /*direct=*/true, Fields{"id"});
  }

 private:
  OutputCollector* c_ = nullptr;
  std::vector<int> targets_;
};

SQUALL_REGISTER_COMPONENT_AS(TwoStreamSpout, "test.TwoStreamSpout");
SQUALL_REGISTER_COMPONENT_AS(SinkBolt, "test.SinkBolt");
SQUALL_REGISTER_COMPONENT_AS(RouterBolt, "test.RouterBolt");

using squall::testing::freePort;

template <class F>
bool waitFor(F&& done, double secs) {
  auto end = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(secs * 1000));
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

constexpr int64_t kIds = 600;

// evens -> "even" (shuffle), odds -> "odd" (fields), both -> "router" -> direct -> "direct";
// "ticker" takes the odds and ticks every second. Executors dealt by Storm's even scheduler.
class WorkerStreams : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    shared = &shared_;
    int n = GetParam();
    TopologyBuilder tb;
    tb.setSpout("seq", ComponentSpec{"test.TwoStreamSpout", Values{Value(kIds)}}, 1);
    tb.setBolt("even", ComponentSpec{"test.SinkBolt"}, 2).shuffleGrouping("seq", "evens");
    tb.setBolt("odd", ComponentSpec{"test.SinkBolt"}, 2)
        .fieldsGrouping("seq", "odds", Fields{"id"});
    tb.setBolt("router", ComponentSpec{"test.RouterBolt"}, 2)
        .shuffleGrouping("seq", "evens")
        .shuffleGrouping("seq", "odds");
    tb.setBolt("direct", ComponentSpec{"test.SinkBolt"}, 3).directGrouping("router", "routed");
    tb.setBolt("ticker", ComponentSpec{"test.SinkBolt"}, 3)
        .shuffleGrouping("seq", "odds")
        .addConfiguration(Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1);
    topology_ = tb.createTopology();
    conf_.set(Config::TOPOLOGY_WORKERS, n);
    conf_.set(Config::TOPOLOGY_MAX_SPOUT_PENDING, 200);
    // What is dropped while the workers connect to each other is replayed at this timeout.
    conf_.set(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS, 10);
    auto plan = internal::TopologyPlan::build("streams", "streams-1-1", conf_, topology_);
    assignment_.topologyId = "streams-1-1";
    assignment_.secret = newSecret();
    for (int i = 0; i < n; ++i) assignment_.workers.push_back({"127.0.0.1", freePort()});
    assignment_.executorWorker = evenSchedule(*plan, n);
    for (const auto& [id, cp] : plan->components) {
      for (const auto& ep : cp.executors) {
        for (int t = ep.startTask; t <= ep.endTask; ++t) {
          workerOfTask_[t] = assignment_.workerOf(ep.startTask);
        }
      }
    }
    workers_.resize(static_cast<size_t>(n));
    std::vector<std::thread> starting;
    for (int i = 0; i < n; ++i) {
      starting.emplace_back([this, i] {
        auto w = std::make_unique<Worker>(assignment_, i, "streams", conf_, topology_);
        w->start(10);
        workers_[static_cast<size_t>(i)] = std::move(w);
      });
    }
    for (auto& t : starting) t.join();
  }
  void TearDown() override {
    for (auto& w : workers_) {
      if (w) w->stop(0);
    }
    workers_.clear();
    shared = nullptr;
  }
  size_t ackedIds() {
    std::lock_guard lock(shared_.mu);
    return std::set<int64_t>(shared_.acked.begin(), shared_.acked.end()).size();
  }

  Shared shared_;
  StormTopology topology_;
  Config conf_;
  Assignment assignment_;
  std::map<int, int> workerOfTask_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace

TEST_P(WorkerStreams, NamedStreamsAndDirectEmitsAcrossWorkers) {
  ASSERT_TRUE(waitFor([&] { return ackedIds() >= static_cast<size_t>(kIds); }, 60))
      << "acked " << ackedIds();
  for (auto& w : workers_) w->stop(0);
  uint64_t sent = 0;
  for (auto& w : workers_) sent += w->stats().sentTuples;
  EXPECT_GT(sent, 0u) << "nothing crossed between the workers";

  std::lock_guard lock(shared_.mu);
  EXPECT_EQ(shared_.acked.size(), static_cast<size_t>(kIds)) << "an id was acked twice";
  std::map<std::string, std::multiset<int64_t>> ids;
  std::map<std::string, std::set<int>> workersOf;
  for (const Received& r : shared_.received) {
    ids[r.component].insert(r.id);
    workersOf[r.component].insert(workerOfTask_.at(r.task));
    // Named streams: each bolt gets only what it subscribed to.
    if (r.component == "even") {
      EXPECT_TRUE(r.sourceComponent == "seq" && r.stream == "evens" && r.id % 2 == 0) << r.id;
    } else if (r.component == "odd" || r.component == "ticker") {
      EXPECT_TRUE(r.sourceComponent == "seq" && r.stream == "odds" && r.id % 2 == 1) << r.id;
    } else if (r.component == "direct") {
      EXPECT_TRUE(r.sourceComponent == "router" && r.stream == "routed") << r.stream;
      // Direct: exactly the task the router chose.
      EXPECT_TRUE(shared_.directSent[r.task].count(r.id))
          << "id " << r.id << " reached task " << r.task;
    }
  }
  // Every id reached each bolt that subscribed to it. A bolt may see an id twice: a tuple
  // sent while two workers were still connecting to each other is dropped and the spout
  // replays its tree at the message timeout (at least once); the spout's acks stay exact.
  auto distinct = [&](const std::string& c) {
    return std::set<int64_t>(ids[c].begin(), ids[c].end()).size();
  };
  EXPECT_EQ(distinct("even"), static_cast<size_t>(kIds / 2));
  EXPECT_EQ(distinct("odd"), static_cast<size_t>(kIds / 2));
  EXPECT_EQ(distinct("direct"), static_cast<size_t>(kIds));
  // The direct targets live in every worker (three tasks dealt round-robin), and so do the
  // tasks that received them.
  std::set<int> targetWorkers;
  for (const auto& [task, sentIds] : shared_.directSent) {
    targetWorkers.insert(workerOfTask_.at(task));
  }
  EXPECT_GE(targetWorkers.size(), 2u);
  EXPECT_EQ(workersOf["direct"], targetWorkers);
}

TEST_P(WorkerStreams, TickTuplesReachTheTickingBoltInEveryWorker) {
  std::set<int> tickerTasks;
  std::set<int> tickerWorkers;
  auto plan = internal::TopologyPlan::build("streams", "streams-1-1", conf_, topology_);
  for (const auto& ep : plan->component("ticker").executors) {
    for (int t = ep.startTask; t <= ep.endTask; ++t) {
      tickerTasks.insert(t);
      tickerWorkers.insert(workerOfTask_.at(t));
    }
  }
  ASSERT_EQ(tickerWorkers.size(), static_cast<size_t>(GetParam()));
  // Every ticking task, in every worker, gets tick tuples (at least two: they keep coming),
  // and only it: the others set no tick frequency.
  ASSERT_TRUE(waitFor(
      [&] {
        std::lock_guard lock(shared_.mu);
        for (int t : tickerTasks) {
          if (shared_.ticks[t] < 2) return false;
        }
        return true;
      },
      20));
  ASSERT_TRUE(waitFor([&] { return ackedIds() >= static_cast<size_t>(kIds); }, 60));
  std::lock_guard lock(shared_.mu);
  for (const auto& [task, n] : shared_.ticks) {
    EXPECT_TRUE(tickerTasks.count(task)) << "task " << task << " got " << n << " ticks";
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, WorkerStreams, ::testing::Values(2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "Workers"; });
