// Word count with Python components in a C++ topology: sentences from a Python spout
// (python/examples/sentence_spout.py), split by a Python bolt (split_sentence_bolt.py), counted
// in C++. Runs in local mode for a few seconds and prints the top words.
//
//   multilang_word_count [seconds] [json|msgpack]

#include <squall/squall.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>

using namespace squall;

namespace {

std::mutex resultsMutex;
std::map<std::string, int64_t> results;

class WordCount : public BaseBasicBolt {
 public:
  void execute(const Tuple& input, BasicOutputCollector&) override { ++counts_[input.getString(0)]; }
  void cleanup() override {
    std::lock_guard lock(resultsMutex);
    for (const auto& [w, n] : counts_) results[w] += n;
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::map<std::string, int64_t> counts_;
};

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  std::string serializer = argc > 2 ? argv[2] : "json";
  const std::string python = SQUALL_SOURCE_DIR "/python";
  // The children find the squall package through PYTHONPATH; the engine tells them the
  // serializer (SQUALL_SERIALIZER) from topology.multilang.serializer.
  std::map<std::string, std::string> env{{"PYTHONPATH", python}};

  TopologyBuilder builder;
  builder.setSpout("sentences",
                   ShellSpout({"python3", python + "/examples/sentence_spout.py"}, Fields{"sentence"})
                       .setEnv(env));
  builder
      .setBolt("split",
               ShellBolt({"python3", python + "/examples/split_sentence_bolt.py"}, Fields{"word"})
                   .setEnv(env),
               2)
      .shuffleGrouping("sentences");
  builder.setBolt("count", WordCount(), 2).fieldsGrouping("split", Fields{"word"});

  Config conf;
  conf.set(Config::TOPOLOGY_MULTILANG_SERIALIZER, serializer);
  conf.set("squall.examples.sentence_repeats", 1000);  // read by sentence_spout.py
  LocalCluster cluster;
  cluster.submitTopology("multilang-word-count", conf, builder.createTopology());
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  for (const auto& e : cluster.getErrors("multilang-word-count")) {
    std::fprintf(stderr, "error in %s: %s\n", e.component.c_str(), e.message.c_str());
  }
  cluster.killTopologyWithOpts("multilang-word-count", KillOptions{0});

  std::vector<std::pair<std::string, int64_t>> top(results.begin(), results.end());
  std::sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::printf("top words after %d s (%s):\n", seconds, serializer.c_str());
  for (size_t i = 0; i < std::min<size_t>(10, top.size()); ++i) {
    std::printf("  %-10s %lld\n", top[i].first.c_str(), static_cast<long long>(top[i].second));
  }
  return top.empty() ? 1 : 0;
}
