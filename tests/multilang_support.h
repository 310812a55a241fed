#pragma once
// Helpers for the multilang tests: how to run the Python children, a reliable C++ spout that
// replays failures, and a sink that records what reaches it. Components are copied per task;
// what they observe goes to process-wide recorders keyed by a label the test chooses.

#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <squall/squall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"

namespace squall::multilang_test {

using squall::testing::Recorder;
using squall::testing::waitFor;

inline const std::string kPython = "/usr/bin/python3";

inline std::string sourceDir() {
  return SQUALL_SOURCE_DIR;
}

// Appends rather than chains operator+: GCC 12 at -O1 reports a false -Warray-bounds inside
// the chained form's string move.
inline std::string childScript(const std::string& name) {
  std::string path = sourceDir();
  path.append("/tests/multilang_children/").append(name);
  return path;
}

inline std::string exampleScript(const std::string& name) {
  return sourceDir() + "/python/examples/" + name;
}

inline std::map<std::string, std::string> pythonEnv() {
  return {{"PYTHONPATH", sourceDir() + "/python"}, {"PYTHONDONTWRITEBYTECODE", "1"}};
}

inline bool pythonHasMsgpack() {
  static int has = -1;
  if (has < 0) {
    has = std::system((kPython + " -c 'import msgpack' 2>/dev/null").c_str()) == 0 ? 1 : 0;
  }
  return has == 1;
}

// A fresh directory for one test's marker files, removed at exit of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/squall-ml-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Everything a ReliableSpout saw, by label.
struct SpoutLog {
  std::mutex mu;
  std::set<int64_t> acked;
  int64_t fails = 0;
  int64_t emits = 0;
};

inline SpoutLog& spoutLog(const std::string& label) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<SpoutLog>> logs;
  std::lock_guard lock(mu);
  auto& p = logs[label];
  if (!p) p = std::make_unique<SpoutLog>();
  return *p;
}

// Emits ["<prefix><i>"] with message id i for i in [0, count), re-emitting failed ids until
// every one is acked. `values` picks what each tuple holds (default: one string).
class ReliableSpout : public BaseRichSpout {
 public:
  ReliableSpout(std::string label, int64_t count, std::vector<std::string> sentences = {})
      : label_(std::move(label)), count_(count), sentences_(std::move(sentences)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { collector_ = &c; }
  void nextTuple() override {
    int64_t id;
    if (!replay_.empty()) {
      id = *replay_.begin();
      replay_.erase(replay_.begin());
    } else if (next_ < count_) {
      id = next_++;
    } else {
      return;
    }
    Value v = sentences_.empty() ? Value("w" + std::to_string(id))
                                 : Value(sentences_[static_cast<size_t>(id) % sentences_.size()]);
    collector_->emit(Values{v}, Value(id));
    std::lock_guard lock(spoutLog(label_).mu);
    ++spoutLog(label_).emits;
  }
  void ack(const Value& id) override {
    std::lock_guard lock(spoutLog(label_).mu);
    spoutLog(label_).acked.insert(id.asInt());
  }
  void fail(const Value& id) override {
    replay_.insert(id.asInt());
    std::lock_guard lock(spoutLog(label_).mu);
    ++spoutLog(label_).fails;
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"sentence"}); }

 private:
  std::string label_;
  int64_t count_;
  std::vector<std::string> sentences_;
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
  std::set<int64_t> replay_;
};

inline size_t ackedCount(const std::string& label) {
  std::lock_guard lock(spoutLog(label).mu);
  return spoutLog(label).acked.size();
}

struct SinkSeen {
  std::string stream;
  std::string sourceComponent;
  int task;
  Values values;
};

inline Recorder<SinkSeen>& sinkSeen() {
  static Recorder<SinkSeen> r;
  return r;
}

// Records and acks every tuple; declares nothing.
class SinkBolt : public BaseRichBolt {
 public:
  explicit SinkBolt(std::string label) : label_(std::move(label)) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
    collector_ = &c;
    task_ = ctx.getThisTaskId();
  }
  void execute(const Tuple& t) override {
    sinkSeen().add(label_,
                   SinkSeen{t.getSourceStreamId(), t.getSourceComponent(), task_, t.getValues()});
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::string label_;
  OutputCollector* collector_ = nullptr;
  int task_ = 0;
};

inline std::vector<ReportedError> errorsOf(LocalCluster& cluster, const std::string& topology) {
  return cluster.getErrors(topology);
}

// True when some error of `topology` contains every one of `parts`.
inline bool hasError(LocalCluster& cluster, const std::string& topology,
                     const std::vector<std::string>& parts) {
  for (const auto& e : cluster.getErrors(topology)) {
    bool all = true;
    for (const auto& p : parts) all &= e.message.find(p) != std::string::npos;
    if (all) return true;
  }
  return false;
}

inline std::string allErrors(LocalCluster& cluster, const std::string& topology) {
  std::string out;
  for (const auto& e : cluster.getErrors(topology)) {
    out += e.component + "/" + std::to_string(e.task) + ": " + e.message + "\n---\n";
  }
  return out;
}

// A process is gone when it no longer exists or is a zombie nobody reaped yet.
inline bool processGone(int pid) {
  std::string stat = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = std::fopen(stat.c_str(), "r");
  if (!f) return true;
  char buf[512] = {0};
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string s(buf, n);
  size_t paren = s.rfind(')');
  return paren != std::string::npos && paren + 2 < s.size() && s[paren + 2] == 'Z';
}

// A ReliableSpout "spout" that never runs out, shuffled into the ShellBolt `component`, which
// runs the test child `script` with `env`; the caller adds what follows.
inline void endlessInto(TopologyBuilder& b, const std::string& label, const std::string& component,
                        const std::string& script, const std::map<std::string, std::string>& env) {
  b.setSpout("spout", ReliableSpout(label, 1'000'000'000));
  b.setBolt(component, ShellBolt({kPython, childScript(script)}, Fields{"x"}).setEnv(env))
      .shuffleGrouping("spout");
}

// The CPUs the calling thread may run on.
inline std::vector<int> allowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) out.push_back(c);
  }
  return out;
}

// Confines the calling thread to `cpu` (a forked test process's first step).
inline void confineTo(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  sched_setaffinity(0, sizeof one, &one);
}

// A field of /proc/self/task/TID/status ("Cpus_allowed_list", "voluntary_ctxt_switches") of
// this process's thread whose name starts with `prefix` (executors are "<component>:<task>",
// a shell bolt's reader "ml:<component>:<task>"); nullopt if there is none.
inline std::optional<std::string> threadStatus(const std::string& prefix,
                                               const std::string& field) {
  DIR* d = opendir("/proc/self/task");
  if (!d) return std::nullopt;
  std::optional<std::string> out;
  const std::string key = field + ":";
  while (dirent* e = readdir(d)) {
    std::string dir = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm(dir + "/comm");
    std::string name;
    if (!std::getline(comm, name) || name.rfind(prefix, 0) != 0) continue;
    std::ifstream status(dir + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind(key, 0) != 0) continue;
      size_t start = line.find_first_not_of(" \t", key.size());
      out = start == std::string::npos ? "" : line.substr(start);
    }
  }
  closedir(d);
  return out;
}

inline Config baseConfig(const std::string& serializer = "json") {
  Config c;
  c.set(Config::TOPOLOGY_MULTILANG_SERIALIZER, serializer);
  c.setNumAckers(1);
  return c;
}

}  // namespace squall::multilang_test
