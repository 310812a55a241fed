// ShellSpout: the engine side of a multilang spout (storm.md 1.4-1.10). Everything happens on
// the spout's executor thread: each call sends one command and serves the child's messages
// until `sync`. Only the child's stderr has a thread of its own (ShellProcess). A child slow
// to sync does not hold back what it emitted (published after the flush interval) nor the
// kill of the topology (the exchange is abandoned).

#include "squall/shell_spout.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>

#include "multilang/child_cpu_follower.h"
#include "multilang/reply_poll.h"
#include "multilang/round_trip_children.h"
#include "multilang/shell_child.h"
#include "multilang/shell_context.h"
#include "multilang/shell_setup.h"
#include "squall/topology_context.h"
#include "topology/topology_plan.h"

namespace squall {

namespace internal {

class ShellSpoutCore {
 public:
  ShellSpoutCore(const ShellCommand& spec, const Config& conf, TopologyContext& context,
                 SpoutOutputCollector& collector)
      : setup_(makeShellSetup("ShellSpout", spec, conf, context)),
        topologyStopping_(&context.plan().stopping),
        collector_(collector),
        follower_(setup_.readerFollowsChild),
        replyPoll_(setup_.replyPollNs) {
    int64_t flushNs = conf.getInt(Config::TOPOLOGY_BATCH_FLUSH_INTERVAL_MILLIS) * 1'000'000;
    // While the child is silent: publish what it emitted so far once the flush interval has
    // passed (it may emit, then sleep or poll before it syncs), and give up the exchange when
    // the topology is being killed, instead of waiting out a slow nextTuple.
    silence_.firstAfterNs = flushNs > 0 ? flushNs : kStopCheckNs;
    silence_.call = [this]() -> int64_t {
      if (topologyStopping_->load(std::memory_order_relaxed)) return -1;
      collector_.flush();
      return kStopCheckNs;
    };
  }

  ~ShellSpoutCore() {
    child_.reset();
    removePidDirIfEmpty(setup_.pidDirOwned, setup_.pidDir);
  }

  void start() { child_ = ShellChild::start(setup_, -1); }

  // Sends `command` and serves the child until it syncs. A command asked for while another
  // exchange is running (an ack Storm delivers from inside emit() when acking is off) waits
  // until that exchange is over. ShellError (the child is stopped) on any failure.
  void command(const char* command, const Value& id) {
    if (abandoned_) return;  // the topology is being killed
    if (inExchange_) {
      deferred_.emplace_back(command, id);
      return;
    }
    exchange(command, id);
    while (!deferred_.empty()) {
      auto [c, i] = std::move(deferred_.front());
      deferred_.pop_front();
      exchange(c, i);
    }
  }

  int childPid() const { return child_ ? child_->osPid() : 0; }

 private:
  void exchange(const char* command, const Value& id) {
    if (!child_) {
      throw ShellError(fmt::format("{}: the child has failed and is not running", setup_.label()));
    }
    inExchange_ = true;
    try {
      // Every command is a round trip with the child, as a storm.py bolt's emits are. While
      // they come back to back, the executor keeps to the child's CPU (child_cpu_follower.h)
      // and polls for its answers (reply_poll.h). An idle spout, asked every millisecond or
      // more, is neither followed nor polled: it costs a sleep and a wake-up per call.
      int64_t start = monotonicNs();
      const bool busy = start - lastExchangeEndNs_ < kBusyGapNs;
      roundTrips_.set(busy);
      const bool polls = busy && roundTripPollPays();
      if (busy) {
        follower_.follow(child_->speakerPid(), start);
      } else {
        follower_.release();
      }
      out_.clear();
      setup_.serializer->writeCommand(out_, command, id);
      child_->writeAll(out_, monotonicNs() + setup_.timeoutNs, -1);
      wrote();
      while (true) {
        // Any message proves the child alive; it has the full timeout to send the next one.
        int64_t poll = polls ? replyPoll_.pollNs() : 0;
        if (!child_->readMessage(msg_, setup_.timeoutNs, -1, &silence_,
                                 poll ? lastWriteNs_ + poll : 0)) {
          abandon(command);
          return;
        }
        if (awaitingAnswer_) {
          awaitingAnswer_ = false;
          replyPoll_.observe(monotonicNs() - lastWriteNs_);
        }
        if (msg_.kind == ShellCommandKind::Sync) break;
        dispatch();
      }
      lastExchangeEndNs_ = monotonicNs();
    } catch (const ProtocolError& e) {
      inExchange_ = false;
      deferred_.clear();
      std::string report =
          child_->failureReport(fmt::format("during '{}': {}", command, e.what()), e.offending());
      child_.reset();
      throw ShellError(report);
    }
    inExchange_ = false;
  }

