// Deterministic components for multi-worker tests, by class name:
//   squall.testing.SequenceSpout [count, keys=16]  a reliable spout: emits ids 0..count-1 (task
//       i of n takes the ids equal to i mod n) as [id, key] with key "k<id mod keys>" and the id
//       as message id; a failed id is emitted again; logs "SEQUENCE START task=T pid=P ids=N" on
//       open and "SEQUENCE COMPLETE task=T acked=A
//       duplicates=D replays=R" once every one of its ids is acked (D counts ids acked twice).
//   squall.testing.RecordingBolt [failPercent=0, forward=false]  logs "RECORD component=C
//       task=T pid=P id=I key=K" for each tuple, fails failPercent % of them (pseudo-randomly,
//       seeded by task id), and otherwise forwards [id, key] anchored when `forward`, then acks.
//   squall.testing.LedgerSpout [dir, perSecond=100, keys=16]  a reliable spout whose source is
//       durable, as a Kafka topic is: it appends "E id", "A id" and "F id" (emitted, acked,
//       failed) to DIR/ledger-TASK.log with one write(2) each, so the lines survive kill -9 of
//       its worker; a spout started again (a restarted or reassigned worker) reads the ledger,
//       replays every id emitted and never acked, and goes on after the highest. New ids come
//       at perSecond until DIR/stop exists; failed ids are replayed. The fault tests count ids
//       lost and acked twice from the ledger alone.

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <unordered_set>

#include "squall/component_registry.h"
#include "squall/components.h"
#include "squall/topology_context.h"
#include "worker/testing_components.h"

