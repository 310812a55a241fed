// A spout emits 0..N-1 with message ids, a bolt sums them and acks: the program exits 0 once
// the spout has seen every ack (within a deadline) and prints the sum, so linking against an
// installed Squall is shown to run a topology with acking, not only to compile.
#include <squall/squall.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

using namespace squall;

namespace {

constexpr int64_t kTuples = 100;
std::atomic<int64_t> acked{0};
std::atomic<int64_t> sum{0};

class NumberSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
  }
  void nextTuple() override {
    if (next_ < kTuples) {
      collector_->emit(Values{next_}, Value(next_));
      ++next_;
    }
  }
  void ack(const Value&) override { ++acked; }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

 private:
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
};

class SumBolt : public BaseBasicBolt {
 public:
  void execute(const Tuple& input, BasicOutputCollector&) override { sum += input.getLong(0); }
  void declareOutputFields(OutputFieldsDeclarer&) override {}
};

SQUALL_REGISTER_COMPONENT(NumberSpout);
SQUALL_REGISTER_COMPONENT(SumBolt);

}  // namespace

int main() {
  // The multilang engine links too (a ShellBolt is only built, never started).
  ShellBolt shell({"python3", "unused.py"}, Fields{"word"});

  TopologyBuilder builder;
  builder.setSpout("numbers", ComponentSpec{"NumberSpout"}, 1);
  builder.setBolt("sum", ComponentSpec{"SumBolt"}, 2).shuffleGrouping("numbers");
  LocalCluster cluster;
  cluster.submitTopology("acked-sum", Config{}, builder.createTopology());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (acked < kTuples && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cluster.killTopologyWithOpts("acked-sum", KillOptions{0});
  cluster.shutdown();
  std::printf("acked %lld sum %lld\n", static_cast<long long>(acked.load()),
              static_cast<long long>(sum.load()));
  return acked == kTuples ? 0 : 1;
}
