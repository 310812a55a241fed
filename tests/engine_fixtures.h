#pragma once
// Components and helpers shared by the core engine tests (groupings, streams, task ids, ticks,
// validation, lifecycle, user exceptions). Components are copyable: the builder gives each
// task its own copy. What they observe goes to process-wide recorders, keyed by a label the
// test chooses, so one test binary can run several topologies side by side.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <squall/squall.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace squall::engine_test {

using squall::testing::Recorder;
using squall::testing::waitFor;

// spdlog's registry is a function-local static inside the uninstrumented libspdlog, so TSan
// cannot see its initialisation guard and reports a race when an executor thread happens to
// log before the main thread does. Build it on the main thread before any topology starts.
inline const bool spdlogReady = (spdlog::default_logger(), true);

// One tuple as a bolt task saw it.
struct Seen {
  int task = 0;  // the receiving task
  std::string component;
  std::string stream;
  int sourceTask = 0;
  Values values;
  bool tick = false;
};

// One emit as the spout saw it: what it sent and the task ids emit() returned.
struct Emitted {
  int sourceTask = 0;
  int64_t n = 0;
  std::vector<int> tasks;
};

// A task as it saw itself in open()/prepare().
struct Started {
  int task = 0;
  int index = 0;
  std::string component;
  std::thread::id thread;
  const void* instance = nullptr;
};

inline Recorder<Seen>& seen() {
  static Recorder<Seen> r;
  return r;
}
inline Recorder<Emitted>& emitted() {
  static Recorder<Emitted> r;
  return r;
}
inline Recorder<Started>& started() {
  static Recorder<Started> r;
  return r;
}
// Free-form lifecycle events ("open", "activate", "close", ...), keyed by label.
inline Recorder<std::string>& events() {
  static Recorder<std::string> r;
  return r;
}

// Acking off unless asked for: fewer threads, and most tests do not need it.
inline Config testConfig(int ackers = 0) {
  Config c;
  c.set(Config::TOPOLOGY_ACKER_EXECUTORS, ackers);
  return c;
}

// Emits `count` tuples ["k<i % keys>", i] per task on `stream`, then nothing. Records every
// emit with the task ids it returned.
class SeqSpout : public BaseRichSpout {
 public:
  SeqSpout(std::string label, int64_t count, int keys = 10, std::string stream = "default")
      : label_(std::move(label)), count_(count), keys_(keys), stream_(std::move(stream)) {}

  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
    started().add(label_, Started{task_, context.getThisTaskIndex(), context.getThisComponentId(),
                                  std::this_thread::get_id(), this});
  }
  void nextTuple() override {
    if (next_ >= count_) return;
    int64_t n = next_++;
    const TaskIds& to =
        collector_->emit(stream_, Values{"k" + std::to_string(n % keys_), n});
    emitted().add(label_, Emitted{task_, n, std::vector<int>(to.begin(), to.end())});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declareStream(stream_, Fields{"key", "n"});
  }

 private:
  std::string label_;
  int64_t count_;
  int keys_;
  std::string stream_;
  SpoutOutputCollector* collector_ = nullptr;
  int task_ = 0;
  int64_t next_ = 0;
};

// Records every tuple it receives (ticks included) and every task it prepares.
class RecordingBolt : public BaseRichBolt {
 public:
  explicit RecordingBolt(std::string label) : label_(std::move(label)) {}

  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
    started().add(label_, Started{task_, context.getThisTaskIndex(), context.getThisComponentId(),
                                  std::this_thread::get_id(), this});
  }
  void execute(const Tuple& t) override {
    seen().add(label_, Seen{task_, t.getSourceComponent(), t.getSourceStreamId(),
                            t.getSourceTask(), t.getValues(), t.isTick()});
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::string label_;
  OutputCollector* collector_ = nullptr;
  int task_ = 0;
};

// Tuples `label` received, ticks excluded.
inline std::vector<Seen> dataSeen(const std::string& label) {
  std::vector<Seen> out;
  for (auto& s : seen().get(label)) {
    if (!s.tick) out.push_back(std::move(s));
  }
  return out;
}

inline size_t dataCount(const std::string& label) { return dataSeen(label).size(); }

// The task ids `label`'s tasks reported in open()/prepare(), ascending.
inline std::vector<int> tasksOf(const std::string& label) {
  std::set<int> ids;
  for (const auto& s : started().get(label)) ids.insert(s.task);
  return {ids.begin(), ids.end()};
}

// Task id -> number of data tuples it received.
inline std::map<int, int> countsByTask(const std::vector<Seen>& s) {
  std::map<int, int> out;
  for (const auto& e : s) ++out[e.task];
  return out;
}

inline bool hasErrorContaining(const std::vector<ReportedError>& errors,
                               const std::string& component, const std::string& text) {
  return std::any_of(errors.begin(), errors.end(), [&](const ReportedError& e) {
    return e.component == component && e.message.find(text) != std::string::npos;
  });
}

inline std::string describe(const std::vector<ReportedError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.component + "[" + std::to_string(e.task) + "]: " + e.message + "\n";
  }
  return out;
}

}  // namespace squall::engine_test
