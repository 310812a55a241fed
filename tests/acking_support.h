#pragma once
// Helpers for the at-least-once tests: reading a running topology's task stats and the
// process's resident memory, and the "ledger" topology used by the big acking tests: a
// reliable spout that replays what fails, and bolts that fail or drop a share of their input.
// Components share state with the test through a shared_ptr copied into every task.

#include <gtest/gtest.h>
#include <squall/squall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/local_cluster_impl.h"
#include "stats/task_stats.h"
#include "test_support.h"

namespace squall::testing {

using internal::TaskStats;
using Clock = std::chrono::steady_clock;

inline int64_t msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// Waits until every executor of `topology` has opened/prepared its tasks (after which their
// task lists, and the shape of their stats maps, are fixed).
inline bool waitReady(LocalCluster& cluster, const std::string& topology) {
  return waitFor([&] {
    auto* t = cluster.impl().find(topology);
    return t && t->ready();
  });
}

// The stats of every task of `component`, by task id. Valid while the topology runs.
inline std::map<int, const TaskStats*> statsOf(LocalCluster& cluster, const std::string& topology,
                                               const std::string& component) {
  std::map<int, const TaskStats*> out;
  auto* t = cluster.impl().find(topology);
  if (!t) return out;
  for (const auto& ex : t->executors()) {
    if (ex->plan().componentId != component) continue;
    for (auto [task, stats] : ex->taskStats()) out[task] = stats;
  }
  return out;
}

// Resident set size of this process, from /proc/self/statm.
inline int64_t residentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE) : -1;
}

// ---------------------------------------------------------------------------------------------
// The ledger topology.
//
// The spout emits ids 0..n-1 as [id, attempt] with message id attempt * kAttemptStride + id
// and replays an id whenever an emission of it fails. The ledger records how every emission
// ends; a second ending of the same emission, an ack for something never emitted, or an id
// acked twice is a violation.

inline constexpr int64_t kAttemptStride = 1'000'000;

struct Ledger {
  explicit Ledger(int ids) : n(ids) {
    for (int i = 0; i < ids; ++i) toEmit.push_back(i);
  }

  mutable std::mutex mu;
  const int n;
  std::deque<int> toEmit;                 // ids waiting for their next emission
  std::map<int, int> attempts;            // id -> emissions so far
  std::map<int64_t, char> outcome;        // message id -> 'p'ending, 'a'cked, 'f'ailed
  std::map<int, int> ackedIds;            // id -> acks
  std::map<int64_t, std::set<int>> sunk;  // message id -> parts the sink acked
  std::vector<std::string> violations;
  int64_t emits = 0, acks = 0, fails = 0;
  // Acks that arrived before the sink had acked all of the emission's parts: a tree reported
  // complete while some of it was unacked (only possible with XOR collisions).
  int64_t earlyAcks = 0;
  int partsPerTree = 3;

  std::atomic<int64_t> injectedFails{0};
  std::atomic<int64_t> injectedDrops{0};

  static int64_t msgId(int id, int attempt) { return attempt * kAttemptStride + id; }

  size_t ackedCount() const {
    std::lock_guard lock(mu);
    return ackedIds.size();
  }
  void violation(std::string what) { violations.push_back(std::move(what)); }
};

class LedgerSpout : public BaseRichSpout {
 public:
  explicit LedgerSpout(std::shared_ptr<Ledger> l) : ledger_(std::move(l)) {}

  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    int id, attempt;
    {
      std::lock_guard lock(ledger_->mu);
      if (ledger_->toEmit.empty()) return;
      id = ledger_->toEmit.front();
      ledger_->toEmit.pop_front();
      attempt = ledger_->attempts[id]++;
      ledger_->outcome[Ledger::msgId(id, attempt)] = 'p';
      ++ledger_->emits;
    }
    // Outside the lock: with acking off, ack() runs inside emit().
    out_->emit(Values{id, attempt}, Value(Ledger::msgId(id, attempt)));
  }
  void ack(const Value& msgId) override {
    std::lock_guard lock(ledger_->mu);
    int64_t m = msgId.asInt();
    int id = static_cast<int>(m % kAttemptStride);
    ++ledger_->acks;
    auto it = ledger_->outcome.find(m);
    if (it == ledger_->outcome.end()) {
      ledger_->violation("ack for message id " + std::to_string(m) + ", never emitted");
      return;
    }
    if (it->second != 'p') {
      ledger_->violation("ack for message id " + std::to_string(m) + ", already " +
                         std::string(1, it->second));
    }
    it->second = 'a';
    if (++ledger_->ackedIds[id] > 1)
      ledger_->violation("id " + std::to_string(id) + " acked twice");
    auto s = ledger_->sunk.find(m);
    if (s == ledger_->sunk.end() || static_cast<int>(s->second.size()) < ledger_->partsPerTree) {
      ++ledger_->earlyAcks;
    }
  }
  void fail(const Value& msgId) override {
    std::lock_guard lock(ledger_->mu);
    int64_t m = msgId.asInt();
    ++ledger_->fails;
    auto it = ledger_->outcome.find(m);
    if (it == ledger_->outcome.end()) {
      ledger_->violation("fail for message id " + std::to_string(m) + ", never emitted");
      return;
    }
    if (it->second != 'p') {
      ledger_->violation("fail for message id " + std::to_string(m) + ", already " +
                         std::string(1, it->second));
    }
    it->second = 'f';
    ledger_->toEmit.push_back(static_cast<int>(m % kAttemptStride));
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id", "attempt"}); }

 private:
  std::shared_ptr<Ledger> ledger_;
  SpoutOutputCollector* out_ = nullptr;
};

