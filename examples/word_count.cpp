// The C++ word count: sentences -> split -> count (fields grouping on "word"), run in local
// mode for a few seconds, then the top words are printed.
//
//   word_count [seconds]

#include <squall/squall.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

using namespace squall;

namespace {

// Counts reach main() through here once the counter tasks clean up.
std::mutex resultsMutex;
std::map<std::string, int64_t> results;

class RandomSentenceSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    next_ = static_cast<size_t>(context.getThisTaskIndex());
  }
  void nextTuple() override {
    static const char* sentences[] = {"the cow jumped over the moon",
                                      "an apple a day keeps the doctor away",
                                      "four score and seven years ago",
                                      "snow white and the seven dwarfs", "i am at two with nature"};
    collector_->emit(Values{sentences[next_++ % 5]});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"sentence"}); }

 private:
  SpoutOutputCollector* collector_ = nullptr;
  size_t next_ = 0;
};

class SplitSentence : public BaseBasicBolt {
 public:
  void execute(const Tuple& input, BasicOutputCollector& collector) override {
    const std::string& s = input.getStringByField("sentence");
    size_t start = 0;
    while (start < s.size()) {
      size_t end = s.find(' ', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) collector.emit(Values{s.substr(start, end - start)});
      start = end + 1;
    }
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"word"}); }
};

class WordCount : public BaseBasicBolt {
 public:
  void execute(const Tuple& input, BasicOutputCollector& collector) override {
    const std::string& word = input.getString(0);
    int64_t n = ++counts_[word];
    collector.emit(Values{word, n});
  }
  void cleanup() override {
    std::lock_guard lock(resultsMutex);
    for (const auto& [w, n] : counts_) results[w] += n;
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"word", "count"}); }

 private:
  std::map<std::string, int64_t> counts_;
};

SQUALL_REGISTER_COMPONENT(RandomSentenceSpout);
SQUALL_REGISTER_COMPONENT(SplitSentence);
SQUALL_REGISTER_COMPONENT(WordCount);

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  TopologyBuilder builder;
  builder.setSpout("sentences", ComponentSpec{"RandomSentenceSpout"}, 1);
  builder.setBolt("split", ComponentSpec{"SplitSentence"}, 2).shuffleGrouping("sentences");
  builder.setBolt("count", ComponentSpec{"WordCount"}, 2).fieldsGrouping("split", Fields{"word"});

  Config conf;
  conf.setMaxSpoutPending(1000);
  LocalCluster cluster;
  cluster.submitTopology("word-count", conf, builder.createTopology());
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  cluster.killTopologyWithOpts("word-count", KillOptions{0});

  std::vector<std::pair<std::string, int64_t>> top(results.begin(), results.end());
  std::sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::printf("top words after %d s:\n", seconds);
  for (size_t i = 0; i < std::min<size_t>(10, top.size()); ++i) {
    std::printf("  %-10s %lld\n", top[i].first.c_str(), static_cast<long long>(top[i].second));
  }
  return top.empty() ? 1 : 0;
}