  // The topology is being killed while the child is inside `command`: stop it now rather
  // than wait for its answer; later commands do nothing and close() finds it stopped.
  void abandon(const char* command) {
    spdlog::info("{}: stopping the child inside '{}': the topology is being killed", setup_.label(),
                 command);
    child_->terminate();
    inExchange_ = false;
    deferred_.clear();
    abandoned_ = true;
  }

  std::string offending() { return child_->reader().lastMessageText(300); }

  void dispatch() {
    ShellMsg& m = msg_;
    switch (m.kind) {
      case ShellCommandKind::Emit:
        emit(m);
        return;
      case ShellCommandKind::Log:
        logFromChild(setup_, child_->reportedPid(), m.level, m.msg);
        return;
      case ShellCommandKind::Error:
        collector_.reportError("Shell Process Exception: " + m.msg);
        return;
      case ShellCommandKind::Metrics:
        if (m.name.empty()) throw ProtocolError("'metrics' without a metric name", offending());
        recordMetric(setup_, m.name, m.params);
        return;
      case ShellCommandKind::Ack:
      case ShellCommandKind::Fail:
        throw ProtocolError(fmt::format("'{}' is a bolt command; a spout may only emit, log, "
                                        "report errors and metrics, and sync",
                                        m.command),
                            offending());
      case ShellCommandKind::Sync:
      case ShellCommandKind::Other:
        break;
    }
    if (!m.hasCommand) throw ProtocolError("a message without 'command'", offending());
    throw ProtocolError(fmt::format("unknown command '{}'", m.command), offending());
  }

  void emit(ShellMsg& m) {
    if (!m.hasTuple) throw ProtocolError("'emit' without 'tuple'", offending());
    const std::string& stream = m.stream.empty() ? defaultStream_ : m.stream;
    Value messageId = m.hasId ? std::move(m.id) : Value();
    bool direct = m.task && *m.task != 0;
    if (direct && (*m.task < 0 || *m.task > INT32_MAX)) {
      throw ProtocolError(fmt::format("direct emit to task {}, which does not exist", *m.task),
                          offending());
    }
    bool reply = !direct && m.needTaskIds;
    std::string ids;
    if (!m.poison.empty()) {
      refusePoisoned(m, messageId, reply);
      return;
    }
    try {
      if (direct) {
        collector_.emitDirect(static_cast<int>(*m.task), stream, std::move(m.tuple),
                              std::move(messageId));
      } else {
        const TaskIds& tasks = collector_.emit(stream, std::move(m.tuple), std::move(messageId));
        if (reply) setup_.serializer->writeTaskIds(ids, tasks);
      }
    } catch (const ProtocolError&) {
      throw;
    } catch (const std::exception& e) {
      throw ProtocolError(fmt::format("the emit was refused: {}", e.what()), offending());
    }
    // Storm answers at once, before reading the next message.
    if (reply) {
      child_->writeAll(ids, monotonicNs() + setup_.timeoutNs, -1);
      wrote();
    }
  }

  // The child has something to answer: its answer is polled for a while (reply_poll.h).
  void wrote() {
    lastWriteNs_ = monotonicNs();
    awaitingAnswer_ = true;
  }

  static constexpr int64_t kStopCheckNs = 20'000'000;
  // Commands closer than this are back to back: the spout executor's shortest idle sleep
  // (topology.spout.wait.progressive.level3.sleep.millis) is a millisecond.
  static constexpr int64_t kBusyGapNs = 500'000;

