// Multilang throughput on the word-count shape: a C++ spout -> one splitter child (ShellBolt)
// -> a C++ counter, one acker, max spout pending 2000 (the shape of the Storm 2.4 baseline in
// docs/PERFORMANCE.md); --splitters N runs N splitter children. --shape chain is the shape
// our users run, all Python: a Python spout (bench/multilang/endless_sentence_spout.py) ->
// the splitter -> a Python word counter (python/examples/word_count_bolt.py, emitting
// [word, count]) -> the C++ counter that counts words out of it. Prints the words per second out of
// the splitter and the CPU used by the engine (this process) and by the child over the measurement,
// the engine's CPU per multilang message, and how many messages each read of the children's
// output brought.
//
//   bench_multilang_word_count [--serializer json|msgpack] [--splitter squall|batch|stormpy|PATH]
//                              [--splitter-command 'any shell command']
//                              [--task-id-replies 0|1] [--seconds S] [--warmup S]
//                              [--max-pending N] [--python PATH]
//                              [--splitters N] [--shape word-count|chain]
//                              [--spout-command 'any shell command']
//                              [--spout-task-id-replies 0|1]
//                              [--threads 1]  (CPU per engine thread)
//                              [--rate SENTENCES_PER_S]  (the C++ spout paced; latency printed)
//
// Splitters: squall = python/examples/split_sentence_bolt.py (squall.Bolt, one emit call per
// word); batch = bench/multilang/split_batch.py (squall.Bolt, emit_many per sentence);
// stormpy = python/examples/storm_split_sentence.py (storm.py BasicBolt, waits for the task
// ids after every emit); anything else is run as a Python script. --splitter-command runs any
// client unchanged (Storm's storm.py, pystorm, storm.js, ...) through `/bin/sh -c 'exec ...'`
// in the source directory, with python/ on PYTHONPATH; it must read sentences from field 0 and
// emit one tuple per word.
//
// Messages per sentence, counted for the engine's CPU per message: the tuple to the child, one
// emit per word, the ack, and (--task-id-replies 1, the default for stormpy) one task-id reply
// per emit. In the chain, also the spout's next/emit/sync/ack per sentence and the counter's
// tuple/emit/ack per word (sentences there are words / 6.4, the five sentences' mean length).
// Heartbeats are a few a second and left out.
//
// --spout-command runs any spout client unchanged in place of the spout (the C++ one, or the
// chain's Python one), the same way; it must emit sentences on field 0, reliably. Storm's
// storm.py spout waits for the task ids after every emit: --spout-task-id-replies 1 counts
// that reply. bench/multilang/storm_sentence_spout.py is such a spout, written against
// storm.py's API. With a Python spout, sentences are counted as words / 6.4 and each costs the
// spout's next, emit, sync and ack (and the reply, if counted), as in the chain.
//
// --rate paces the C++ spout at that many sentences a second and prints the complete latency
// of the sentences acked during the measurement (emit to ack, at the spout): what holding or
// batching anywhere on the way costs a topology that is not saturated.

#include <dirent.h>
#include <squall/squall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/local_cluster_impl.h"

using namespace squall;

namespace {

std::atomic<uint64_t> counted{0};
std::atomic<uint64_t> sentencesAcked{0};
std::atomic<bool> measuring{false};
std::mutex latencyMu;
std::vector<int64_t> latenciesNs;  // complete latency of sentences acked while measuring (--rate)

int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class SentenceSpout : public BaseRichSpout {
 public:
  explicit SentenceSpout(double rate)
      : intervalNs_(rate > 0 ? static_cast<int64_t>(1e9 / rate) : 0) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { collector_ = &c; }
  void nextTuple() override {
    static const char* sentences[] = {"the cow jumped over the moon",
                                      "an apple a day keeps the doctor away",
                                      "four score and seven years ago",
                                      "snow white and the seven dwarfs", "i am at two with nature"};
    if (intervalNs_ > 0) {
      int64_t now = steadyNs();
      if (nextDueNs_ == 0) nextDueNs_ = now;
      if (now < nextDueNs_) return;
      nextDueNs_ += intervalNs_;
      emittedNs_[id_] = now;
    }
    collector_->emit(Values{sentences[id_ % 5]}, Value(id_));
    ++id_;
  }
  void ack(const Value& id) override {
    sentencesAcked.fetch_add(1, std::memory_order_relaxed);
    auto it = emittedNs_.find(id.asInt());
    if (it == emittedNs_.end()) return;
    if (measuring.load(std::memory_order_relaxed)) {
      std::lock_guard lock(latencyMu);
      latenciesNs.push_back(steadyNs() - it->second);
    }
    emittedNs_.erase(it);
  }
  void fail(const Value& id) override { emittedNs_.erase(id.asInt()); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"sentence"}); }

 private:
  SpoutOutputCollector* collector_ = nullptr;
  int64_t id_ = 0;
  int64_t intervalNs_;
  int64_t nextDueNs_ = 0;
  std::unordered_map<int64_t, int64_t> emittedNs_;  // id -> emit time, while paced
};

