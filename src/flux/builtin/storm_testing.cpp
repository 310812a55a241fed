// Storm's test components and Flux's LogInfoBolt, with their Storm class names and behaviour:
//   org.apache.storm.testing.TestWordSpout    emits a random word from a fixed list every
//                                             100 ms on field "word" (unreliably); optional
//                                             arg isDistributed=false caps it at one task
//   org.apache.storm.testing.TestWordCounter  counts words (field 0) and emits [word, count]
//   org.apache.storm.flux.wrappers.bolts.LogInfoBolt  logs every tuple at info level

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <mutex>
#include <random>
#include <unordered_map>

#include "flux/builtins.h"
#include "squall/component_registry.h"
#include "squall/components.h"

namespace squall::flux {

namespace {

class TestWordSpout : public BaseRichSpout {
 public:
  TestWordSpout() = default;
  explicit TestWordSpout(const Values& args) {
    if (args.size() > 1 || (args.size() == 1 && !args[0].isBool())) {
      throw IllegalArgumentException("TestWordSpout takes no arguments or [isDistributed]");
    }
    if (args.size() == 1) distributed_ = args[0].asBool();
  }

  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    rng_.seed(std::random_device{}());
  }

  void nextTuple() override {
    // Storm sleeps 100 ms in nextTuple; a Squall spout must not block, so it emits when
    // 100 ms have passed since the last emit.
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    static constexpr std::array<const char*, 5> words = {"nathan", "mike", "jackson", "golda",
                                                         "bertels"};
    collector_->emit(Values{words[rng_() % words.size()]});
  }

  void declareOutputFields(OutputFieldsDeclarer& declarer) override {
    declarer.declare(Fields{"word"});
  }

  Map getComponentConfiguration() override {
    if (distributed_) return {};
    return Map{{Config::TOPOLOGY_MAX_TASK_PARALLELISM, Value(1)}};
  }

 private:
  bool distributed_ = true;
  SpoutOutputCollector* collector_ = nullptr;
  std::mt19937_64 rng_;
  std::chrono::steady_clock::time_point last_{};
};

class TestWordCounter : public BaseBasicBolt {
 public:
  void execute(const Tuple& input, BasicOutputCollector& collector) override {
    const Value& v = input.getValue(0);
    std::string word = v.isString() ? v.asString() : v.toString();
    int64_t count = ++counts_[word];
    collector.emit(Values{word, count});
  }

  void declareOutputFields(OutputFieldsDeclarer& declarer) override {
    declarer.declare(Fields{"word", "count"});
  }

 private:
  std::unordered_map<std::string, int64_t> counts_;
};

class LogInfoBolt : public BaseBasicBolt {
 public:
  void execute(const Tuple& input, BasicOutputCollector&) override {
    spdlog::info("{}", input.toString());
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}
};

}  // namespace

void registerFluxBuiltins() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerComponent<TestWordSpout>("org.apache.storm.testing.TestWordSpout");
    registerComponent<TestWordCounter>("org.apache.storm.testing.TestWordCounter");
    registerComponent<LogInfoBolt>("org.apache.storm.flux.wrappers.bolts.LogInfoBolt");
  });
}

namespace {
[[maybe_unused]] const bool registered = (registerFluxBuiltins(), true);
}  // namespace

}  // namespace squall::flux