  // A value the engine cannot carry fails just this tuple: the child is sent `fail` for its
  // message id once the current exchange is over (as the acker would), and goes on.
  void refusePoisoned(const ShellMsg& m, const Value& messageId, bool reply) {
    bool reliable = !messageId.isNull();
    std::string report = fmt::format(
        "{}: an emitted tuple cannot be carried: {}; {}", setup_.label(), m.poison,
        reliable ? fmt::format("failing message id {}", printable(messageId.toString(), 80))
                 : std::string("dropped (it has no message id)"));
    spdlog::error("{}", report);
    collector_.reportError(report);
    if (reliable) deferred_.emplace_back("fail", messageId);
    if (reply) {
      std::string ids;
      setup_.serializer->writeTaskIds(ids, TaskIds{});
      child_->writeAll(ids, monotonicNs() + setup_.timeoutNs, -1);
      wrote();
    }
  }

  ShellSetup setup_;
  const std::atomic<bool>* topologyStopping_;
  SpoutOutputCollector& collector_;
  SilenceHook silence_;
  bool abandoned_ = false;
  const std::string defaultStream_ = kDefaultStream;
  std::unique_ptr<ShellChild> child_;
  ChildCpuFollower follower_;
  RoundTripSlot roundTrips_;  // round_trip_children.h
  ReplyPoll replyPoll_;
  int64_t lastWriteNs_ = 0;
  int64_t lastExchangeEndNs_ = INT64_MIN / 2;
  bool awaitingAnswer_ = false;
  bool inExchange_ = false;
  std::deque<std::pair<const char*, Value>> deferred_;
  std::string out_;
  ShellMsg msg_;
};

}  // namespace internal

namespace {

ShellCommand spoutCommand(std::vector<std::string> command, std::map<std::string, Fields> streams) {
  ShellCommand spec;
  spec.command = std::move(command);
  for (auto& [id, fields] : streams) spec.streams[id] = StreamInfo{std::move(fields), false};
  return spec;
}

const Value& emptyId() {
  static const Value v{""};
  return v;
}

}  // namespace

ShellSpout::ShellSpout(std::vector<std::string> command, Fields outputFields)
    : ShellSpout(spoutCommand(std::move(command), {{kDefaultStream, std::move(outputFields)}})) {}

ShellSpout::ShellSpout(std::vector<std::string> command, std::map<std::string, Fields> streams)
    : ShellSpout(spoutCommand(std::move(command), std::move(streams))) {}

ShellSpout::ShellSpout(ShellCommand spec) : spec_(std::move(spec)) {
  if (spec_.command.empty()) throw IllegalArgumentException("ShellSpout: the command is empty");
}

ShellSpout::ShellSpout(const ShellSpout& other)
    : IRichSpout(other), spec_(other.spec_), componentConf_(other.componentConf_) {}

ShellSpout::~ShellSpout() = default;

ShellSpout& ShellSpout::setCwd(std::string dir) {
  spec_.cwd = std::move(dir);
  return *this;
}

ShellSpout& ShellSpout::setEnv(std::map<std::string, std::string> env) {
  spec_.env = std::move(env);
  return *this;
}

ShellSpout& ShellSpout::declareStream(const std::string& streamId, Fields fields, bool direct) {
  spec_.streams[streamId] = StreamInfo{std::move(fields), direct};
  return *this;
}

ShellSpout& ShellSpout::setComponentConfiguration(Map conf) {
  componentConf_ = std::move(conf);
  return *this;
}

void ShellSpout::open(const Config& conf, TopologyContext& context,
                      SpoutOutputCollector& collector) {
  core_.reset();
  auto core = std::make_unique<internal::ShellSpoutCore>(spec_, conf, context, collector);
  core->start();
  core_ = std::move(core);
}

void ShellSpout::close() {
  core_.reset();
}

void ShellSpout::activate() {
  if (core_) core_->command("activate", emptyId());
}

void ShellSpout::deactivate() {
  if (core_) core_->command("deactivate", emptyId());
}

void ShellSpout::nextTuple() {
  if (core_) core_->command("next", emptyId());
}

void ShellSpout::ack(const Value& messageId) {
  if (core_) core_->command("ack", messageId);
}

void ShellSpout::fail(const Value& messageId) {
  if (core_) core_->command("fail", messageId);
}

void ShellSpout::declareOutputFields(OutputFieldsDeclarer& declarer) {
  internal::declareShellStreams(spec_, declarer);
}

int ShellSpout::childPid() const {
  return core_ ? core_->childPid() : 0;
}

}  // namespace squall