class Counter : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { collector_ = &c; }
  void execute(const Tuple& t) override {
    ++counts_[t.getString(0)];
    collector_->ack(t);
    if (++local_ == 256) {
      counted.fetch_add(local_, std::memory_order_relaxed);
      local_ = 0;
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* collector_ = nullptr;
  std::unordered_map<std::string, int64_t> counts_;
  uint64_t local_ = 0;
};

// utime + stime of a process, in seconds.
double cpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = s.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(s.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds of each thread of this process, by thread name (executors are named
// "<component>:<task>", the shell bolt's reader "ml:<component>:<task>").
std::map<std::string, double> threadCpu() {
  std::map<std::string, double> out;
  DIR* d = opendir("/proc/self/task");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string base = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm(base + "/comm");
    std::string name;
    std::getline(comm, name);
    std::ifstream in(base + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = s.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(s.substr(paren + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::atof(field.c_str());
    }
    out[name] += ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  closedir(d);
  return out;
}

std::vector<int> childrenOf(int parent) {
  std::vector<int> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = s.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(s.substr(paren + 2));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(pid);
  }
  closedir(d);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string serializer = "json", splitter = "squall", python = "/usr/bin/python3";
  int seconds = 10, warmup = 3;
  int64_t maxPending = 2000;
  bool perThread = false;
  std::string command, spoutCommand;
  int taskIdReplies = -1;
  int spoutTaskIdReplies = 0;
  int splitters = 1;
  double sentenceRate = 0;
  std::string shape = "word-count";
  std::vector<std::pair<std::string, std::string>> overrides;  // --conf KEY=VALUE
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--serializer") serializer = argv[i + 1];
    if (a == "--splitter") splitter = argv[i + 1];
    if (a == "--seconds") seconds = std::atoi(argv[i + 1]);
    if (a == "--warmup") warmup = std::atoi(argv[i + 1]);
    if (a == "--max-pending") maxPending = std::atoll(argv[i + 1]);
    if (a == "--python") python = argv[i + 1];
    if (a == "--threads") perThread = std::atoi(argv[i + 1]) != 0;
    if (a == "--splitter-command") command = argv[i + 1];
    if (a == "--task-id-replies") taskIdReplies = std::atoi(argv[i + 1]);
    if (a == "--spout-command") spoutCommand = argv[i + 1];
    if (a == "--spout-task-id-replies") spoutTaskIdReplies = std::atoi(argv[i + 1]);
    if (a == "--splitters") splitters = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--shape") shape = argv[i + 1];
    if (a == "--rate") sentenceRate = std::atof(argv[i + 1]);
    if (a == "--conf") {
      std::string kv = argv[i + 1];
      size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "--conf takes KEY=VALUE, not '%s'\n", kv.c_str());
        return 2;
      }
      overrides.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  if (shape != "word-count" && shape != "chain") {
    std::fprintf(stderr, "--shape is word-count or chain, not '%s'\n", shape.c_str());
    return 2;
  }
  const bool chain = shape == "chain";
  const std::string src = SQUALL_SOURCE_DIR;
  std::string script = splitter;
  if (splitter == "squall") script = src + "/python/examples/split_sentence_bolt.py";
  if (splitter == "batch") script = src + "/bench/multilang/split_batch.py";
  if (splitter == "stormpy") script = src + "/python/examples/storm_split_sentence.py";
  if (taskIdReplies < 0) taskIdReplies = splitter == "stormpy" && command.empty() ? 1 : 0;
  std::vector<std::string> argvChild{python, script};
  if (!command.empty()) {
    argvChild = {"/bin/sh", "-c", "exec " + command};
    splitter = command;
  }

  const std::map<std::string, std::string> env{{"PYTHONPATH", src + "/python"}};
  TopologyBuilder builder;
  const bool pythonSpout = chain || !spoutCommand.empty();
  if (pythonSpout) {
    std::vector<std::string> argvSpout{python, src + "/bench/multilang/endless_sentence_spout.py"};
    if (!spoutCommand.empty()) argvSpout = {"/bin/sh", "-c", "exec " + spoutCommand};
    builder.setSpout("spout", ShellSpout(argvSpout, Fields{"sentence"}).setCwd(src).setEnv(env), 1);
  } else {
    builder.setSpout("spout", SentenceSpout(sentenceRate), 1);
  }
  builder.setBolt("split", ShellBolt(argvChild, Fields{"word"}).setCwd(src).setEnv(env), splitters)
      .shuffleGrouping("spout");
  if (chain) {
    builder
        .setBolt("pycount",
                 ShellBolt({python, src + "/python/examples/word_count_bolt.py"},
                           Fields{"word", "count"})
                     .setCwd(src)
                     .setEnv(env),
                 1)
        .fieldsGrouping("split", Fields{"word"});
    builder.setBolt("count", Counter(), 1).shuffleGrouping("pycount");
  } else {
    builder.setBolt("count", Counter(), 1).fieldsGrouping("split", Fields{"word"});
  }
  Config conf;
  conf.setNumAckers(1);
  conf.setMaxSpoutPending(maxPending);
  conf.set(Config::TOPOLOGY_MULTILANG_SERIALIZER, serializer);
  for (const auto& [key, value] : overrides) {
    char* end = nullptr;
    long long n = std::strtoll(value.c_str(), &end, 10);
    if (value == "true" || value == "false") {
      conf.set(key, Value(value == "true"));
    } else if (end && *end == '\0' && !value.empty()) {
      conf.set(key, Value(static_cast<int64_t>(n)));
    } else {
      conf.set(key, Value(value));
    }
  }

  LocalCluster cluster;
  // Reads of the children's output and the messages they brought (src/stats/child_processes.h).
  auto childReads = [](LocalCluster& c) {
    std::pair<uint64_t, uint64_t> out{0, 0};
    if (auto* t = c.impl().find("ml-bench")) {
      for (const auto& s : t->plan().children.snapshot()) {
        out.first += s.reads;
        out.second += s.messages;
      }
    }
    return out;
  };
  cluster.submitTopology("ml-bench", conf, builder.createTopology());
  std::this_thread::sleep_for(std::chrono::seconds(warmup));
  std::vector<int> kids = childrenOf(getpid());
  double childBefore = 0;
  for (int k : kids) childBefore += cpuSeconds(k);
  double engineBefore = cpuSeconds(getpid());
  auto threadsBefore = threadCpu();
  auto readsBefore = childReads(cluster);
  uint64_t before = counted.load();
  uint64_t sentencesBefore = sentencesAcked.load();
  auto t0 = std::chrono::steady_clock::now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  measuring = false;
  uint64_t after = counted.load();
  uint64_t sentences = sentencesAcked.load() - sentencesBefore;
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double engine = cpuSeconds(getpid()) - engineBefore;
  auto threadsAfter = threadCpu();
  auto readsAfter = childReads(cluster);
  double child = -childBefore;
  for (int k : kids) child += cpuSeconds(k);
  auto errors = cluster.getErrors("ml-bench");
  cluster.killTopologyWithOpts("ml-bench", KillOptions{0});

  double words = static_cast<double>(after - before);
  double rate = words / wall;
  // A Python spout's acks are not seen here, so sentences come from words.
  double sentenceCount = pythonSpout ? words / 6.4 : static_cast<double>(sentences);
  double messages = words * (1 + taskIdReplies) + 2 * sentenceCount;
  if (pythonSpout) messages += (4 + spoutTaskIdReplies) * sentenceCount;
  if (chain) messages += 3 * words;
  std::printf(
      "multilang %s: %s%ssplitter=%s x%d serializer=%s max_pending=%lld: %.1f k words/s; "
      "CPU over %.1f s: engine %.0f%%, children %.0f%% (engine share %.0f%%); engine %.2f us per "
      "message (%.0f k messages/s), %.2f us per word%s\n",
      shape.c_str(), spoutCommand.empty() ? "" : "spout=",
      spoutCommand.empty() ? "" : (spoutCommand + " ").c_str(), splitter.c_str(), splitters,
      serializer.c_str(), static_cast<long long>(maxPending), rate / 1e3, wall, 100 * engine / wall,
      100 * child / wall, 100 * engine / (engine + child),
      messages > 0 ? 1e6 * engine / messages : 0.0, messages / wall / 1e3,
      words > 0 ? 1e6 * engine / words : 0.0, errors.empty() ? "" : " ERRORS REPORTED");
  uint64_t reads = readsAfter.first - readsBefore.first;
  if (reads > 0) {
    std::printf(
        "  children's output: %.1f messages per read (%.0f k reads/s)\n",
        static_cast<double>(readsAfter.second - readsBefore.second) / static_cast<double>(reads),
        static_cast<double>(reads) / wall / 1e3);
  }
  if (sentenceRate > 0 && !pythonSpout) {
    std::lock_guard lock(latencyMu);
    std::sort(latenciesNs.begin(), latenciesNs.end());
    auto at = [](double q) {
      size_t i = std::min(latenciesNs.size() - 1, static_cast<size_t>(q * latenciesNs.size()));
      return static_cast<double>(latenciesNs[i]) / 1e3;
    };
    if (!latenciesNs.empty()) {
      std::printf(
          "  complete latency at %.0f sentences/s: p50 %.0f us, p90 %.0f us, p99 %.0f us "
          "(%zu sentences)\n",
          sentenceRate, at(0.5), at(0.9), at(0.99), latenciesNs.size());
    }
  }
  if (perThread) {
    for (const auto& [name, after] : threadsAfter) {
      double used = after - (threadsBefore.count(name) ? threadsBefore[name] : 0.0);
      if (used > 0.005 * wall)
        std::printf("  thread %-16s %5.1f%%\n", name.c_str(), 100 * used / wall);
    }
  }
  for (const auto& e : errors) std::fprintf(stderr, "error: %s\n", e.message.c_str());
  return errors.empty() && after > before ? 0 : 1;
}
