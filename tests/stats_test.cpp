// Task statistics with Storm's definitions (storm.md 2.2, 3.5): emitted counts emit calls,
// transferred counts destination tasks; spouts count acked/failed per output stream and
// sample complete latency; bolts count executed/acked/failed per input stream.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "acking_support.h"

using namespace squall;
using namespace squall::testing;
using namespace std::chrono_literals;

namespace {

using internal::BoltInputStats;

uint64_t sumExecuted(LocalCluster& cluster, const std::string& topo, const std::string& bolt,
                     const std::string& source, const std::string& stream) {
  uint64_t n = 0;
  for (auto [task, s] : statsOf(cluster, topo, bolt))
    n += s->inputs.at({source, stream}).executed.get();
  return n;
}

// Emits `n` unreliable tuples on "default" and records how many tasks each emit reached.
class CountingSpout : public BaseRichSpout {
 public:
  CountingSpout(int n, std::shared_ptr<std::atomic<int64_t>> targets)
      : n_(n), targets_(std::move(targets)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    if (next_ == n_) return;
    targets_->fetch_add(static_cast<int64_t>(out_->emit(Values{next_++}).size()));
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

 private:
  int n_;
  std::shared_ptr<std::atomic<int64_t>> targets_;
  SpoutOutputCollector* out_ = nullptr;
  int next_ = 0;
};

class Ignore : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
  void execute(const Tuple&) override {}
  void declareOutputFields(OutputFieldsDeclarer&) override {}
};

// One emit to an all-grouped bolt of 3 tasks and a shuffle-grouped bolt of 1: emitted 1,
// transferred 4.
TEST(Stats, EmittedCountsEmitCallsAndTransferredCountsTasks) {
  const int kEmits = 300;
  auto targets = std::make_shared<std::atomic<int64_t>>(0);
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(kEmits, targets));
  b.setBolt("everyone", Ignore(), 3).allGrouping("spout");
  b.setBolt("someone", Ignore()).shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology("transfer", Config(), b.createTopology());
  ASSERT_TRUE(waitReady(cluster, "transfer"));
  ASSERT_TRUE(waitFor(
      [&] {
        return sumExecuted(cluster, "transfer", "everyone", "spout", "default") == 3u * kEmits &&
               sumExecuted(cluster, "transfer", "someone", "spout", "default") == 1u * kEmits;
      },
      10s));
  EXPECT_EQ(targets->load(), 4 * kEmits);
  auto spout = statsOf(cluster, "transfer", "spout");
  ASSERT_EQ(spout.size(), 1u);
  const auto& out = spout.begin()->second->outputs.at("default");
  EXPECT_EQ(out.emitted.get(), static_cast<uint64_t>(kEmits));
  EXPECT_EQ(out.transferred.get(), 4u * kEmits);
  for (auto [task, s] : statsOf(cluster, "transfer", "everyone")) {
    EXPECT_EQ(s->inputs.at({"spout", "default"}).executed.get(), static_cast<uint64_t>(kEmits))
        << "task " << task;
  }
}

struct AckFailState {
  std::atomic<int> acked{0}, failed{0};
};

// Emits `good` tuples on stream "good", then `bad` on "bad", all reliable.
class TwoStreamSpout : public BaseRichSpout {
 public:
  TwoStreamSpout(std::shared_ptr<AckFailState> s, int good, int bad)
      : st_(std::move(s)), good_(good), bad_(bad) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    if (next_ < good_) {
      out_->emit("good", Values{next_}, Value(next_));
    } else if (next_ < good_ + bad_) {
      out_->emit("bad", Values{next_}, Value(next_));
    } else {
      return;
    }
    ++next_;
  }
  void ack(const Value&) override { st_->acked.fetch_add(1); }
  void fail(const Value&) override { st_->failed.fetch_add(1); }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declareStream("good", Fields{"n"});
    d.declareStream("bad", Fields{"n"});
  }

 private:
  std::shared_ptr<AckFailState> st_;
  int good_, bad_;
  SpoutOutputCollector* out_ = nullptr;
  int next_ = 0;
};

