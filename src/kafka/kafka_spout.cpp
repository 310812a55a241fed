// KafkaSpout: Storm's KafkaSpout lifecycle (storm-kafka-client's KafkaSpout.java: open,
// activate, nextTuple, ack, fail, commit, deactivate, close) on the KafkaConsumer interface.
//
// Threads: every spout call runs on the executor thread, which owns all of the state below.
// The blocking control-plane work — partition discovery, committed offsets and watermarks of
// newly assigned partitions — runs on a BackgroundWorker and hands back a Discovery that the
// executor thread applies. Commits are asynchronous on the executor thread (results polled
// without blocking), except on revoke and close, which wait a bounded time. Stopping takes at
// most kBoundedWait plus the consumer's short close, whatever the brokers do: deactivate
// starts a commit without waiting, and close waits for the commits until kBoundedWait after
// the deactivate (or after its own start), having told the discovery thread to give up.
//
// Message ids are (partition slot, offset) packed into one integer: a slot names one
// assignment of one partition to this task, so acks and fails of a partition that was
// revoked (even if it came back since) find no slot and are ignored, as Storm ignores them.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <regex>
#include <unordered_map>

#include "kafka/background_worker.h"
#include "kafka/commit_metadata.h"
#include "kafka/flux_bean.h"
#include "kafka/map_args.h"
#include "kafka/offset_manager.h"
#include "kafka/rdkafka_consumer.h"
#include "squall/kafka_spout.h"
#include "squall/topology_context.h"

namespace squall::kafka {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimerDelay = std::chrono::milliseconds(500);  // Storm's TIMER_DELAY_MS
constexpr auto kBoundedWait = std::chrono::seconds(5);        // commits on revoke/deactivate/close
constexpr auto kDiscoveryRetry = std::chrono::seconds(1);     // after a failed discovery
constexpr auto kRetrySeekPatience = std::chrono::seconds(5);  // re-seek if nothing came back
// Copies of emitted, unacked records kept per task for prompt retries (see Partition::kept).
constexpr size_t kKeepBudgetBytes = size_t{16} << 20;
constexpr int64_t kKeepMaxGap = 64;  // offsets skipped (compaction) filled with empty slots
constexpr auto kReportEvery = std::chrono::seconds(10);  // per kind of problem
constexpr auto kMetricsPublish = std::chrono::seconds(1);
constexpr int kOffsetBits = 44;
constexpr uint64_t kMaxSlot = (uint64_t{1} << (63 - kOffsetBits)) - 1;
constexpr int64_t kOffsetMask = (int64_t{1} << kOffsetBits) - 1;

// Live metrics of every open spout task, for kafkaSpoutMetrics().
struct MetricsCell {
  mutable std::mutex mu;
  KafkaSpoutMetrics m;
};
struct MetricsRegistry {
  std::mutex mu;
  std::map<const void*, std::shared_ptr<MetricsCell>> cells;
};
MetricsRegistry& metricsRegistry() {
  static MetricsRegistry r;
  return r;
}

Value encodeId(uint64_t slot, int64_t offset) {
  if (slot <= kMaxSlot && offset >= 0 && offset <= kOffsetMask) {
    return Value(static_cast<int64_t>((slot << kOffsetBits) | static_cast<uint64_t>(offset)));
  }
  return Value(List{Value(static_cast<int64_t>(slot)), Value(offset)});
}

bool decodeId(const Value& id, uint64_t& slot, int64_t& offset) {
  if (id.isInt()) {
    int64_t v = id.asInt();
    slot = static_cast<uint64_t>(v) >> kOffsetBits;
    offset = v & kOffsetMask;
    return true;
  }
  if (id.isList() && id.asList().size() == 2 && id.asList()[0].isInt() && id.asList()[1].isInt()) {
    slot = static_cast<uint64_t>(id.asList()[0].asInt());
    offset = id.asList()[1].asInt();
    return true;
  }
  return false;
}

}  // namespace

// What the discovery thread found: the partitions this task should own and, for those new to
// it, where each starts.
struct Discovery {
  std::vector<TopicPartition> mine;
  std::vector<std::string> missingTopics;
  std::map<TopicPartition, int64_t> start;
  std::map<TopicPartition, std::string> why;  // how the start was chosen, for the log
  bool unchanged = false;
  std::string error;
};

class KafkaSpout::Impl {
 public:
  Impl(const KafkaSpoutConfig& cfg, TopologyContext& ctx, SpoutOutputCollector& out);
  ~Impl();

  void activate();
  void deactivate();
  void close();
  void nextTuple();
  void ack(const Value& id);
  void fail(const Value& id);
  std::shared_ptr<MetricsCell> cell() const { return cell_; }

 private:
  struct Partition {
    TopicPartition tp;
    uint64_t slot = 0;
    std::unique_ptr<OffsetManager> mgr;  // AT_LEAST_ONCE only
    int64_t position = 0;                // next offset the consumer returns to us
    int64_t committed = 0;               // last committed offset, or where we started
    bool paused = false;
    std::optional<int64_t> retrySeek;  // sought back to this offset, no record seen since
    Clock::time_point retrySeekAt;
    std::unordered_map<int64_t, int> failCounts;
    int64_t emitted = 0;
    int64_t latestEmitted = -1;
    // AT_LEAST_ONCE: copies of the records of emitted, not yet acked tuples, so a failed one
    // is emitted again the moment its retry is due, without a seek and a fetch round (which
    // cost up to fetch.wait.max.ms). Slot i holds offset keptBase + i; acked slots empty and
    // leave from the front. Records that do not fit the task's budget are retried by seeking.
    struct Kept {
      bool has = false;
      int64_t timestamp = -1;
      std::optional<std::string> key, value;
    };
    std::deque<Kept> kept;
    int64_t keptBase = 0;
    int64_t keptLive = 0;
    size_t keptBytes = 0;  // payloads plus slots
  };
  struct PendingCommit {
    std::vector<std::pair<uint64_t, int64_t>> slots;  // slot, offset
    bool atMostOnceGate = false;
  };