namespace squall::worker {

namespace {

class SequenceSpout : public BaseRichSpout {
 public:
  explicit SequenceSpout(const Values& args) {
    if (args.empty() || !args[0].isInt() || args[0].asInt() < 0 ||
        (args.size() > 1 && (!args[1].isInt() || args[1].asInt() < 1))) {
      throw IllegalArgumentException("SequenceSpout takes [count, keys=16]");
    }
    count_ = args[0].asInt();
    if (args.size() > 1) keys_ = args[1].asInt();
  }
  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
    int64_t index = context.getThisTaskIndex();
    int64_t tasks =
        static_cast<int64_t>(context.getComponentTasks(context.getThisComponentId()).size());
    for (int64_t id = index; id < count_; id += tasks) todo_.push_back(id);
    expected_ = todo_.size();
    spdlog::info("SEQUENCE START task={} pid={} ids={}", task_, getpid(), expected_);
    if (expected_ == 0) complete();
  }
  void nextTuple() override {
    if (todo_.empty()) return;
    int64_t id = todo_.front();
    todo_.pop_front();
    collector_->emit(kDefaultStream, Values{id, "k" + std::to_string(id % keys_)}, Value(id));
  }
  void ack(const Value& msgId) override {
    if (!acked_.insert(msgId.asInt()).second) {
      ++duplicates_;
      return;
    }
    if (acked_.size() == expected_) complete();
  }
  void fail(const Value& msgId) override {
    if (acked_.count(msgId.asInt())) return;
    ++replays_;
    todo_.push_back(msgId.asInt());
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id", "key"}); }

 private:
  void complete() {
    spdlog::info("SEQUENCE COMPLETE task={} acked={} duplicates={} replays={}", task_,
                 acked_.size(), duplicates_, replays_);
  }
  int64_t count_ = 0, keys_ = 16;
  SpoutOutputCollector* collector_ = nullptr;
  int task_ = 0;
  std::deque<int64_t> todo_;
  std::unordered_set<int64_t> acked_;
  size_t expected_ = 0;
  uint64_t duplicates_ = 0, replays_ = 0;
};

class RecordingBolt : public BaseRichBolt {
 public:
  explicit RecordingBolt(const Values& args) {
    if (args.size() > 2 || (!args.empty() && !args[0].isInt()) ||
        (args.size() > 1 && !args[1].isBool())) {
      throw IllegalArgumentException("RecordingBolt takes [failPercent=0, forward=false]");
    }
    if (!args.empty()) failPercent_ = args[0].asInt();
    if (args.size() > 1) forward_ = args[1].asBool();
  }
  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
    component_ = context.getThisComponentId();
    rng_.seed(static_cast<uint64_t>(task_) * 7919 + static_cast<uint64_t>(getpid()));
  }
  void execute(const Tuple& t) override {
    spdlog::info("RECORD component={} task={} pid={} id={} key={}", component_, task_, getpid(),
                 t.getValue(0).toString(), t.getValue(1).toString());
    if (failPercent_ > 0 && static_cast<int64_t>(rng_() % 100) < failPercent_) {
      collector_->fail(t);
      return;
    }
    if (forward_) collector_->emit(t, Values{t.getValue(0), t.getValue(1)});
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id", "key"}); }

 private:
  int64_t failPercent_ = 0;
  bool forward_ = false;
  OutputCollector* collector_ = nullptr;
  int task_ = 0;
  std::string component_;
  std::mt19937_64 rng_;
};

class LedgerSpout : public BaseRichSpout {
 public:
  explicit LedgerSpout(const Values& args) {
    if (args.empty() || !args[0].isString() || (args.size() > 1 && !args[1].isInt()) ||
        (args.size() > 2 && !args[2].isInt()) || args.size() > 3) {
      throw IllegalArgumentException("LedgerSpout takes [dir, perSecond=100, keys=16]");
    }
    dir_ = args[0].asString();
    if (args.size() > 1) perSecond_ = std::max<int64_t>(1, args[1].asInt());
    if (args.size() > 2) keys_ = std::max<int64_t>(1, args[2].asInt());
  }
  ~LedgerSpout() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    std::string path = fmt::format("{}/ledger-{}.log", dir_, context.getThisTaskId());
    // What an earlier instance of this task emitted and never saw acked is replayed first.
    std::set<int64_t> emitted, acked;
    std::ifstream in(path);
    char kind = 0;
    int64_t id = 0;
    while (in >> kind >> id) {
      if (kind == 'E') emitted.insert(id);
      if (kind == 'A') acked.insert(id);
      next_ = std::max(next_, id + 1);
    }
    for (int64_t e : emitted) {
      if (!acked.count(e)) replay_.push_back(e);
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("LedgerSpout cannot open " + path);
    spdlog::info("LEDGER START task={} pid={} next={} replaying={}", context.getThisTaskId(),
                 getpid(), next_, replay_.size());
    started_ = std::chrono::steady_clock::now();
  }
  void nextTuple() override {
    int64_t id = 0;
    if (!replay_.empty()) {
      id = replay_.front();
      replay_.pop_front();
    } else {
      auto now = std::chrono::steady_clock::now();
      if (now < started_ + std::chrono::microseconds(1'000'000 * sent_ / perSecond_)) return;
      if (now >= checkStop_) {
        checkStop_ = now + std::chrono::milliseconds(100);
        struct stat st;
        stopped_ = ::stat((dir_ + "/stop").c_str(), &st) == 0;
      }
      if (stopped_) return;
      id = next_++;
      ++sent_;
    }
    record('E', id);
    collector_->emit(kDefaultStream, Values{id, "k" + std::to_string(id % keys_)}, Value(id));
  }
  void ack(const Value& msgId) override { record('A', msgId.asInt()); }
  void fail(const Value& msgId) override {
    record('F', msgId.asInt());
    replay_.push_back(msgId.asInt());
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id", "key"}); }

 private:
  void record(char kind, int64_t id) {
    std::string line = fmt::format("{} {}\n", kind, id);
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      spdlog::error("LedgerSpout: cannot append to its ledger in {}", dir_);
    }
  }
  std::string dir_;
  int64_t perSecond_ = 100, keys_ = 16, next_ = 0, sent_ = 0;
  int fd_ = -1;
  bool stopped_ = false;
  SpoutOutputCollector* collector_ = nullptr;
  std::deque<int64_t> replay_;
  std::chrono::steady_clock::time_point started_, checkStop_;
};

}  // namespace

void registerTestingComponents() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerComponent<SequenceSpout>("squall.testing.SequenceSpout");
    registerComponent<RecordingBolt>("squall.testing.RecordingBolt");
    registerComponent<LedgerSpout>("squall.testing.LedgerSpout");
    registerProbeComponents();
  });
}

}  // namespace squall::worker
