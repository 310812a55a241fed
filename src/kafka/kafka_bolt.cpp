// KafkaBolt: tuples -> librdkafka producer. Threads: execute() on the bolt's executor thread
// hands records to the producer and never waits for the broker (unless async=false); a poll
// thread owned by the bolt serves delivery reports and acks or fails the tuples through the
// (thread-safe) OutputCollector. prepare() starts the thread, cleanup() flushes (at most
// kFlushWait), fails what is left and stops it; the producer is destroyed on a thread of its
// own that cleanup waits for at most kDestroyWait, so stopping is bounded whatever the
// brokers do.

#include "squall/kafka_bolt.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "kafka/flux_bean.h"
#include "kafka/kafka_bolt_flux.h"
#include "kafka/map_args.h"
#include "kafka/rdkafka_util.h"
#include "squall/errors.h"
#include "squall/kafka_consumer.h"
#include "squall/topology_context.h"

namespace squall::kafka {

// --- Mapper and selectors ------------------------------------------------------------------------

const Value* FieldNameBasedTupleToKafkaMapper::getKeyFromTuple(const Tuple& t) const {
  // A missing key field means no key (Storm keeps this for backward compatibility).
  return t.contains(keyField_) ? &t.getValueByField(keyField_) : nullptr;
}

const Value& FieldNameBasedTupleToKafkaMapper::getMessageFromTuple(const Tuple& t) const {
  return t.getValueByField(messageField_);
}

std::optional<std::string> FieldNameTopicSelector::getTopic(const Tuple& t) const {
  if (!t.contains(field_)) {
    spdlog::warn("KafkaBolt: tuple from '{}' has no field '{}'; using topic '{}'",
                 t.getSourceComponent(), field_, default_);
    return default_;
  }
  const Value& v = t.getValueByField(field_);
  if (v.isNull()) return std::nullopt;
  return v.isString() ? v.asString() : v.toString();
}

FieldIndexTopicSelector::FieldIndexTopicSelector(int index, std::string defaultTopic)
    : index_(index), default_(std::move(defaultTopic)) {
  if (index < 0) {
    throw IllegalArgumentException(fmt::format("FieldIndexTopicSelector: negative index {}", index));
  }
}

std::optional<std::string> FieldIndexTopicSelector::getTopic(const Tuple& t) const {
  if (static_cast<size_t>(index_) >= t.size()) {
    spdlog::warn("KafkaBolt: tuple from '{}' has {} fields, no index {}; using topic '{}'",
                 t.getSourceComponent(), t.size(), index_, default_);
    return default_;
  }
  const Value& v = t.getValue(static_cast<size_t>(index_));
  if (v.isNull()) return std::nullopt;
  return v.isString() ? v.asString() : v.toString();
}

// --- Impl ----------------------------------------------------------------------------------------

namespace {

// Within Squall's stop budget (a spout's 5 s commit wait plus a second): the bolt's cleanup
// starts about a second after the spouts are deactivated.
constexpr int kFlushWaitMs = 3'000;
constexpr int kPurgedReportsWaitMs = 300;
constexpr auto kDestroyWait = std::chrono::milliseconds(500);

// What goes out as bytes: strings and byte strings as they are, null as no payload, anything
// else as its JSON-like text.
bool asBytes(const Value& v, std::string& scratch, const char*& data, size_t& len) {
  switch (v.type()) {
    case ValueType::Null: return false;
    case ValueType::String:
      data = v.asString().data();
      len = v.asString().size();
      return true;
    case ValueType::Bytes:
      data = v.asBytes().data.data();
      len = v.asBytes().data.size();
      return true;
    default:
      scratch = v.toString();
      data = scratch.data();
      len = scratch.size();
      return true;
  }
}

}  // namespace

class KafkaBolt::Impl {
 public:
  // One record in the producer: the tuple to ack or fail, and a waiter when execute() waits.
  struct Delivery {
    Tuple tuple;
    bool sync = false;
    bool done = false;
    bool ok = false;
  };