  bool atLeastOnce() const { return guarantee_ == ProcessingGuarantee::AT_LEAST_ONCE; }
  Partition* find(const std::string& topic, int32_t partition);
  bool submitDiscovery();
  Discovery discover(const std::vector<TopicPartition>& current);
  void applyDiscovery(Discovery d);
  bool poll(Clock::time_point now);
  void postProcess();
  bool emitRecord(ConsumerRecord& r, Clock::time_point now);
  // Waits for the commit until `deadline` when given.
  void commitAcked(std::optional<Clock::time_point> deadline);
  void commitPositions(bool gate);
  void startCommit(std::vector<std::pair<TopicPartition, OffsetAndMetadata>> offsets,
                   PendingCommit pending);
  void serviceCommits(std::chrono::milliseconds wait);
  void waitForCommits(Clock::time_point deadline);
  void onCommitResult(const CommitResult& r);
  void applyCommitted(Partition& p, int64_t offset);
  void keep(Partition& p, const ConsumerRecord& r);
  void unkeep(Partition& p, int64_t offset);
  void dropKept(Partition& p);
  bool emitKeptRetry();
  void report(const std::string& kind, const std::string& message);
  void publishMetrics(bool log);
  void stopBackground();

  const KafkaSpoutConfig& cfg_;
  const ProcessingGuarantee guarantee_;
  SpoutOutputCollector& out_;
  const std::string stormId_;
  const std::string component_;
  const int taskId_;
  const int taskIndex_;
  const int numTasks_;
  const std::string metadata_;
  const bool commitsEnabled_;
  const int64_t maxUncommitted_;
  const size_t maxPollRecords_;
  const std::string nullStream_;
  // emitNullTuples: Storm emits a null value list; the runtime checks arity, so all nulls.
  const Values nullTuple_;
  KafkaTupleListener& listener_;
  std::unique_ptr<KafkaConsumer> consumer_;
  std::unique_ptr<KafkaSpoutRetryService> retry_;

  std::map<TopicPartition, std::unique_ptr<Partition>> parts_;
  // Partition by slot (slots count up from 1 per assignment); nullptr once revoked.
  std::vector<Partition*> bySlot_{nullptr};
  uint64_t nextSlot_ = 1;
  Partition* last_ = nullptr;  // lookup cache: records come in runs per partition

  std::vector<ConsumerRecord> waiting_;  // the last poll's records; a dropped one has partition -1
  size_t keptBytes_ = 0;                 // over all partitions' kept records
  size_t next_ = 0;
  std::vector<std::string> pollErrors_;

  Clock::time_point nextCommit_, nextRefresh_, nextPublish_, nextLog_;
  uint32_t calls_ = 0;

  uint64_t lastToken_ = 0;
  std::map<uint64_t, PendingCommit> pending_;
  bool gated_ = false;  // AT_MOST_ONCE: records wait for their commit

  BackgroundWorker worker_;
  std::mutex discoveryMu_;
  std::optional<Discovery> discovered_;  // guarded by discoveryMu_
  bool everAssigned_ = false;
  bool closed_ = false;
  std::optional<Clock::time_point> deactivatedAt_;

  std::map<std::string, std::pair<Clock::time_point, int64_t>> reported_;  // kind -> last, muted
  std::shared_ptr<MetricsCell> cell_ = std::make_shared<MetricsCell>();
  int64_t commitsOk_ = 0, commitsFailed_ = 0, retries_ = 0, maxRetriesReached_ = 0;
};

KafkaSpout::Impl::Impl(const KafkaSpoutConfig& cfg, TopologyContext& ctx, SpoutOutputCollector& out)
    : cfg_(cfg),
      guarantee_(cfg.processingGuarantee()),
      out_(out),
      stormId_(ctx.getStormId()),
      component_(ctx.getThisComponentId()),
      taskId_(ctx.getThisTaskId()),
      taskIndex_(ctx.getThisTaskIndex()),
      numTasks_(static_cast<int>(ctx.getComponentTasks(ctx.getThisComponentId()).size())),
      metadata_(makeCommitMetadata(stormId_, taskId_,
                                   fmt::format("executor[{} {}]", component_, taskId_))),
      commitsEnabled_(cfg.groupId().has_value()),
      maxUncommitted_(cfg.maxUncommittedOffsets()),
      maxPollRecords_(static_cast<size_t>(cfg.maxPollRecords())),
      nullStream_(cfg.translator().streams().empty() ? std::string(kDefaultStream)
                                                     : cfg.translator().streams().front()),
      nullTuple_(std::vector<Value>(cfg.translator().getFieldsFor(nullStream_).size())),
      listener_(*cfg.tupleListener()),
      retry_(cfg.retry().clone()) {
  if (!commitsEnabled_) {
    spdlog::warn(
        "KafkaSpout '{}' task {}: no group.id; offsets are not committed and a restart starts "
        "over per the FirstPollOffsetStrategy",
        component_, taskId_);
  }
  if (cfg.consumerFactory()) {
    consumer_ = cfg.consumerFactory()(cfg, taskId_);
  } else {
    auto props = cfg.kafkaProps();
    if (!props.count("client.id"))
      props["client.id"] = fmt::format("squall-{}-{}", component_, taskId_);
    // librdkafka needs a group for its consumer queue; without one nothing is committed.
    if (!commitsEnabled_) props["group.id"] = fmt::format("squall-uncommitted-{}", stormId_);
    consumer_ = std::make_unique<RdKafkaConsumer>(
        props, fmt::format("KafkaSpout '{}' task {}", component_, taskId_));
  }
  auto now = Clock::now();
  nextCommit_ = now + kTimerDelay;
  nextRefresh_ = now + kTimerDelay;
  nextPublish_ = now;
  nextLog_ = now + std::chrono::milliseconds(cfg.metricsLogPeriodMs());
  {
    std::lock_guard lock(cell_->mu);
    cell_->m.stormId = stormId_;
    cell_->m.componentId = component_;
    cell_->m.taskId = taskId_;
  }
  {
    auto& reg = metricsRegistry();
    std::lock_guard lock(reg.mu);
    reg.cells[this] = cell_;
  }
  worker_.start();
}

