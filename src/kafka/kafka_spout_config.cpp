// KafkaSpoutConfig: the builder with Storm's names, build()'s property adjustments, and the
// registry/YAML argument map.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <regex>
#include <set>

#include "kafka/map_args.h"
#include "squall/errors.h"
#include "squall/kafka_spout.h"

namespace squall::kafka {

const char* toString(FirstPollOffsetStrategy s) {
  switch (s) {
    case FirstPollOffsetStrategy::EARLIEST:
      return "EARLIEST";
    case FirstPollOffsetStrategy::LATEST:
      return "LATEST";
    case FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST:
      return "UNCOMMITTED_EARLIEST";
    case FirstPollOffsetStrategy::UNCOMMITTED_LATEST:
      return "UNCOMMITTED_LATEST";
  }
  return "?";
}

const char* toString(ProcessingGuarantee g) {
  switch (g) {
    case ProcessingGuarantee::AT_LEAST_ONCE:
      return "AT_LEAST_ONCE";
    case ProcessingGuarantee::AT_MOST_ONCE:
      return "AT_MOST_ONCE";
    case ProcessingGuarantee::NO_GUARANTEE:
      return "NO_GUARANTEE";
  }
  return "?";
}

FirstPollOffsetStrategy parseFirstPollOffsetStrategy(const std::string& name) {
  for (auto s : {FirstPollOffsetStrategy::EARLIEST, FirstPollOffsetStrategy::LATEST,
                 FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST,
                 FirstPollOffsetStrategy::UNCOMMITTED_LATEST}) {
    if (name == toString(s)) return s;
  }
  throw IllegalArgumentException(fmt::format(
      "unknown first.poll.offset.strategy '{}': use EARLIEST, LATEST, UNCOMMITTED_EARLIEST or "
      "UNCOMMITTED_LATEST (TIMESTAMP strategies are Trident-only)",
      name));
}

ProcessingGuarantee parseProcessingGuarantee(const std::string& name) {
  for (auto g : {ProcessingGuarantee::AT_LEAST_ONCE, ProcessingGuarantee::AT_MOST_ONCE,
                 ProcessingGuarantee::NO_GUARANTEE}) {
    if (name == toString(g)) return g;
  }
  throw IllegalArgumentException(fmt::format(
      "unknown processing.guarantee '{}': use AT_LEAST_ONCE, AT_MOST_ONCE or NO_GUARANTEE", name));
}

// --- Builder -----------------------------------------------------------------------------------

KafkaSpoutConfig::Builder::Builder(std::string bootstrapServers, std::vector<std::string> topics)
    : c_(new KafkaSpoutConfig()) {
  c_->bootstrap_ = std::move(bootstrapServers);
  c_->topics_ = std::move(topics);
}

KafkaSpoutConfig::Builder::Builder(std::string bootstrapServers, TopicPattern pattern)
    : c_(new KafkaSpoutConfig()) {
  c_->bootstrap_ = std::move(bootstrapServers);
  c_->pattern_ = std::move(pattern);
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setProp(const std::string& key,
                                                              std::string value) {
  c_->props_[key] = std::move(value);
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setProp(
    const std::map<std::string, std::string>& props) {
  for (const auto& [k, v] : props) c_->props_[k] = v;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setFirstPollOffsetStrategy(
    FirstPollOffsetStrategy s) {
  c_->firstPoll_ = s;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setProcessingGuarantee(
    ProcessingGuarantee g) {
  c_->guarantee_ = g;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setOffsetCommitPeriodMs(int64_t ms) {
  c_->commitPeriodMs_ = ms;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setMaxUncommittedOffsets(int64_t n) {
  c_->maxUncommitted_ = n;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setPollTimeoutMs(int64_t ms) {
  c_->pollTimeoutMs_ = ms;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setPartitionRefreshPeriodMs(int64_t ms) {
  c_->refreshPeriodMs_ = ms;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setRetry(
    std::shared_ptr<const KafkaSpoutRetryService> retry) {
  if (!retry) throw IllegalArgumentException("KafkaSpoutConfig: setRetry(null)");
  c_->retry_ = std::move(retry);
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setRecordTranslator(
    std::shared_ptr<const RecordTranslator> translator) {
  if (!translator) throw IllegalArgumentException("KafkaSpoutConfig: setRecordTranslator(null)");
  c_->translator_ = std::move(translator);
  c_->translatorSet_ = true;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setRecordTranslator(
    SimpleRecordTranslator::Func func, Fields fields, std::string stream) {
  return setRecordTranslator(std::make_shared<SimpleRecordTranslator>(
      std::move(func), std::move(fields), std::move(stream)));
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setEmitNullTuples(bool emit) {
  c_->emitNullTuples_ = emit;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setTupleTrackingEnforced(bool enforced) {
  c_->tupleTrackingEnforced_ = enforced;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setTupleListener(
    std::shared_ptr<KafkaTupleListener> listener) {
  if (!listener) throw IllegalArgumentException("KafkaSpoutConfig: setTupleListener(null)");
  c_->listener_ = std::move(listener);
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setMaxPollRecords(int64_t n) {
  c_->maxPollRecords_ = n;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setMetricsLogPeriodMs(int64_t ms) {
  c_->metricsLogPeriodMs_ = ms;
  return *this;
}

KafkaSpoutConfig::Builder& KafkaSpoutConfig::Builder::setConsumerFactory(
    KafkaConsumerFactory factory) {
  c_->consumerFactory_ = std::move(factory);
  return *this;
}

namespace {

void requirePositive(const char* name, int64_t v) {
  if (v <= 0) {
    throw IllegalArgumentException(
        fmt::format("KafkaSpoutConfig: {} must be > 0, got {}", name, v));
  }
}

// Kafka's deserializer class names (or short forms) -> whether values are bytes.
bool bytesDeserializer(const std::string& key, const std::string& cls) {
  if (cls == "org.apache.kafka.common.serialization.StringDeserializer" || cls == "string") {
    return false;
  }
  if (cls == "org.apache.kafka.common.serialization.ByteArrayDeserializer" ||
      cls == "org.apache.kafka.common.serialization.BytesDeserializer" || cls == "bytes") {
    return true;
  }
  throw IllegalArgumentException(fmt::format(
      "KafkaSpoutConfig: {} '{}' is not supported: use StringDeserializer, "
      "ByteArrayDeserializer, \"string\" or \"bytes\" (or a RecordTranslator for anything else)",
      key, cls));
}

}  // namespace

KafkaSpoutConfig KafkaSpoutConfig::Builder::build() const {
  KafkaSpoutConfig c = *c_;
  if (c.bootstrap_.empty()) {
    throw IllegalArgumentException("KafkaSpoutConfig: bootstrap servers must not be empty");
  }
  if (c.pattern_) {
    try {
      std::regex re(c.pattern_->regex);
    } catch (const std::regex_error& e) {
      throw IllegalArgumentException(
          fmt::format("KafkaSpoutConfig: bad topic pattern '{}': {}", c.pattern_->regex, e.what()));
    }
  } else {
    if (c.topics_.empty()) {
      throw IllegalArgumentException("KafkaSpoutConfig: give at least one topic or a pattern");
    }
    for (const auto& t : c.topics_) {
      if (t.empty()) throw IllegalArgumentException("KafkaSpoutConfig: empty topic name");
    }
  }
  requirePositive("offset.commit.period.ms", c.commitPeriodMs_);
  requirePositive("max.uncommitted.offsets", c.maxUncommitted_);
  requirePositive("partition.refresh.period.ms", c.refreshPeriodMs_);
  requirePositive("max.poll.records", c.maxPollRecords_);
  if (c.pollTimeoutMs_ < 0) {
    throw IllegalArgumentException("KafkaSpoutConfig: poll.timeout.ms must be >= 0");
  }
  if (c.metricsLogPeriodMs_ < 0) {
    throw IllegalArgumentException("KafkaSpoutConfig: metrics.log.period.ms must be >= 0");
  }

  auto& p = c.props_;
  if (p.count("enable.auto.commit")) {
    throw IllegalArgumentException(
        "KafkaSpoutConfig: do not set enable.auto.commit; use setProcessingGuarantee instead "
        "(the spout commits offsets itself)");
  }
  for (const char* key : {"key.deserializer", "value.deserializer"}) {
    if (auto it = p.find(key); it != p.end()) {
      bool bytes = bytesDeserializer(key, it->second);
      (std::string(key) == "key.deserializer" ? c.bytesKeys_ : c.bytesValues_) = bytes;
      p.erase(it);
    }
  }
  p["bootstrap.servers"] = c.bootstrap_;
  // librdkafka (before 2.1) stops fetching for a hard-coded second once its local queue holds
  // queued.min.messages (default 100000): a spout that drains faster than one fetch round then
  // idles most of each second (measured: 0.34 M records/s with the default, 1.6 M without the
  // stall). Memory stays bounded by queued.max.messages.kbytes. A user's own value wins.
  p.try_emplace("queued.min.messages", "10000000");
  p["enable.auto.commit"] = "false";
  // A stray commit of the consumer's own position could then never commit unacked records.
  p["enable.auto.offset.store"] = "false";
  auto reset = p.find("auto.offset.reset");
  if (reset != p.end() && reset->second == "none") reset->second = "error";  // Java's name
  if (c.guarantee_ == ProcessingGuarantee::AT_LEAST_ONCE) {
    if (reset == p.end()) {
      // An out-of-range offset then replays rather than skips.
      p["auto.offset.reset"] = "earliest";
    } else if (reset->second != "earliest" && reset->second != "smallest" &&
               reset->second != "beginning" && reset->second != "error") {
      spdlog::warn(
          "KafkaSpoutConfig: auto.offset.reset={} with AT_LEAST_ONCE skips records when an "
          "offset falls out of range; 'earliest' replays them",
          reset->second);
    }
  } else if (c.guarantee_ == ProcessingGuarantee::AT_MOST_ONCE && reset != p.end() &&
             reset->second != "latest" && reset->second != "largest" && reset->second != "end" &&
             reset->second != "error") {
    spdlog::warn(
        "KafkaSpoutConfig: auto.offset.reset={} with AT_MOST_ONCE may process records twice "
        "when an offset falls out of range",
        reset->second);
  }
  if (!c.retry_) c.retry_ = std::make_shared<KafkaSpoutRetryExponentialBackoff>();
  if (!c.translatorSet_) {
    c.translator_ =
        std::make_shared<DefaultRecordTranslator>(kDefaultStream, c.bytesKeys_, c.bytesValues_);
  }
  if (!c.listener_) c.listener_ = std::make_shared<KafkaTupleListener>();
  return c;
}

std::string KafkaSpoutConfig::topicsString() const {
  if (pattern_) return pattern_->regex;
  std::string out;
  for (const auto& t : topics_) {
    if (!out.empty()) out += ",";
    out += t;
  }
  return out;
}

std::optional<std::string> KafkaSpoutConfig::groupId() const {
  auto it = props_.find("group.id");
  if (it == props_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// --- From a map --------------------------------------------------------------------------------

KafkaSpoutConfig KafkaSpoutConfig::fromMap(const Map& m) {
  MapArgs a("KafkaSpout", m);
  std::string bootstrap = a.requiredString("bootstrap.servers");
  const Value* topics = a.find("topics");
  const Value* pattern = a.find("topic.pattern");
  if ((topics != nullptr) == (pattern != nullptr)) {
    throw IllegalArgumentException("KafkaSpout: give exactly one of 'topics' and 'topic.pattern'");
  }
  Builder b = pattern ? Builder(bootstrap, TopicPattern{a.requiredString("topic.pattern")})
                      : Builder(bootstrap, a.stringList("topics"));
  if (auto v = a.optionalString("group.id")) b.setGroupId(*v);
  if (auto v = a.optionalString("first.poll.offset.strategy")) {
    b.setFirstPollOffsetStrategy(parseFirstPollOffsetStrategy(*v));
  }
  if (auto v = a.optionalString("processing.guarantee")) {
    b.setProcessingGuarantee(parseProcessingGuarantee(*v));
  }
  if (auto v = a.optionalInt("offset.commit.period.ms")) b.setOffsetCommitPeriodMs(*v);
  if (auto v = a.optionalInt("max.uncommitted.offsets")) b.setMaxUncommittedOffsets(*v);
  if (auto v = a.optionalInt("poll.timeout.ms")) b.setPollTimeoutMs(*v);
  if (auto v = a.optionalInt("partition.refresh.period.ms")) b.setPartitionRefreshPeriodMs(*v);
  if (auto v = a.optionalInt("max.poll.records")) b.setMaxPollRecords(*v);
  if (auto v = a.optionalInt("metrics.log.period.ms")) b.setMetricsLogPeriodMs(*v);
  if (auto v = a.optionalBool("emit.null.tuples")) b.setEmitNullTuples(*v);
  if (auto v = a.optionalBool("tuple.tracking.enforced")) b.setTupleTrackingEnforced(*v);
  if (const Value* r = a.find("retry")) {
    MapArgs ra("KafkaSpout retry", a.map("retry", *r));
    KafkaSpoutRetryExponentialBackoff def;
    int64_t initial = ra.optionalInt("initial.delay.ms").value_or(0);
    int64_t period = ra.optionalInt("delay.period.ms").value_or(2);
    int64_t maxRetries =
        ra.optionalInt("max.retries").value_or(KafkaSpoutRetryExponentialBackoff::kRetryForever);
    int64_t maxDelay = ra.optionalInt("max.delay.ms").value_or(10'000);
    ra.rejectUnknown();
    using TI = KafkaSpoutRetryExponentialBackoff::TimeInterval;
    b.setRetry(std::make_shared<KafkaSpoutRetryExponentialBackoff>(
        TI::milliSeconds(initial), TI::milliSeconds(period),
        static_cast<int>(
            std::min<int64_t>(maxRetries, KafkaSpoutRetryExponentialBackoff::kRetryForever)),
        TI::milliSeconds(maxDelay)));
  }
  if (const Value* k = a.find("kafka")) {
    for (const auto& [key, v] : a.map("kafka", *k))
      b.setProp(key, MapArgs::scalarText("kafka." + key, v));
  }
  std::string stream = a.optionalString("stream").value_or(kDefaultStream);
  const Value* byTopic = a.find("topic.streams");
  a.rejectUnknown();
  // Built once to learn the deserializers, then again with the translator they imply.
  KafkaSpoutConfig probe = b.build();
  auto def =
      std::make_shared<DefaultRecordTranslator>(stream, probe.bytesKeys(), probe.bytesValues());
  if (byTopic) {
    auto t = std::make_shared<ByTopicRecordTranslator>(def);
    for (const auto& [topic, s] : a.map("topic.streams", *byTopic)) {
      if (!s.isString()) {
        throw IllegalArgumentException(
            fmt::format("KafkaSpout: topic.streams.{} must be a stream name", topic));
      }
      t->forTopic(topic, std::make_shared<DefaultRecordTranslator>(s.asString(), probe.bytesKeys(),
                                                                   probe.bytesValues()));
    }
    b.setRecordTranslator(t);
  } else if (stream != kDefaultStream) {
    b.setRecordTranslator(def);
  }
  return b.build();
}

}  // namespace squall::kafka