  Impl(const Settings& s, std::shared_ptr<const KafkaTopicSelector> selector,
       TopologyContext& ctx, OutputCollector& out)
      : s_(s), selector_(std::move(selector)), out_(out), component_(ctx.getThisComponentId()),
        taskId_(ctx.getThisTaskId()) {
    auto props = s.props;
    if (!props.count("client.id")) props["client.id"] = fmt::format("squall-{}-{}", component_, taskId_);
    rd_kafka_conf_t* conf = rdk::makeConf(props, fmt::format("KafkaBolt '{}'", component_));
    rd_kafka_conf_set_dr_msg_cb(conf, &Impl::onDelivery);
    rd_kafka_conf_set_error_cb(conf, &Impl::onError);
    rd_kafka_conf_set_opaque(conf, this);
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk_) {
      rd_kafka_conf_destroy(conf);
      throw KafkaException(fmt::format("KafkaBolt '{}': cannot create a producer: {}", component_, err),
                           false);
    }
    poller_ = std::thread([this] {
      while (!stop_.load(std::memory_order_acquire)) rd_kafka_poll(rk_, 50);
    });
  }

  ~Impl() {
    shutdown();
    // Delivery reports are served only by polling, which has stopped: nothing calls back
    // into this object while librdkafka shuts down.
    auto gone = rdk::destroyInBackground(rk_, {}, nullptr);
    if (gone.wait_for(kDestroyWait) != std::future_status::ready) {
      spdlog::warn(
          "KafkaBolt '{}' task {}: the producer is still shutting down after {} ms; it "
          "finishes in the background",
          component_, taskId_, kDestroyWait.count());
    }
  }

  void execute(const Tuple& t) {
    if (t.isTick()) return;  // Storm's KafkaBolt ignores ticks and does not ack them
    std::optional<std::string> topic;
    const Value* key = nullptr;
    const Value* message = nullptr;
    try {
      topic = selector_->getTopic(t);
      if (!topic) {
        spdlog::warn("KafkaBolt '{}': no topic for a tuple from '{}'; acking and dropping it",
                     component_, t.getSourceComponent());
        out_.ack(t);
        return;
      }
      key = s_.mapper->getKeyFromTuple(t);
      message = &s_.mapper->getMessageFromTuple(t);
    } catch (const std::exception& e) {
      report("mapping", fmt::format("KafkaBolt: {}", e.what()));
      out_.fail(t);
      return;
    }
    std::string keyScratch, valueScratch;
    const char* kd = nullptr;
    const char* vd = nullptr;
    size_t kl = 0, vl = 0;
    bool hasKey = key && asBytes(*key, keyScratch, kd, kl);
    bool hasValue = asBytes(*message, valueScratch, vd, vl);

    Delivery* d = nullptr;
    if (!s_.fireAndForget || !s_.async) {
      d = new Delivery{t, !s_.async};
      inFlight_.fetch_add(1, std::memory_order_relaxed);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(s_.maxBlockMs);
    rd_kafka_resp_err_t err;
    while (true) {
      err = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic->c_str()),
                              RD_KAFKA_V_KEY(hasKey ? kd : nullptr, hasKey ? kl : 0),
                              RD_KAFKA_V_VALUE(hasValue ? const_cast<char*>(vd) : nullptr,
                                               hasValue ? vl : 0),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(d),
                              RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
      // Java's send() blocks up to max.block.ms for buffer space; the poll thread frees it.
      std::unique_lock lock(mu_);
      if (std::chrono::steady_clock::now() >= deadline) break;
      space_.wait_for(lock, std::chrono::milliseconds(10));
    }
    if (err) {
      if (d) {
        delete d;
        inFlight_.fetch_sub(1, std::memory_order_relaxed);
      }
      report("send", fmt::format("KafkaBolt: cannot send to topic '{}': {}", *topic,
                                 rdk::errorText(err)));
      out_.fail(t);
      return;
    }
    if (s_.fireAndForget && s_.async) {
      out_.ack(t);
      return;
    }
    // Not d->sync: once produced, an asynchronous delivery's report may already have freed d.
    if (d && !s_.async) {
      // async=false: wait for this record's report (Storm blocks on the send future).
      std::unique_lock lock(mu_);
      done_.wait(lock, [&] { return d->done; });
      lock.unlock();
      delete d;
    }
  }