KafkaSpout::Impl::~Impl() {
  // Without close() (the task crashed): nothing is committed, as when a Storm worker dies.
  worker_.requestStop();
  consumer_->interrupt();
  stopBackground();
}

void KafkaSpout::Impl::stopBackground() {
  worker_.stop();
  auto& reg = metricsRegistry();
  std::lock_guard lock(reg.mu);
  reg.cells.erase(this);
}

KafkaSpout::Impl::Partition* KafkaSpout::Impl::find(const std::string& topic, int32_t partition) {
  if (last_ && last_->tp.partition == partition && last_->tp.topic == topic) return last_;
  for (auto& [tp, p] : parts_) {
    if (tp.partition == partition && tp.topic == topic) return last_ = p.get();
  }
  return nullptr;
}

void KafkaSpout::Impl::report(const std::string& kind, const std::string& message) {
  auto now = Clock::now();
  auto& [last, muted] = reported_[kind];
  if (last != Clock::time_point{} && now - last < kReportEvery) {
    ++muted;
    return;
  }
  std::string text =
      muted ? fmt::format("{} ({} more like this since the last report)", message, muted) : message;
  last = now;
  muted = 0;
  spdlog::error("KafkaSpout '{}' task {}: {}", component_, taskId_, text);
  out_.reportError(fmt::format("KafkaSpout: {}", text));
}

// --- Assignment ----------------------------------------------------------------------------------

bool KafkaSpout::Impl::submitDiscovery() {
  std::vector<TopicPartition> current;
  for (const auto& [tp, p] : parts_) current.push_back(tp);
  return worker_.submit([this, current = std::move(current)] {
    Discovery d = discover(current);
    std::lock_guard lock(discoveryMu_);
    discovered_ = std::move(d);
  });
}

// On the worker thread: touches only the configuration and the consumer's control plane.
Discovery KafkaSpout::Impl::discover(const std::vector<TopicPartition>& current) {
  Discovery d;
  try {
    std::vector<TopicPartition> all;
    if (const auto& pattern = cfg_.topicPattern()) {
      std::regex re(pattern->regex);
      std::vector<std::string> matched;
      for (auto& t : consumer_->listTopics()) {
        if (std::regex_match(t, re)) matched.push_back(std::move(t));
      }
      all = consumer_->partitionsFor(matched, nullptr);
    } else {
      all = consumer_->partitionsFor(cfg_.topics(), &d.missingTopics);
    }
    std::sort(all.begin(), all.end());
    // Storm's RoundRobinManualPartitioner: task i of N takes positions i, i+N, i+2N, ...
    for (size_t i = static_cast<size_t>(taskIndex_); i < all.size();
         i += static_cast<size_t>(numTasks_)) {
      d.mine.push_back(all[i]);
    }
    if (d.mine == current) {
      d.unchanged = true;
      return d;
    }
    std::vector<TopicPartition> fresh;
    std::set_difference(d.mine.begin(), d.mine.end(), current.begin(), current.end(),
                        std::back_inserter(fresh));
    std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed;
    if (commitsEnabled_ && !fresh.empty()) committed = consumer_->committed(fresh);
    auto strategy = cfg_.firstPollOffsetStrategy();
    bool earliest = strategy == FirstPollOffsetStrategy::EARLIEST ||
                    strategy == FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST;
    bool uncommitted = strategy == FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST ||
                       strategy == FirstPollOffsetStrategy::UNCOMMITTED_LATEST;
    for (const auto& tp : fresh) {
      auto it = committed.find(tp);
      const std::optional<OffsetAndMetadata>* c = it == committed.end() ? nullptr : &it->second;
      if (c && *c) {
        auto owner = commitMetadataTopologyId((*c)->metadata);
        if (owner && *owner == stormId_) {
          d.start[tp] = (*c)->offset;
          d.why[tp] = "committed by this topology";
          continue;
        }
        if (uncommitted) {
          d.start[tp] = (*c)->offset;
          d.why[tp] = owner ? fmt::format("committed by topology {}", *owner)
                            : "committed by another client";
          continue;
        }
      }
      // Absolute offsets, so the OffsetManager knows its start (librdkafka's position() is
      // unknown until a record was consumed).
      auto [lo, hi] = consumer_->watermarks(tp);
      d.start[tp] = earliest ? lo : hi;
      d.why[tp] = fmt::format(
          "{} ({})", earliest ? "log start" : "log end",
          (c && *c) ? "strategy ignores the commit of an earlier submission" : "nothing committed");
    }
  } catch (const std::exception& e) {
    d.error = e.what();
  }
  return d;
}