// Acks what comes on "good", fails what comes on "bad".
class Judge : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out_ = &c; }
  void execute(const Tuple& in) override {
    if (in.getSourceStreamId() == "good") {
      out_->ack(in);
    } else {
      out_->fail(in);
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* out_ = nullptr;
};

StormTopology judgeTopology(const std::shared_ptr<AckFailState>& st, int good, int bad) {
  TopologyBuilder b;
  b.setSpout("spout", TwoStreamSpout(st, good, bad));
  b.setBolt("judge", Judge()).shuffleGrouping("spout", "good").shuffleGrouping("spout", "bad");
  return b.createTopology();
}

TEST(Stats, AckedAndFailedPerStreamAtSpoutAndBolt) {
  const int kGood = 200, kBad = 60;
  auto st = std::make_shared<AckFailState>();
  Config conf;
  conf.setMessageTimeoutSecs(30);
  LocalCluster cluster;
  cluster.submitTopology("ackfail", conf, judgeTopology(st, kGood, kBad));
  ASSERT_TRUE(waitReady(cluster, "ackfail"));
  ASSERT_TRUE(waitFor(
      [&] {
        return st->acked.load() == kGood && st->failed.load() == kBad &&
               sumExecuted(cluster, "ackfail", "judge", "spout", "good") == kGood &&
               sumExecuted(cluster, "ackfail", "judge", "spout", "bad") == kBad;
      },
      10s));

  auto spout = statsOf(cluster, "ackfail", "spout");
  ASSERT_EQ(spout.size(), 1u);
  const TaskStats& s = *spout.begin()->second;
  const auto& good = s.spoutStreams.at("good");
  const auto& bad = s.spoutStreams.at("bad");
  EXPECT_EQ(good.acked.get(), static_cast<uint64_t>(kGood));
  EXPECT_EQ(good.failed.get(), 0u);
  EXPECT_EQ(bad.acked.get(), 0u);
  EXPECT_EQ(bad.failed.get(), static_cast<uint64_t>(kBad));
  EXPECT_EQ(s.outputs.at("good").emitted.get(), static_cast<uint64_t>(kGood));
  EXPECT_EQ(s.outputs.at("bad").emitted.get(), static_cast<uint64_t>(kBad));
  // Complete latency is sampled, and a round trip takes time.
  EXPECT_GT(good.completeLatency.samples.get(), 0u);
  EXPECT_LE(good.completeLatency.samples.get(), good.acked.get());
  EXPECT_GT(good.completeLatency.totalNs.get(), 0u);
  EXPECT_EQ(bad.completeLatency.samples.get(), 0u) << "failed trees have no complete latency";

  auto judge = statsOf(cluster, "ackfail", "judge");
  ASSERT_EQ(judge.size(), 1u);
  const TaskStats& j = *judge.begin()->second;
  const BoltInputStats& in1 = j.inputs.at({"spout", "good"});
  const BoltInputStats& in2 = j.inputs.at({"spout", "bad"});
  EXPECT_EQ(in1.executed.get(), static_cast<uint64_t>(kGood));
  EXPECT_EQ(in1.acked.get(), static_cast<uint64_t>(kGood));
  EXPECT_EQ(in1.failed.get(), 0u);
  EXPECT_EQ(in2.executed.get(), static_cast<uint64_t>(kBad));
  EXPECT_EQ(in2.acked.get(), 0u);
  EXPECT_EQ(in2.failed.get(), static_cast<uint64_t>(kBad));
  EXPECT_GT(in1.executeLatency.samples.get() + in2.executeLatency.samples.get(), 0u);
  EXPECT_GT(in1.processLatency.samples.get(), 0u);
}

// topology.stats.sample.rate = 1 measures every tuple: each acked tree has a complete-latency
// sample and each executed tuple an execute-latency sample.
TEST(Stats, SampleRateOneMeasuresEveryTuple) {
  const int kGood = 50;
  auto st = std::make_shared<AckFailState>();
  Config conf;
  conf.setMessageTimeoutSecs(30);
  conf.set(Config::TOPOLOGY_STATS_SAMPLE_RATE, 1.0);
  LocalCluster cluster;
  cluster.submitTopology("sample-all", conf, judgeTopology(st, kGood, 0));
  ASSERT_TRUE(waitReady(cluster, "sample-all"));
  ASSERT_TRUE(waitFor(
      [&] {
        return st->acked.load() == kGood &&
               sumExecuted(cluster, "sample-all", "judge", "spout", "good") == kGood;
      },
      10s));
  const TaskStats& s = *statsOf(cluster, "sample-all", "spout").begin()->second;
  EXPECT_EQ(s.spoutStreams.at("good").completeLatency.samples.get(), static_cast<uint64_t>(kGood));
  const TaskStats& j = *statsOf(cluster, "sample-all", "judge").begin()->second;
  EXPECT_EQ(j.inputs.at({"spout", "good"}).executeLatency.samples.get(),
            static_cast<uint64_t>(kGood));
  EXPECT_EQ(j.inputs.at({"spout", "good"}).processLatency.samples.get(),
            static_cast<uint64_t>(kGood));
}

// Storm allows bolt collector calls from any thread. A bolt that acks half its input on the
// executor thread and half on its own thread (while tick tuples arrive on the executor) must
// still have every ack counted exactly once.
TEST(Stats, AcksFromABoltThreadAreCountedExactly) {
  const int kTuples = 40'000;
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Tuple> work;
    bool stop = false;
    std::atomic<int> acks{0}, ticks{0};
  };
  class Flood : public BaseRichSpout {
   public:
    void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
    void nextTuple() override {
      if (next_ < kTuples) out_->emit(Values{next_++});
    }
    void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

   private:
    SpoutOutputCollector* out_ = nullptr;
    int next_ = 0;
  };
  class SplitAcker : public BaseRichBolt {
   public:
    explicit SplitAcker(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
    ~SplitAcker() override { stopHelper(); }
    void prepare(const Config&, TopologyContext&, OutputCollector& c) override {
      out_ = &c;
      helper_ = std::make_shared<std::thread>([s = s_, out = out_] {
        std::unique_lock lock(s->mu);
        while (true) {
          s->cv.wait(lock, [&] { return s->stop || !s->work.empty(); });
          if (s->work.empty()) return;
          std::deque<Tuple> batch;
          batch.swap(s->work);
          lock.unlock();
          for (const auto& t : batch) {
            out->ack(t);
            s->acks.fetch_add(1);
          }
          batch.clear();
          lock.lock();
        }
      });
    }
    void execute(const Tuple& in) override {
      if (in.isTick()) {
        s_->ticks.fetch_add(1);
        return;
      }
      if (in.getLong(0) % 2 == 0) {
        out_->ack(in);
        s_->acks.fetch_add(1);
        return;
      }
      {
        std::lock_guard lock(s_->mu);
        s_->work.push_back(in);
      }
      s_->cv.notify_one();
    }
    void cleanup() override { stopHelper(); }
    void declareOutputFields(OutputFieldsDeclarer&) override {}

   private:
    void stopHelper() {
      if (!helper_ || !helper_->joinable()) return;
      {
        std::lock_guard lock(s_->mu);
        s_->stop = true;
      }
      s_->cv.notify_one();
      helper_->join();
    }
    std::shared_ptr<Shared> s_;
    OutputCollector* out_ = nullptr;
    std::shared_ptr<std::thread> helper_;
  };

  auto s = std::make_shared<Shared>();
  TopologyBuilder b;
  b.setSpout("spout", Flood());
  b.setBolt("acker-bolt", SplitAcker(s))
      .shuffleGrouping("spout")
      .addConfiguration(Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1);
  LocalCluster cluster;
  cluster.submitTopology("foreign-acks", Config(), b.createTopology());
  ASSERT_TRUE(waitReady(cluster, "foreign-acks"));
  ASSERT_TRUE(waitFor([&] { return s->acks.load() == kTuples && s->ticks.load() > 0; }, 20s));
  auto bolt = statsOf(cluster, "foreign-acks", "acker-bolt");
  ASSERT_EQ(bolt.size(), 1u);
  const auto& in = bolt.begin()->second->inputs.at({"spout", "default"});
  EXPECT_EQ(in.executed.get(), static_cast<uint64_t>(kTuples));
  EXPECT_EQ(in.acked.get(), static_cast<uint64_t>(kTuples)) << "acks lost by the stats";
}

}  // namespace