  void shutdown() {
    if (stopped_) return;
    stopped_ = true;
    // Deliver what can be delivered, then fail the rest (their reports arrive as purged).
    rd_kafka_flush(rk_, kFlushWaitMs);
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_, kPurgedReportsWaitMs);
    stop_.store(true, std::memory_order_release);
    if (poller_.joinable()) poller_.join();
    rd_kafka_poll(rk_, 0);
  }

  int64_t inFlight() const { return inFlight_.load(std::memory_order_relaxed); }

 private:
  // reportError at most once per kind every 10 s, with a count of what was held back: a
  // broker refusing a topic fails every tuple, and the error log would hold nothing else.
  void report(const std::string& kind, const std::string& message) {
    auto now = std::chrono::steady_clock::now();
    int64_t held = 0;
    {
      std::lock_guard lock(reportMu_);
      auto& [last, muted] = reported_[kind];
      if (last != std::chrono::steady_clock::time_point{} &&
          now - last < std::chrono::seconds(10)) {
        ++muted;
        return;
      }
      last = now;
      held = muted;
      muted = 0;
    }
    out_.reportError(held ? fmt::format("{} ({} more like this since the last report)", message, held)
                          : message);
  }

  // On the poll thread (or the thread in rd_kafka_flush).
  static void onDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    auto* d = static_cast<Delivery*>(m->_private);
    self->space_.notify_all();
    if (!d) return;
    if (m->err) {
      std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "?";
      self->report("delivery", fmt::format("KafkaBolt: delivery to topic '{}' failed: {}", topic,
                                           rdk::errorText(m->err)));
      self->out_.fail(d->tuple);
    } else {
      self->out_.ack(d->tuple);
    }
    self->inFlight_.fetch_sub(1, std::memory_order_relaxed);
    if (d->sync) {
      std::lock_guard lock(self->mu_);
      d->ok = !m->err;
      d->done = true;
      self->done_.notify_all();
    } else {
      delete d;
    }
  }

  static void onError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    auto e = static_cast<rd_kafka_resp_err_t>(err);
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(self->mu_);
    if (now - self->lastErrorReport_ < std::chrono::seconds(10)) return;
    self->lastErrorReport_ = now;
    spdlog::error("KafkaBolt '{}' task {}: {}: {}", self->component_, self->taskId_,
                  rd_kafka_err2name(e), reason);
  }

  const Settings& s_;
  std::shared_ptr<const KafkaTopicSelector> selector_;
  OutputCollector& out_;
  std::string component_;
  int taskId_;
  rd_kafka_t* rk_ = nullptr;
  std::thread poller_;
  std::atomic<bool> stop_{false};
  bool stopped_ = false;
  std::atomic<int64_t> inFlight_{0};
  std::mutex mu_;
  std::condition_variable space_;
  std::condition_variable done_;
  std::chrono::steady_clock::time_point lastErrorReport_{};
  std::mutex reportMu_;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, int64_t>> reported_;
};

// --- KafkaBolt -----------------------------------------------------------------------------------

KafkaBolt::KafkaBolt() = default;