void KafkaSpout::Impl::applyDiscovery(Discovery d) {
  auto now = Clock::now();
  if (!d.error.empty()) {
    report("discovery", fmt::format("cannot assign partitions, retrying: {}", d.error));
    nextRefresh_ = std::min(nextRefresh_, now + kDiscoveryRetry);
    return;
  }
  if (!d.missingTopics.empty()) {
    std::string names;
    for (const auto& t : d.missingTopics) names += (names.empty() ? "" : ", ") + t;
    report("missing-topic", fmt::format("topic(s) {} do not exist (yet); will pick them up when "
                                        "they do",
                                        names));
  }
  if (d.unchanged) return;
  std::vector<TopicPartition> removed, added;
  std::set<TopicPartition> mine(d.mine.begin(), d.mine.end());
  for (const auto& [tp, p] : parts_) {
    if (!mine.count(tp)) removed.push_back(tp);
  }
  for (const auto& tp : d.mine) {
    if (!parts_.count(tp)) added.push_back(tp);
  }
  // A partition the discovery did not find new (so has no start) means the assignment
  // changed under it; try again.
  for (const auto& tp : added) {
    if (!d.start.count(tp)) {
      nextRefresh_ = now;
      return;
    }
  }
  // Storm's order: commit what is acked (revoke), assign, then initialise the new partitions.
  if (atLeastOnce() && !removed.empty()) commitAcked(now + kBoundedWait);
  std::vector<std::pair<TopicPartition, int64_t>> add;
  for (const auto& tp : added) add.emplace_back(tp, d.start.at(tp));
  try {
    consumer_->assign(add, removed);
  } catch (const std::exception& e) {
    report("assign", fmt::format("cannot change the assignment, retrying: {}", e.what()));
    nextRefresh_ = now + kDiscoveryRetry;
    return;
  }
  for (const auto& tp : removed) {
    auto it = parts_.find(tp);
    bySlot_[it->second->slot] = nullptr;
    dropKept(*it->second);
    parts_.erase(it);
  }
  last_ = nullptr;
  if (!removed.empty()) {
    retry_->retainAll(mine);
    for (size_t i = next_; i < waiting_.size(); ++i) {
      if (!find(waiting_[i].topic, waiting_[i].partition)) waiting_[i].partition = -1;
    }
  }
  for (const auto& tp : added) {
    auto p = std::make_unique<Partition>();
    p->tp = tp;
    p->slot = nextSlot_++;
    p->position = d.start.at(tp);
    p->committed = p->position;
    if (atLeastOnce()) p->mgr = std::make_unique<OffsetManager>(p->position);
    bySlot_.push_back(p.get());  // index == p->slot
    spdlog::info("KafkaSpout '{}' task {}: assigned {} from offset {} ({})", component_, taskId_,
                 tp.toString(), p->position, d.why[tp]);
    parts_.emplace(tp, std::move(p));
  }
  for (const auto& tp : removed) {
    spdlog::info("KafkaSpout '{}' task {}: revoked {}", component_, taskId_, tp.toString());
  }
  everAssigned_ = true;
  listener_.onPartitionsReassigned(d.mine);
  publishMetrics(false);
}

// --- Lifecycle -----------------------------------------------------------------------------------

void KafkaSpout::Impl::activate() {
  deactivatedAt_.reset();
  // Storm refreshes the assignment here; ours arrives from the worker a moment later.
  auto now = Clock::now();
  nextRefresh_ =
      submitDiscovery() ? now + std::chrono::milliseconds(cfg_.partitionRefreshPeriodMs()) : now;
}

void KafkaSpout::Impl::deactivate() {
  // The consumer stays open and assigned (metrics keep working); only commit. Without waiting:
  // the executor deactivates its tasks one after another, and a kill follows a deactivate
  // within seconds, so close() waits for this commit (within kBoundedWait of now).
  deactivatedAt_ = Clock::now();
  if (atLeastOnce()) commitAcked(std::nullopt);
}

void KafkaSpout::Impl::close() {
  if (closed_) return;
  closed_ = true;
  auto now = Clock::now();
  // Blocking broker calls of the discovery thread give up now, while the commits finish.
  worker_.requestStop();
  consumer_->interrupt();
  auto deadline = deactivatedAt_ && now - *deactivatedAt_ < kBoundedWait
                      ? *deactivatedAt_ + kBoundedWait
                      : now + kBoundedWait;
  if (!pending_.empty()) waitForCommits(deadline);
  if (atLeastOnce() && Clock::now() < deadline) commitAcked(deadline);
  stopBackground();
  try {
    consumer_->close();
  } catch (const std::exception& e) {
    spdlog::warn("KafkaSpout '{}' task {}: closing the consumer: {}", component_, taskId_,
                 e.what());
  }
}

// --- nextTuple -----------------------------------------------------------------------------------

void KafkaSpout::Impl::nextTuple() {
  // Timers are checked on every poll and every 64th call, not on every emit.
  bool mustPoll = next_ >= waiting_.size();
  if (mustPoll || (++calls_ & 63) == 0 || gated_) {
    auto now = Clock::now();
    if (!pending_.empty()) serviceCommits(std::chrono::milliseconds(0));
    {
      std::optional<Discovery> d;
      {
        std::lock_guard lock(discoveryMu_);
        d.swap(discovered_);
      }
      if (d) applyDiscovery(std::move(*d));
    }
    if (now >= nextRefresh_ && !worker_.busy()) {
      submitDiscovery();
      nextRefresh_ = now + std::chrono::milliseconds(cfg_.partitionRefreshPeriodMs());
    }
    if (now >= nextCommit_) {
      nextCommit_ = now + std::chrono::milliseconds(cfg_.offsetCommitPeriodMs());
      if (atLeastOnce()) {
        commitAcked(std::nullopt);
      } else if (guarantee_ == ProcessingGuarantee::NO_GUARANTEE) {
        commitPositions(false);
      }
    }
    if (now >= nextPublish_) {
      bool log = cfg_.metricsLogPeriodMs() > 0 && now >= nextLog_;
      if (log) nextLog_ = now + std::chrono::milliseconds(cfg_.metricsLogPeriodMs());
      publishMetrics(log);
      nextPublish_ = now + kMetricsPublish;
    }
    if (gated_) return;
  }
  // A due retry of a record still kept goes first, before anything is polled or emitted.
  if (keptBytes_ > 0 && retry_->scheduledCount() > 0 && emitKeptRetry()) return;
  if (mustPoll && (!poll(Clock::now()) || gated_)) return;
  auto now = Clock::time_point{};
  while (next_ < waiting_.size()) {
    ConsumerRecord& r = waiting_[next_++];
    if (r.partition < 0) continue;
    if (now == Clock::time_point{} && retry_->scheduledCount() > 0) now = Clock::now();
    if (emitRecord(r, now)) return;
  }
}