// What a bolt does to one input besides its job: nothing, fail it, or drop it (neither ack
// nor fail, so only the timeout ends its tree). Fails are injected on the first two attempts
// of an id and drops on the first only, so replays converge within two timeouts.
enum class Fault { None, Fail, Drop };

class FaultInjector {
 public:
  FaultInjector(std::shared_ptr<Ledger> l, double rate) : ledger_(std::move(l)), rate_(rate) {}
  void seed(int taskId, uint32_t salt) { rng_.seed(static_cast<uint32_t>(taskId) * 7919u + salt); }
  Fault decide(int64_t attempt) {
    double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    if (r >= rate_ || attempt >= 2) return Fault::None;
    if (r < rate_ / 2 && attempt == 0) {
      ledger_->injectedDrops.fetch_add(1);
      return Fault::Drop;
    }
    ledger_->injectedFails.fetch_add(1);
    return Fault::Fail;
  }

 private:
  std::shared_ptr<Ledger> ledger_;
  double rate_;
  std::mt19937 rng_{1};
};

// [id, attempt] -> three tuples [id, attempt, part], anchored to the input.
class SplitBolt : public BaseRichBolt {
 public:
  SplitBolt(std::shared_ptr<Ledger> l, double faultRate) : faults_(std::move(l), faultRate) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
    out_ = &c;
    faults_.seed(ctx.getThisTaskId(), 1);
  }
  void execute(const Tuple& in) override {
    int64_t id = in.getLong(0), attempt = in.getLong(1);
    // Children are emitted whatever the fault: a dropped or failed input must hold back (or
    // fail) its tree even though everything downstream of it is acked.
    for (int part = 0; part < 3; ++part) out_->emit(in, Values{id, attempt, part});
    switch (faults_.decide(attempt)) {
      case Fault::None:
        out_->ack(in);
        break;
      case Fault::Fail:
        out_->fail(in);
        break;
      case Fault::Drop:
        break;
    }
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(Fields{"id", "attempt", "part"});
  }

 private:
  OutputCollector* out_ = nullptr;
  FaultInjector faults_;
};

// Passes [id, attempt, part] on, anchored.
class PassBolt : public BaseRichBolt {
 public:
  PassBolt(std::shared_ptr<Ledger> l, double faultRate, uint32_t salt)
      : faults_(std::move(l), faultRate), salt_(salt) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
    out_ = &c;
    faults_.seed(ctx.getThisTaskId(), salt_);
  }
  void execute(const Tuple& in) override {
    Fault f = faults_.decide(in.getLong(1));
    if (f == Fault::Drop) return;
    if (f == Fault::Fail) {
      out_->fail(in);
      return;
    }
    out_->emit(in, Values{in.getLong(0), in.getLong(1), in.getLong(2)});
    out_->ack(in);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(Fields{"id", "attempt", "part"});
  }

 private:
  OutputCollector* out_ = nullptr;
  FaultInjector faults_;
  uint32_t salt_;
};

