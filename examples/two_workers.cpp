// A C++ topology that runs in two worker processes of its own executable: a reliable spout of
// numbered sentences, a bolt that splits them (shuffle grouping, failing some sentences the
// first time it sees them) and a bolt that counts words (fields grouping on "word"), each with
// two tasks, so every stream crosses between the workers.
//
//   two_workers --workers 2 --duration 20 [--sentences N] [--fail-percent P]
//   two_workers --sentences 100            (in this one process)
//
// squall::runTopology starts the workers (copies of this program with the same arguments) and
// stops them at the end of --duration or on Ctrl-C. Every counted word is logged as
// "COUNT task=T pid=P word=W", and once every sentence is acked the spout logs
// "ALL ACKED sentences=N duplicates=D replays=R" (D: sentences acked more than once).

#include <spdlog/spdlog.h>
#include <squall/run_topology.h>
#include <squall/squall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace squall;

namespace {

class SentenceSpout : public BaseRichSpout {
 public:
  explicit SentenceSpout(int64_t sentences) : sentences_(sentences) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
  }
  void nextTuple() override {
    static const char* text[] = {"the cow jumped over the moon",
                                 "an apple a day keeps the doctor away",
                                 "four score and seven years ago",
                                 "snow white and the seven dwarfs", "i am at two with nature"};
    int64_t id;
    if (!replay_.empty()) {
      id = replay_.back();
      replay_.pop_back();
    } else if (next_ < sentences_) {
      id = next_++;
    } else {
      return;
    }
    collector_->emit(Values{id, text[id % 5]}, Value(id));
  }
  void ack(const Value& id) override {
    if (!acked_.insert(id.asInt()).second) ++duplicates_;
    if (static_cast<int64_t>(acked_.size()) == sentences_ && !reported_) {
      reported_ = true;
      spdlog::info("ALL ACKED sentences={} duplicates={} replays={}", acked_.size(), duplicates_,
                   replays_);
    }
  }
  void fail(const Value& id) override {
    ++replays_;
    replay_.push_back(id.asInt());
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(Fields{"id", "sentence"});
  }

 private:
  int64_t sentences_;
  int64_t next_ = 0;
  std::vector<int64_t> replay_;
  std::set<int64_t> acked_;
  int64_t duplicates_ = 0, replays_ = 0;
  bool reported_ = false;
  SpoutOutputCollector* collector_ = nullptr;
};

class SplitBolt : public BaseRichBolt {
 public:
  explicit SplitBolt(int64_t failPercent) : failPercent_(failPercent) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& collector) override {
    collector_ = &collector;
  }
  void execute(const Tuple& input) override {
    int64_t id = input.getLong(0);
    // Fails a sentence the first time this task sees it: the spout replays it.
    if ((id * 37) % 100 < failPercent_ && seen_.insert(id).second) {
      collector_->fail(input);
      return;
    }
    const std::string& s = input.getString(1);
    for (size_t start = 0; start < s.size();) {
      size_t end = std::min(s.find(' ', start), s.size());
      if (end > start) collector_->emit(input, Values{s.substr(start, end - start)});
      start = end + 1;
    }
    collector_->ack(input);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"word"}); }

 private:
  int64_t failPercent_;
  std::set<int64_t> seen_;
  OutputCollector* collector_ = nullptr;
};

class CountBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
  }
  void execute(const Tuple& input) override {
    const std::string& word = input.getString(0);
    ++counts_[word];
    spdlog::info("COUNT task={} pid={} word={}", task_, getpid(), word);
    collector_->ack(input);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::map<std::string, int64_t> counts_;
  int task_ = 0;
  OutputCollector* collector_ = nullptr;
};

// This program's own arguments; runTopology reads its own (--workers, --duration, ...).
int64_t flag(int argc, char** argv, const char* name, int64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoll(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t sentences = flag(argc, argv, "--sentences", 200);
  int64_t failPercent = flag(argc, argv, "--fail-percent", 10);

  // Component objects: each task gets its own copy, in whichever worker runs it. Every run of
  // this program with the same arguments builds this same topology, as its workers must.
  TopologyBuilder builder;
  builder.setSpout("sentences", SentenceSpout(sentences), 1);
  builder.setBolt("split", SplitBolt(failPercent), 2).shuffleGrouping("sentences");
  builder.setBolt("count", CountBolt(), 2).fieldsGrouping("split", Fields{"word"});

  Config conf;
  conf.set(Config::TOPOLOGY_MAX_SPOUT_PENDING, 100);
  return runTopology(argc, argv, "two-workers", conf, builder.createTopology());
}