bool KafkaSpout::Impl::poll(Clock::time_point now) {
  waiting_.clear();
  next_ = 0;
  if (parts_.empty()) return false;
  if (atLeastOnce()) {
    std::map<TopicPartition, int64_t> ready;
    if (retry_->scheduledCount() > 0) ready = retry_->earliestRetriableOffsets(now);
    std::vector<TopicPartition> pause, resume;
    for (auto& [tp, p] : parts_) {
      auto r = ready.find(tp);
      bool pollable = p->mgr->numUncommittedOffsets() < maxUncommitted_;
      if (!pollable && r != ready.end()) {
        // Over the limit, but a due retry inside the window may still be polled.
        auto nth = p->mgr->nthUncommittedOffsetAfterCommittedOffset(maxUncommitted_);
        pollable = nth && r->second <= *nth;
      }
      if (pollable && r != ready.end() && p->position > r->second &&
          (!p->retrySeek || now - p->retrySeekAt > kRetrySeekPatience)) {
        // Replay from the earliest due retry; acked and in-flight records are skipped.
        try {
          consumer_->seek(tp, r->second);
          p->position = r->second;
          p->retrySeek = r->second;
          p->retrySeekAt = now;
        } catch (const std::exception& e) {
          report("seek", e.what());
        }
      }
      if (pollable == p->paused) {
        (pollable ? resume : pause).push_back(tp);
        p->paused = !pollable;
      }
    }
    consumer_->pause(pause);
    consumer_->resume(resume);
  }
  pollErrors_.clear();
  try {
    consumer_->poll(waiting_, maxPollRecords_, std::chrono::milliseconds(cfg_.pollTimeoutMs()),
                    pollErrors_);
  } catch (const std::exception& e) {
    // Retriable or not, the next nextTuple polls again (Storm: STORM-3529).
    pollErrors_.push_back(e.what());
  }
  if (!pollErrors_.empty()) {
    std::string all;
    for (const auto& e : pollErrors_) {
      if (all.size() < 1000) all += (all.empty() ? "" : "; ") + e;
    }
    report("poll", fmt::format("consumer: {}", all));
  }
  if (waiting_.empty()) return false;
  postProcess();
  if (guarantee_ == ProcessingGuarantee::AT_MOST_ONCE) commitPositions(true);
  return true;
}

// Bookkeeping over a fresh batch, before anything of it is emitted.
void KafkaSpout::Impl::postProcess() {
  last_ = nullptr;
  Partition* prev = nullptr;
  for (auto& r : waiting_) {
    Partition* p = find(r.topic, r.partition);
    if (!p) {
      r.partition = -1;  // revoked meanwhile
      continue;
    }
    if (p != prev && p->retrySeek) {
      // The first record after a retry seek: offsets between the seek and it are gone from
      // the log (compaction); their retries can never happen, so they count as done
      // (Storm's STORM-2546).
      int64_t from = *p->retrySeek;
      p->retrySeek.reset();
      if (atLeastOnce() && r.offset > from) {
        for (int64_t o = from; o < r.offset; ++o) {
          if (!retry_->isScheduled(p->tp, o)) continue;
          retry_->remove(p->tp, o);
          p->failCounts.erase(o);
          unkeep(*p, o);
          p->mgr->addToAcked(o);
          listener_.onAck(KafkaSpoutMessageId{p->tp, o, 0});
          spdlog::warn(
              "KafkaSpout '{}' task {}: {} offset {} was failed and is gone from the "
              "log (compacted?); treating it as done",
              component_, taskId_, p->tp.toString(), o);
        }
      }
    }
    prev = p;
    if (atLeastOnce() && r.offset < p->mgr->committedOffset()) {
      // Below the commit point: the consumer's position was reset backwards
      // (auto.offset.reset after the log was truncated or the topic recreated).
      spdlog::warn(
          "KafkaSpout '{}' task {}: {} went back from {} to {}; restarting its "
          "bookkeeping there",
          component_, taskId_, p->tp.toString(), p->mgr->committedOffset(), r.offset);
      p->mgr = std::make_unique<OffsetManager>(r.offset);
      p->failCounts.clear();
      dropKept(*p);
      std::set<TopicPartition> others;
      for (const auto& [tp, q] : parts_) {
        if (q.get() != p) others.insert(tp);
      }
      // Schedules of this partition refer to the old log.
      retry_->retainAll(others);
      p->committed = r.offset;
    }
    p->position = r.offset + 1;
  }
}