KafkaBolt::KafkaBolt(const Values& args) {
  // Storm's Flux form (a KafkaBolt component with configMethods) becomes the settings map.
  Map fromFlux;
  bool flux = args.size() == 1 && FluxBean::is(args[0]);
  if (flux) fromFlux = kafkaBoltSettingsFromFlux(args[0]);
  MapArgs a("KafkaBolt", flux ? fromFlux : MapArgs::single("KafkaBolt", args));
  if (auto v = a.optionalString("bootstrap.servers")) settings_.props["bootstrap.servers"] = *v;
  if (const Value* k = a.find("kafka")) {
    for (const auto& [key, v] : a.map("kafka", *k)) {
      settings_.props[key] = MapArgs::scalarText("kafka." + key, v);
    }
  }
  auto keyField = a.optionalString("key.field").value_or("key");
  auto messageField = a.optionalString("message.field").value_or("message");
  settings_.mapper = std::make_shared<FieldNameBasedTupleToKafkaMapper>(keyField, messageField);
  auto topic = a.optionalString("topic");
  auto topicField = a.optionalString("topic.field");
  auto topicIndex = a.optionalInt("topic.index");
  if (topicField && topicIndex) {
    throw IllegalArgumentException("KafkaBolt: give at most one of 'topic.field' and 'topic.index'");
  }
  if (topicField) {
    settings_.selector = std::make_shared<FieldNameTopicSelector>(*topicField, topic.value_or(""));
  } else if (topicIndex) {
    settings_.selector =
        std::make_shared<FieldIndexTopicSelector>(static_cast<int>(*topicIndex), topic.value_or(""));
  } else if (topic) {
    settings_.selector = std::make_shared<DefaultTopicSelector>(*topic);
  }
  if (auto v = a.optionalBool("fire.and.forget")) settings_.fireAndForget = *v;
  if (auto v = a.optionalBool("async")) settings_.async = *v;
  if (auto v = a.optionalInt("max.block.ms")) setMaxBlockMs(*v);
  a.rejectUnknown();
  if (!settings_.props.count("bootstrap.servers")) {
    throw IllegalArgumentException(
        "KafkaBolt: 'bootstrap.servers' is required (top level or under 'kafka')");
  }
}

KafkaBolt::KafkaBolt(const KafkaBolt& other) : BaseRichBolt(other), settings_(other.settings_) {}

KafkaBolt::~KafkaBolt() = default;

KafkaBolt& KafkaBolt::withProducerProperties(const std::map<std::string, std::string>& props) {
  for (const auto& [k, v] : props) settings_.props[k] = v;
  return *this;
}

KafkaBolt& KafkaBolt::withTupleToKafkaMapper(std::shared_ptr<const TupleToKafkaMapper> mapper) {
  settings_.mapper = std::move(mapper);
  return *this;
}

KafkaBolt& KafkaBolt::withTopicSelector(std::shared_ptr<const KafkaTopicSelector> selector) {
  settings_.selector = std::move(selector);
  return *this;
}

KafkaBolt& KafkaBolt::withTopicSelector(const std::string& topic) {
  return withTopicSelector(std::make_shared<DefaultTopicSelector>(topic));
}

KafkaBolt& KafkaBolt::setFireAndForget(bool fireAndForget) {
  settings_.fireAndForget = fireAndForget;
  return *this;
}

KafkaBolt& KafkaBolt::setAsync(bool async) {
  settings_.async = async;
  return *this;
}

KafkaBolt& KafkaBolt::setMaxBlockMs(int64_t ms) {
  if (ms < 0) throw IllegalArgumentException("KafkaBolt: max.block.ms must be >= 0");
  settings_.maxBlockMs = ms;
  return *this;
}

void KafkaBolt::prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) {
  if (!settings_.mapper) settings_.mapper = std::make_shared<FieldNameBasedTupleToKafkaMapper>();
  auto selector = settings_.selector;
  if (!selector) {
    // Storm's fallback: the topology configuration's "topic".
    const Value* topic = conf.find("topic");
    if (!topic || !topic->isString() || topic->asString().empty()) {
      throw IllegalArgumentException(fmt::format(
          "KafkaBolt '{}': no topic selector and no 'topic' in the topology configuration",
          context.getThisComponentId()));
    }
    selector = std::make_shared<DefaultTopicSelector>(topic->asString());
  }
  if (!settings_.props.count("bootstrap.servers")) {
    throw IllegalArgumentException(fmt::format("KafkaBolt '{}': no bootstrap.servers in the "
                                               "producer properties",
                                               context.getThisComponentId()));
  }
  impl_ = std::make_unique<Impl>(settings_, std::move(selector), context, collector);
}

void KafkaBolt::execute(const Tuple& input) { impl_->execute(input); }

void KafkaBolt::cleanup() {
  if (impl_) impl_->shutdown();
}

int64_t KafkaBolt::inFlight() const { return impl_ ? impl_->inFlight() : 0; }

}  // namespace squall::kafka