// Joins the two copies of each [id, attempt, part] (one from each upstream bolt, fields
// grouped on all three) and emits one tuple anchored to both: multi-anchoring. A piece whose
// partner was failed or dropped upstream waits here forever; its tree times out.
class JoinBolt : public BaseRichBolt {
 public:
  JoinBolt(std::shared_ptr<Ledger> l, double faultRate) : faults_(std::move(l), faultRate) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
    out_ = &c;
    faults_.seed(ctx.getThisTaskId(), 3);
  }
  void execute(const Tuple& in) override {
    Fault f = faults_.decide(in.getLong(1));
    if (f == Fault::Drop) return;
    if (f == Fault::Fail) {
      out_->fail(in);
      return;
    }
    auto key = std::make_tuple(in.getLong(0), in.getLong(1), in.getLong(2));
    auto it = waiting_.find(key);
    if (it == waiting_.end()) {
      waiting_.emplace(key, in);
      return;
    }
    Tuple other = it->second;
    waiting_.erase(it);
    out_->emit({other, in}, Values{in.getLong(0), in.getLong(1), in.getLong(2)});
    out_->ack(other);
    out_->ack(in);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(Fields{"id", "attempt", "part"});
  }

 private:
  OutputCollector* out_ = nullptr;
  FaultInjector faults_;
  std::map<std::tuple<int64_t, int64_t, int64_t>, Tuple> waiting_;
};

// Records each part it acks in the ledger, before acking it.
class SinkBolt : public BaseRichBolt {
 public:
  SinkBolt(std::shared_ptr<Ledger> l, double faultRate)
      : ledger_(l), faults_(std::move(l), faultRate) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
    out_ = &c;
    faults_.seed(ctx.getThisTaskId(), 4);
  }
  void execute(const Tuple& in) override {
    int64_t attempt = in.getLong(1);
    Fault f = faults_.decide(attempt);
    if (f == Fault::Drop) return;
    if (f == Fault::Fail) {
      out_->fail(in);
      return;
    }
    {
      std::lock_guard lock(ledger_->mu);
      ledger_->sunk[Ledger::msgId(static_cast<int>(in.getLong(0)), static_cast<int>(attempt))]
          .insert(static_cast<int>(in.getLong(2)));
    }
    out_->ack(in);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::shared_ptr<Ledger> ledger_;
  OutputCollector* out_ = nullptr;
  FaultInjector faults_;
};

// spout -> split (x3 fan-out) -> {upper, lower} (each gets every part) -> join (fields on
// id, attempt, part; anchored to both copies) -> sink.
inline StormTopology ledgerTopology(const std::shared_ptr<Ledger>& ledger, double faultRate) {
  TopologyBuilder b;
  Fields key{"id", "attempt", "part"};
  b.setSpout("spout", LedgerSpout(ledger));
  b.setBolt("split", SplitBolt(ledger, faultRate), 2).shuffleGrouping("spout");
  b.setBolt("upper", PassBolt(ledger, faultRate, 11)).shuffleGrouping("split");
  b.setBolt("lower", PassBolt(ledger, faultRate, 12)).shuffleGrouping("split");
  b.setBolt("join", JoinBolt(ledger, faultRate), 2)
      .fieldsGrouping("upper", key)
      .fieldsGrouping("lower", key);
  b.setBolt("sink", SinkBolt(ledger, faultRate)).shuffleGrouping("join");
  return b.createTopology();
}

// Checks that hold whatever the acker's edge ids: every emission ended exactly once, every id
// was acked exactly once, nothing unknown was acked.
inline void expectExactlyOnceAccounting(const Ledger& l) {
  std::lock_guard lock(l.mu);
  EXPECT_TRUE(l.violations.empty())
      << l.violations.size()
      << " violations, first: " << (l.violations.empty() ? "" : l.violations.front());
  EXPECT_EQ(static_cast<int>(l.ackedIds.size()), l.n);
  for (int id = 0; id < l.n; ++id) {
    auto it = l.ackedIds.find(id);
    ASSERT_TRUE(it != l.ackedIds.end()) << "id " << id << " never acked";
    EXPECT_EQ(it->second, 1) << "id " << id;
  }
  EXPECT_EQ(l.emits, l.acks + l.fails) << "an emission ended twice or never";
  EXPECT_EQ(l.acks, l.n);
  for (const auto& [m, o] : l.outcome) EXPECT_NE(o, 'p') << "message id " << m << " still pending";
}

// Keeps every input and never acks; the test acks them later through the collector the bolt
// stores in `State::*Out`. `State` has `mu` and a `std::vector<Tuple> held`.
template <class State, OutputCollector* State::*Out>
class HoldingBolt : public BaseRichBolt {
 public:
  explicit HoldingBolt(std::shared_ptr<State> s) : st_(std::move(s)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override {
    std::lock_guard lock(st_->mu);
    (*st_).*Out = &c;
  }
  void execute(const Tuple& in) override {
    std::lock_guard lock(st_->mu);
    st_->held.push_back(in);
  }
  void cleanup() override {
    std::lock_guard lock(st_->mu);
    st_->held.clear();
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::shared_ptr<State> st_;
};

}  // namespace squall::testing