bool KafkaSpout::Impl::emitRecord(ConsumerRecord& r, Clock::time_point now) {
  Partition* p = find(r.topic, r.partition);
  if (!p) return false;
  const int64_t offset = r.offset;
  if (!atLeastOnce()) {
    std::optional<KafkaTuple> t = cfg_.translator().take(std::move(r));
    if (!t && !cfg_.emitNullTuples()) return false;
    ++p->emitted;
    p->latestEmitted = std::max(p->latestEmitted, offset);
    Value id = cfg_.tupleTrackingEnforced() ? encodeId(p->slot, offset) : Value();
    if (t) {
      out_.emit(t->stream, std::move(t->values), std::move(id));
    } else {
      out_.emit(nullStream_, nullTuple_, std::move(id));
    }
    return true;
  }
  OffsetManager& m = *p->mgr;
  OffsetState st = m.state(offset);
  if (st == OffsetState::kAcked || st == OffsetState::kInFlight) return false;
  if (offset < m.committedOffset()) return false;
  bool scheduled = st == OffsetState::kFailed && retry_->isScheduled(p->tp, offset);
  // A retry that is not due yet: dropped now, re-polled after the seek back to it.
  if (scheduled && !retry_->isReady(p->tp, offset, now)) return false;
  // A copy stays until the tuple is acked; the record's own strings may then move.
  if (!scheduled) keep(*p, r);
  std::optional<KafkaTuple> t = cfg_.translator().take(std::move(r));
  auto fails = p->failCounts.empty() ? p->failCounts.end() : p->failCounts.find(offset);
  KafkaSpoutMessageId mid{p->tp, offset, fails == p->failCounts.end() ? 0 : fails->second};
  if (!t && !cfg_.emitNullTuples()) {
    // Nothing to emit, but the offset must become committable (STORM-2409).
    unkeep(*p, offset);
    m.addToAcked(offset);
    if (scheduled) retry_->remove(p->tp, offset);
    if (fails != p->failCounts.end()) p->failCounts.erase(fails);
    listener_.onAck(mid);
    return false;
  }
  // Bookkeeping before the emit: with acking off the ack arrives inside emit().
  m.addToEmitted(offset);
  if (scheduled) retry_->remove(p->tp, offset);
  ++p->emitted;
  p->latestEmitted = std::max(p->latestEmitted, offset);
  Value id = encodeId(p->slot, offset);
  if (t) {
    out_.emit(t->stream, std::move(t->values), std::move(id));
  } else {
    out_.emit(nullStream_, nullTuple_, std::move(id));
  }
  listener_.onEmit(mid);
  return true;
}

void KafkaSpout::Impl::ack(const Value& id) {
  if (!atLeastOnce()) return;
  uint64_t slot;
  int64_t offset;
  if (!decodeId(id, slot, offset)) return;
  Partition* part = slot < bySlot_.size() ? bySlot_[slot] : nullptr;
  if (!part) return;  // a revoked partition: its acks no longer count
  Partition& p = *part;
  if (!p.mgr->isInFlight(offset)) return;  // a duplicate, or from before a reset
  p.mgr->addToAcked(offset);
  if (p.keptLive) unkeep(p, offset);
  int numFails = 0;
  if (!p.failCounts.empty()) {
    if (auto f = p.failCounts.find(offset); f != p.failCounts.end()) {
      numFails = f->second;
      p.failCounts.erase(f);
    }
  }
  listener_.onAck(KafkaSpoutMessageId{p.tp, offset, numFails});
}

void KafkaSpout::Impl::fail(const Value& id) {
  if (!atLeastOnce()) return;
  uint64_t slot;
  int64_t offset;
  if (!decodeId(id, slot, offset)) return;
  Partition* part = slot < bySlot_.size() ? bySlot_[slot] : nullptr;
  if (!part) return;
  Partition& p = *part;
  if (!p.mgr->isInFlight(offset)) return;
  int numFails = ++p.failCounts[offset];
  KafkaSpoutMessageId mid{p.tp, offset, numFails};
  if (!retry_->schedule(mid, Clock::now())) {
    // Past the retry limit: give up on the record so commits can pass it (STORM-2544).
    ++maxRetriesReached_;
    report("max-retries", fmt::format("{} offset {} failed {} times, more than max retries; "
                                      "acking it and moving on",
                                      p.tp.toString(), offset, numFails));
    listener_.onMaxRetryReached(mid);
    p.mgr->addToAcked(offset);
    p.failCounts.erase(offset);
    unkeep(p, offset);
    listener_.onAck(mid);
    return;
  }
  ++retries_;
  p.mgr->markFailed(offset);
  listener_.onRetry(mid);
}

// --- Kept records (prompt retries) -------------------------------------------------------------

