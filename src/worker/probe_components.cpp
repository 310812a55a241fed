// Components that let a benchmark watch a topology from outside its processes, by class name:
//   squall.testing.ProbeSpout [dir, rate=0, count=0, reliable=true]  emits ["some data", seq]
//       with seq = 0, 1, 2, ... as message id (when reliable), at `rate` tuples/s (0: as fast
//       as it is asked), and stops after `count` new ids (0: never). With a count it remembers
//       every pending id and emits a failed one again, so the end shows ids lost (still
//       pending) and acked twice. It appends to DIR/probe-TASK-PID.log a line "open t=MS" and,
//       at most every 5 ms while something changed, "t=MS emitted=E acked=A failed=F
//       pending=P maxacked=M dup=D" (MS: wall-clock milliseconds; M: the highest seq acked),
//       plus "first_ack t=MS" at its first ack.
//   squall.testing.CountingBolt [dir]  acks every tuple and appends "t=MS count=N" to
//       DIR/count-TASK-PID.log at most every 100 ms.
// One file per process, so a restarted worker starts a new one.

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <deque>
#include <string>
#include <unordered_set>

#include "squall/component_registry.h"
#include "squall/components.h"
#include "squall/topology_context.h"
#include "worker/testing_components.h"

namespace squall::worker {

namespace {

int64_t wallMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

int64_t monoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

FILE* openLog(const std::string& dir, const char* kind, int task) {
  std::string path =
      dir + "/" + kind + "-" + std::to_string(task) + "-" + std::to_string(getpid()) + ".log";
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) throw IllegalArgumentException("cannot write " + path);
  return f;
}

class ProbeSpout : public BaseRichSpout {
 public:
  explicit ProbeSpout(const Values& args) {
    bool ok = !args.empty() && args.size() <= 4 && args[0].isString() &&
              (args.size() < 2 || (args[1].isInt() && args[1].asInt() >= 0)) &&
              (args.size() < 3 || (args[2].isInt() && args[2].asInt() >= 0)) &&
              (args.size() < 4 || args[3].isBool());
    if (!ok)
      throw IllegalArgumentException("ProbeSpout takes [dir, rate=0, count=0, reliable=true]");
    dir_ = args[0].asString();
    if (args.size() > 1) rate_ = args[1].asInt();
    if (args.size() > 2) count_ = args[2].asInt();
    if (args.size() > 3) reliable_ = args[3].asBool();
  }
  ~ProbeSpout() override {
    if (log_) std::fclose(log_);
  }
  void open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    log_ = openLog(dir_, "probe", context.getThisTaskId());
    std::fprintf(log_, "open t=%lld\n", static_cast<long long>(wallMs()));
    std::fflush(log_);
    startNs_ = monoNs();
  }
  void nextTuple() override {
    if (!replay_.empty()) {
      int64_t id = replay_.front();
      replay_.pop_front();
      collector_->emit(Values{payload_, Value(id)}, Value(id));
    } else if ((count_ == 0 || next_ < count_) && due()) {
      int64_t id = next_++;
      if (reliable_) {
        if (count_ > 0) pending_.insert(id);
        collector_->emit(Values{payload_, Value(id)}, Value(id));
      } else {
        collector_->emit(Values{payload_, Value(id)});
      }
    }
    maybeReport(false);
  }
  void ack(const Value& msgId) override {
    int64_t id = msgId.asInt();
    ++acked_;
    if (id > maxAcked_) maxAcked_ = id;
    if (count_ > 0 && pending_.erase(id) == 0) ++duplicates_;
    if (acked_ == 1) {
      std::fprintf(log_, "first_ack t=%lld\n", static_cast<long long>(wallMs()));
      maybeReport(true);
    } else {
      maybeReport(false);
    }
  }
  void fail(const Value& msgId) override {
    ++failed_;
    if (count_ > 0 && pending_.count(msgId.asInt())) replay_.push_back(msgId.asInt());
    maybeReport(false);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"str", "seq"}); }

 private:
  bool due() {
    if (rate_ == 0) return true;
    return next_ < (monoNs() - startNs_) / 1000 * rate_ / 1'000'000;
  }
  // Untracked runs go as fast as they can: they look at the clock every 256 calls only.
  void maybeReport(bool now) {
    if (!now && count_ == 0 && (++calls_ & 255) != 0) return;
    int64_t t = wallMs();
    if (!now && (t - lastReportMs_ < 5 || (next_ == reportedEmitted_ && acked_ == reportedAcked_ &&
                                           failed_ == reportedFailed_))) {
      return;
    }
    lastReportMs_ = t;
    reportedEmitted_ = next_;
    reportedAcked_ = acked_;
    reportedFailed_ = failed_;
    std::fprintf(log_,
                 "t=%lld emitted=%lld acked=%lld failed=%lld pending=%zu maxacked=%lld dup=%lld\n",
                 static_cast<long long>(t), static_cast<long long>(next_),
                 static_cast<long long>(acked_), static_cast<long long>(failed_), pending_.size(),
                 static_cast<long long>(maxAcked_), static_cast<long long>(duplicates_));
    std::fflush(log_);
  }

  std::string dir_;
  int64_t rate_ = 0, count_ = 0;
  bool reliable_ = true;
  const Value payload_{"some data"};
  SpoutOutputCollector* collector_ = nullptr;
  FILE* log_ = nullptr;
  int64_t startNs_ = 0, next_ = 0, acked_ = 0, failed_ = 0, maxAcked_ = -1, duplicates_ = 0;
  int64_t lastReportMs_ = 0, reportedEmitted_ = -1, reportedAcked_ = -1, reportedFailed_ = -1;
  uint64_t calls_ = 0;
  std::unordered_set<int64_t> pending_;
  std::deque<int64_t> replay_;
};

class CountingBolt : public BaseRichBolt {
 public:
  explicit CountingBolt(const Values& args) {
    if (args.size() != 1 || !args[0].isString()) {
      throw IllegalArgumentException("CountingBolt takes [dir]");
    }
    dir_ = args[0].asString();
  }
  ~CountingBolt() override {
    if (log_) std::fclose(log_);
  }
  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    log_ = openLog(dir_, "count", context.getThisTaskId());
  }
  void execute(const Tuple& t) override {
    collector_->ack(t);
    if ((++count_ & 1023) != 0 && count_ != 1) return;
    int64_t now = wallMs();
    if (count_ != 1 && now - lastReportMs_ < 100) return;
    lastReportMs_ = now;
    std::fprintf(log_, "t=%lld count=%llu\n", static_cast<long long>(now),
                 static_cast<unsigned long long>(count_));
    std::fflush(log_);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::string dir_;
  OutputCollector* collector_ = nullptr;
  FILE* log_ = nullptr;
  uint64_t count_ = 0;
  int64_t lastReportMs_ = 0;
};

}  // namespace

void registerProbeComponents() {
  registerComponent<ProbeSpout>("squall.testing.ProbeSpout");
  registerComponent<CountingBolt>("squall.testing.CountingBolt");
}

}  // namespace squall::worker