void KafkaSpout::Impl::keep(Partition& p, const ConsumerRecord& r) {
  size_t bytes = (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
  if (p.keptLive == 0 && !p.kept.empty()) dropKept(p);
  if (p.kept.empty()) p.keptBase = r.offset;
  int64_t i = r.offset - p.keptBase;
  int64_t size = static_cast<int64_t>(p.kept.size());
  if (i < 0 || i > size + kKeepMaxGap) return;  // outside the window: retried by a seek
  size_t slots = i >= size ? static_cast<size_t>(i - size + 1) : 0;
  bytes += slots * sizeof(Partition::Kept);
  if (keptBytes_ + bytes > kKeepBudgetBytes) return;
  if (slots) p.kept.resize(p.kept.size() + slots);
  auto& k = p.kept[static_cast<size_t>(i)];
  if (k.has) return;
  k.has = true;
  k.timestamp = r.timestamp;
  k.key = r.key;
  k.value = r.value;
  ++p.keptLive;
  p.keptBytes += bytes;
  keptBytes_ += bytes;
}

void KafkaSpout::Impl::unkeep(Partition& p, int64_t offset) {
  int64_t i = offset - p.keptBase;
  if (i < 0 || i >= static_cast<int64_t>(p.kept.size())) return;
  auto& k = p.kept[static_cast<size_t>(i)];
  if (!k.has) return;
  size_t freed = (k.key ? k.key->size() : 0) + (k.value ? k.value->size() : 0);
  k = Partition::Kept{};
  --p.keptLive;
  while (!p.kept.empty() && !p.kept.front().has) {
    p.kept.pop_front();
    ++p.keptBase;
    freed += sizeof(Partition::Kept);
  }
  p.keptBytes -= freed;
  keptBytes_ -= freed;
}

void KafkaSpout::Impl::dropKept(Partition& p) {
  keptBytes_ -= p.keptBytes;
  p.keptBytes = 0;
  p.keptLive = 0;
  p.kept.clear();
}

// Emits one failed record whose retry is due from its kept copy; false when none is kept.
bool KafkaSpout::Impl::emitKeptRetry() {
  auto now = Clock::now();
  for (const auto& [tp, offset] : retry_->readyOffsets(now, 8)) {
    Partition* p = find(tp.topic, tp.partition);
    if (!p) continue;
    int64_t i = offset - p->keptBase;
    if (i < 0 || i >= static_cast<int64_t>(p->kept.size())) continue;
    const auto& k = p->kept[static_cast<size_t>(i)];
    if (!k.has) continue;
    ConsumerRecord r{tp.topic, tp.partition, offset, k.timestamp, k.key, k.value};
    if (emitRecord(r, now)) return true;
  }
  return false;
}

// --- Commits -------------------------------------------------------------------------------------

void KafkaSpout::Impl::startCommit(
    std::vector<std::pair<TopicPartition, OffsetAndMetadata>> offsets, PendingCommit pending) {
  uint64_t token = ++lastToken_;
  try {
    consumer_->commitAsync(offsets, token);
  } catch (const std::exception& e) {
    ++commitsFailed_;
    report("commit", fmt::format("offset commit failed, will retry: {}", e.what()));
    if (pending.atMostOnceGate) {
      CommitResult r;
      r.token = token;
      r.error = e.what();
      pending_.emplace(token, std::move(pending));
      onCommitResult(r);
    }
    return;
  }
  if (pending.atMostOnceGate) gated_ = true;
  pending_.emplace(token, std::move(pending));
}

// AT_LEAST_ONCE: commit each partition's contiguous acked prefix.
void KafkaSpout::Impl::commitAcked(std::optional<Clock::time_point> deadline) {
  if (!commitsEnabled_) return;
  // One commit at a time keeps results in order; a waiting caller drains the previous one.
  if (!pending_.empty()) {
    if (!deadline) return;
    waitForCommits(*deadline);
  }
  std::vector<std::pair<TopicPartition, OffsetAndMetadata>> offsets;
  PendingCommit pending;
  for (auto& [tp, p] : parts_) {
    if (auto next = p->mgr->findNextCommitOffset(); next && *next > p->committed) {
      offsets.emplace_back(tp, OffsetAndMetadata{*next, metadata_});
      pending.slots.emplace_back(p->slot, *next);
    }
  }
  if (offsets.empty()) return;
  startCommit(std::move(offsets), std::move(pending));
  if (deadline) waitForCommits(*deadline);
}

// AT_MOST_ONCE (gate = true: records wait for it) and NO_GUARANTEE: commit positions.
void KafkaSpout::Impl::commitPositions(bool gate) {
  if (!commitsEnabled_) return;
  if (!pending_.empty() && !gate) return;
  std::vector<std::pair<TopicPartition, OffsetAndMetadata>> offsets;
  PendingCommit pending;
  pending.atMostOnceGate = gate;
  for (auto& [tp, p] : parts_) {
    if (p->position != p->committed) {
      offsets.emplace_back(tp, OffsetAndMetadata{p->position, metadata_});
      pending.slots.emplace_back(p->slot, p->position);
    }
  }
  if (offsets.empty()) return;
  startCommit(std::move(offsets), std::move(pending));
}

void KafkaSpout::Impl::serviceCommits(std::chrono::milliseconds wait) {
  std::vector<CommitResult> results;
  try {
    results = consumer_->pollCommitResults(wait);
  } catch (const std::exception& e) {
    report("commit", e.what());
  }
  for (const auto& r : results) onCommitResult(r);
}

void KafkaSpout::Impl::waitForCommits(Clock::time_point deadline) {
  while (!pending_.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      report("commit", fmt::format("an offset commit did not finish within {} s; going on "
                                   "without it (the offsets are committed again later)",
                                   kBoundedWait.count()));
      // Forget them: a late success is harmless, the next commit covers the same offsets.
      bool gate = false;
      for (auto& [t, pc] : pending_) gate = gate || pc.atMostOnceGate;
      pending_.clear();
      if (gate) gated_ = false;
      return;
    }
    serviceCommits(std::min(left, std::chrono::milliseconds(100)));
  }
}

void KafkaSpout::Impl::onCommitResult(const CommitResult& r) {
  auto it = pending_.find(r.token);
  if (it == pending_.end()) return;
  PendingCommit pc = std::move(it->second);
  pending_.erase(it);
  std::set<TopicPartition> refused;
  for (const auto& [tp, err] : r.partitionErrors) refused.insert(tp);
  if (!r.ok() || !refused.empty()) {
    ++commitsFailed_;
    std::string detail = r.error;
    for (const auto& [tp, err] : r.partitionErrors) {
      detail += (detail.empty() ? "" : "; ") + tp.toString() + ": " + err;
    }
    report("commit", fmt::format("offset commit failed, will retry: {}", detail));
  } else {
    ++commitsOk_;
  }
  std::set<TopicPartition> failedGate;
  for (const auto& [slot, offset] : pc.slots) {
    Partition* p = slot < bySlot_.size() ? bySlot_[slot] : nullptr;
    if (!p) continue;  // revoked since
    if (r.ok() && !refused.count(p->tp)) {
      applyCommitted(*p, offset);
    } else if (pc.atMostOnceGate) {
      failedGate.insert(p->tp);
    }
  }
  if (pc.atMostOnceGate) {
    gated_ = false;
    if (!failedGate.empty()) {
      // Not committed, so not emitted: read those records again and retry the commit.
      for (size_t i = next_; i < waiting_.size(); ++i) {
        auto& rec = waiting_[i];
        if (rec.partition < 0) continue;
        TopicPartition tp{rec.topic, rec.partition};
        if (failedGate.count(tp)) rec.partition = -1;
      }
      for (const auto& tp : failedGate) {
        Partition& p = *parts_.at(tp);
        try {
          consumer_->seek(tp, p.committed);
          p.position = p.committed;
        } catch (const std::exception& e) {
          report("seek", e.what());
        }
      }
    }
  }
}

void KafkaSpout::Impl::applyCommitted(Partition& p, int64_t offset) {
  if (offset <= p.committed) return;
  p.committed = offset;
  if (!p.mgr) return;
  p.mgr->commit(offset);
  if (p.position < offset) {
    // The consumer sought back for a retry and everything after it is acked and committed
    // now: skip ahead instead of re-reading committed records (STORM-2666).
    try {
      consumer_->seek(p.tp, offset);
      p.position = offset;
      p.retrySeek.reset();
    } catch (const std::exception& e) {
      report("seek", e.what());
    }
  }
  for (size_t i = next_; i < waiting_.size(); ++i) {
    auto& rec = waiting_[i];
    if (rec.partition == p.tp.partition && rec.offset < offset && rec.topic == p.tp.topic) {
      rec.partition = -1;
    }
  }
}

// --- Metrics -------------------------------------------------------------------------------------

void KafkaSpout::Impl::publishMetrics(bool log) {
  KafkaSpoutMetrics m;
  m.stormId = stormId_;
  m.componentId = component_;
  m.taskId = taskId_;
  m.commitsOk = commitsOk_;
  m.commitsFailed = commitsFailed_;
  m.retries = retries_;
  m.maxRetriesReached = maxRetriesReached_;
  for (const auto& [tp, p] : parts_) {
    KafkaPartitionMetrics pm;
    pm.tp = tp;
    pm.committedOffset = p->committed;
    pm.latestEmittedOffset = p->latestEmitted;
    pm.recordsEmitted = p->emitted;
    pm.uncommittedOffsets = p->mgr ? p->mgr->numUncommittedOffsets() : 0;
    if (auto end = consumer_->cachedLogEndOffset(tp)) {
      pm.logEndOffset = *end;
      pm.lag = std::max<int64_t>(0, *end - p->committed);
    }
    m.partitions.push_back(std::move(pm));
  }
  if (log && !m.partitions.empty()) {
    std::string line;
    for (const auto& pm : m.partitions) {
      line += fmt::format("{}{}: lag {} committed {} emitted {}", line.empty() ? "" : "; ",
                          pm.tp.toString(), pm.lag, pm.committedOffset, pm.recordsEmitted);
    }
    spdlog::info("KafkaSpout '{}' task {}: {}", component_, taskId_, line);
  }
  std::lock_guard lock(cell_->mu);
  cell_->m = std::move(m);
}

// --- KafkaSpout ----------------------------------------------------------------------------------

KafkaSpout::KafkaSpout(KafkaSpoutConfig config) : config_(std::move(config)) {}

KafkaSpoutConfig KafkaSpoutConfig::fromArgs(const Values& args) {
  if (args.size() == 1 && FluxBean::is(args[0])) return KafkaSpoutConfig::fromFlux(args[0]);
  if (args.empty()) {
    throw IllegalArgumentException(
        "KafkaSpout takes one constructor argument: a ref to a KafkaSpoutConfig component "
        "(Storm's Flux form) or a map of settings (src/kafka/README.md)");
  }
  return KafkaSpoutConfig::fromMap(MapArgs::single("KafkaSpout", args));
}

KafkaSpout::KafkaSpout(const Values& args) : config_(KafkaSpoutConfig::fromArgs(args)) {}

KafkaSpout::KafkaSpout(const KafkaSpout& other) : IRichSpout(other), config_(other.config_) {}

KafkaSpout::~KafkaSpout() = default;

void KafkaSpout::open(const Config&, TopologyContext& context, SpoutOutputCollector& collector) {
  impl_ = std::make_unique<Impl>(config_, context, collector);
  config_.tupleListener()->open(context.getConfig(), context);
}

void KafkaSpout::close() {
  if (impl_) impl_->close();
}

void KafkaSpout::activate() {
  impl_->activate();
}
void KafkaSpout::deactivate() {
  impl_->deactivate();
}
void KafkaSpout::nextTuple() {
  impl_->nextTuple();
}
void KafkaSpout::ack(const Value& messageId) {
  impl_->ack(messageId);
}
void KafkaSpout::fail(const Value& messageId) {
  impl_->fail(messageId);
}

void KafkaSpout::declareOutputFields(OutputFieldsDeclarer& declarer) {
  for (const auto& s : config_.translator().streams()) {
    declarer.declareStream(s, config_.translator().getFieldsFor(s));
  }
}

Map KafkaSpout::getComponentConfiguration() {
  // What Storm's UI lag tool reads (config.topics, config.groupid, config.<consumer prop>).
  Map m;
  m["config.topics"] = config_.topicsString();
  if (auto g = config_.groupId()) m["config.groupid"] = *g;
  for (const auto& [k, v] : config_.kafkaProps()) m["config." + k] = v;
  return m;
}

KafkaSpoutMetrics KafkaSpout::metrics() const {
  if (!impl_) return {};
  auto cell = impl_->cell();
  std::lock_guard lock(cell->mu);
  return cell->m;
}

std::vector<KafkaSpoutMetrics> kafkaSpoutMetrics() {
  std::vector<std::shared_ptr<MetricsCell>> cells;
  {
    auto& reg = metricsRegistry();
    std::lock_guard lock(reg.mu);
    for (const auto& [k, c] : reg.cells) cells.push_back(c);
  }
  std::vector<KafkaSpoutMetrics> out;
  for (const auto& c : cells) {
    std::lock_guard lock(c->mu);
    out.push_back(c->m);
  }
  return out;
}

}  // namespace squall::kafka
