// KafkaSpoutConfig from Storm's Flux form, as Storm's flux-examples/kafka_spout.yaml and
// users' Java write it: a KafkaSpoutConfig$Builder component (constructor args or the static
// KafkaSpoutConfig.builder factory), its properties and configMethods, then a KafkaSpoutConfig
// built from it (constructor arg `ref: builder`) or the builder itself, referenced by the
// KafkaSpout. Only Storm's own classes are understood; a user's Java class is named as such.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>

#include "kafka/flux_bean.h"
#include "squall/kafka_spout.h"

namespace squall::kafka {

namespace {

constexpr const char* kPkg = "org.apache.storm.kafka.spout.";
const std::string kSpout = std::string(kPkg) + "KafkaSpout";
const std::string kConfig = std::string(kPkg) + "KafkaSpoutConfig";
const std::string kBuilder = std::string(kPkg) + "KafkaSpoutConfig$Builder";
const std::string kBackoff = std::string(kPkg) + "KafkaSpoutRetryExponentialBackoff";
const std::string kInterval = std::string(kPkg) + "KafkaSpoutRetryExponentialBackoff$TimeInterval";

const char* kTranslatorInstead =
    "use org.apache.storm.kafka.spout.DefaultRecordTranslator (fields topic, partition, "
    "offset, key, value), ByTopicRecordTranslator of those, or the flux-examples "
    "OnlyValueRecordTranslator, and reshape tuples in a Python bolt";

using TranslatorMaker =
    std::function<std::shared_ptr<const RecordTranslator>(bool bytesKey, bool bytesValue)>;

std::string str(const FluxBean& b, const Value& v, const std::string& what) {
  if (!v.isString()) throw b.error(fmt::format("{} must be a string, got {}", what, v.toString()));
  return v.asString();
}

int64_t integer(const FluxBean& b, const Value& v, const std::string& what) {
  if (v.isInt()) return v.asInt();
  throw b.error(fmt::format("{} must be an integer, got {}", what, v.toString()));
}

bool boolean(const FluxBean& b, const Value& v, const std::string& what) {
  if (v.isBool()) return v.asBool();
  throw b.error(fmt::format("{} must be true or false, got {}", what, v.toString()));
}

void arity(const FluxBean& b, const std::string& method, const List& args, size_t n,
           const char* form) {
  if (args.size() != n) {
    throw b.error(fmt::format("{} takes args {}, got {} argument{}", method, form, args.size(),
                              args.size() == 1 ? "" : "s"));
  }
}

// A TimeInterval component: constructor (length, TimeUnit) or the seconds / milliSeconds /
// microSeconds factories.
KafkaSpoutRetryExponentialBackoff::TimeInterval intervalOf(const Value& v) {
  using TI = KafkaSpoutRetryExponentialBackoff::TimeInterval;
  FluxBean b(v, "a TimeInterval");
  if (b.className() != kInterval) {
    throw b.error("expected a " + std::string(kInterval) + " component");
  }
  std::string factory = b.factory();
  if (!factory.empty()) {
    const List& a = b.factoryArgs();
    arity(b, factory, a, 1, "[length]");
    int64_t n = integer(b, a[0], "the length");
    if (factory == "seconds") return TI::seconds(n);
    if (factory == "milliSeconds") return TI::milliSeconds(n);
    if (factory == "microSeconds") return TI::microSeconds(n);
    throw b.error(fmt::format(
        "TimeInterval has no factory '{}'; use seconds, milliSeconds or microSeconds", factory));
  }
  const List& a = b.constructorArgs();
  arity(b, "the constructor", a, 2, "[length, TimeUnit] (for example [500, MILLISECONDS])");
  int64_t n = integer(b, a[0], "the length");
  std::string unit = enumName(a[1]);
  if (unit == "NANOSECONDS") return TI{std::chrono::nanoseconds(n)};
  if (unit == "MICROSECONDS") return TI::microSeconds(n);
  if (unit == "MILLISECONDS") return TI::milliSeconds(n);
  if (unit == "SECONDS") return TI::seconds(n);
  if (unit == "MINUTES") return TI{std::chrono::minutes(n)};
  if (unit == "HOURS") return TI{std::chrono::hours(n)};
  if (unit == "DAYS") return TI{std::chrono::hours(24 * n)};
  throw b.error(fmt::format("unknown TimeUnit '{}' (NANOSECONDS ... DAYS)", unit));
}

std::shared_ptr<const KafkaSpoutRetryService> retryOf(const Value& v) {
  FluxBean b(v, "the retry service");
  if (b.className() != kBackoff) {
    throw b.error(
        javaOnly(b.className(), "use " + kBackoff +
                                    " with constructorArgs [initialDelay, delayPeriod, maxRetries, "
                                    "maxDelay] (TimeInterval components)"));
  }
  const List& a = b.constructorArgs();
  arity(b, "the constructor", a, 4,
        "[TimeInterval initialDelay, TimeInterval delayPeriod, int maxRetries, TimeInterval "
        "maxDelay]");
  int64_t maxRetries = integer(b, a[2], "maxRetries");
  if (maxRetries < 0) throw b.error("maxRetries must be >= 0");
  return std::make_shared<KafkaSpoutRetryExponentialBackoff>(
      intervalOf(a[0]), intervalOf(a[1]),
      static_cast<int>(
          std::min<int64_t>(maxRetries, KafkaSpoutRetryExponentialBackoff::kRetryForever)),
      intervalOf(a[3]));
}

TranslatorMaker translatorOf(const Value& v);

// forTopic / constructor arguments of ByTopicRecordTranslator: (translator) or
// (func, fields[, stream]).
TranslatorMaker translatorArgs(const FluxBean& b, const List& a, const std::string& what) {
  if (a.size() == 1) return translatorOf(a[0]);
  if (a.size() == 2 || a.size() == 3) {
    FluxBean func(a[0], "the Func of " + what);
    throw func.error(javaOnly(func.className(), kTranslatorInstead));
  }
  throw b.error(fmt::format("{} takes [translator] or [func, fields, stream]", what));
}

TranslatorMaker translatorOf(const Value& v) {
  FluxBean b(v, "the record translator");
  std::string name = b.simpleName();
  bool storms = b.className().rfind(kPkg, 0) == 0;
  if (storms && name == "DefaultRecordTranslator") {
    if (!b.constructorArgs().empty()) throw b.error("DefaultRecordTranslator takes no arguments");
    return [](bool k, bool val) {
      return std::make_shared<DefaultRecordTranslator>(kDefaultStream, k, val);
    };
  }
  if (b.className() == "org.apache.storm.flux.examples.OnlyValueRecordTranslator") {
    // Storm's Flux example translator: the value alone, as field "value".
    return [](bool, bool bytesValue) {
      return std::make_shared<SimpleRecordTranslator>(
          [bytesValue](const ConsumerRecord& r) -> std::optional<Values> {
            if (!r.value) return Values{Value()};
            if (bytesValue) return Values{Value(Bytes{*r.value})};
            return Values{Value(*r.value)};
          },
          Fields{"value"});
    };
  }
  if (storms && name == "ByTopicRecordTranslator") {
    TranslatorMaker def = translatorArgs(b, b.constructorArgs(), "ByTopicRecordTranslator");
    std::vector<std::pair<std::string, TranslatorMaker>> topics;
    for (const auto& [method, args] : b.configMethods()) {
      if (method != "forTopic") {
        throw b.error(
            fmt::format("ByTopicRecordTranslator has no config method '{}'; use forTopic", method));
      }
      if (args.empty()) throw b.error("forTopic takes [topic, translator]");
      topics.emplace_back(str(b, args[0], "the topic of forTopic"),
                          translatorArgs(b, List(args.begin() + 1, args.end()), "forTopic"));
    }
    return [def, topics](bool k, bool val) {
      auto t = std::make_shared<ByTopicRecordTranslator>(def(k, val));
      for (const auto& [topic, make] : topics) t->forTopic(topic, make(k, val));
      return t;
    };
  }
  if (storms && name == "SimpleRecordTranslator") {
    const List& a = b.constructorArgs();
    if (a.empty()) throw b.error("SimpleRecordTranslator takes [func, fields, stream]");
    FluxBean func(a[0], "the Func of SimpleRecordTranslator");
    throw func.error(javaOnly(func.className(), kTranslatorInstead));
  }
  throw b.error(javaOnly(b.className(), kTranslatorInstead));
}

// The builder under construction, and the translator to set once deserializers are known.
struct BuilderState {
  std::optional<KafkaSpoutConfig::Builder> builder;
  TranslatorMaker translator;
};

const std::vector<std::string> kBuilderMethods = {"setProp",
                                                  "setGroupId",
                                                  "setFirstPollOffsetStrategy",
                                                  "setProcessingGuarantee",
                                                  "setOffsetCommitPeriodMs",
                                                  "setMaxUncommittedOffsets",
                                                  "setPollTimeoutMs",
                                                  "setPartitionRefreshPeriodMs",
                                                  "setRetry",
                                                  "setRecordTranslator",
                                                  "setEmitNullTuples",
                                                  "setTupleTrackingEnforced",
                                                  "setMaxPollRecords",
                                                  "setMetricsTimeBucketSizeInSecs",
                                                  "build"};

void call(const FluxBean& b, BuilderState& s, const std::string& m, const List& a) {
  auto& bld = *s.builder;
  if (m == "setProp") {
    if (a.size() == 2) {
      bld.setProp(str(b, a[0], "the key of setProp"), scalarText(b, a[1]));
    } else {
      arity(b, m, a, 1, "[{key: value, ...}] or [key, value]");
      bld.setProp(propertiesOf(b, a[0]));
    }
  } else if (m == "setGroupId") {
    arity(b, m, a, 1, "[group id]");
    bld.setGroupId(str(b, a[0], "the group id"));
  } else if (m == "setFirstPollOffsetStrategy") {
    arity(b, m, a, 1, "[EARLIEST | LATEST | UNCOMMITTED_EARLIEST | UNCOMMITTED_LATEST]");
    bld.setFirstPollOffsetStrategy(parseFirstPollOffsetStrategy(enumName(a[0])));
  } else if (m == "setProcessingGuarantee") {
    arity(b, m, a, 1, "[AT_LEAST_ONCE | AT_MOST_ONCE | NO_GUARANTEE]");
    bld.setProcessingGuarantee(parseProcessingGuarantee(enumName(a[0])));
  } else if (m == "setOffsetCommitPeriodMs") {
    arity(b, m, a, 1, "[milliseconds]");
    bld.setOffsetCommitPeriodMs(integer(b, a[0], m));
  } else if (m == "setMaxUncommittedOffsets") {
    arity(b, m, a, 1, "[count]");
    bld.setMaxUncommittedOffsets(integer(b, a[0], m));
  } else if (m == "setPollTimeoutMs") {
    arity(b, m, a, 1, "[milliseconds]");
    bld.setPollTimeoutMs(integer(b, a[0], m));
  } else if (m == "setPartitionRefreshPeriodMs") {
    arity(b, m, a, 1, "[milliseconds]");
    bld.setPartitionRefreshPeriodMs(integer(b, a[0], m));
  } else if (m == "setMaxPollRecords") {
    arity(b, m, a, 1, "[count]");
    bld.setMaxPollRecords(integer(b, a[0], m));
  } else if (m == "setEmitNullTuples") {
    arity(b, m, a, 1, "[true|false]");
    bld.setEmitNullTuples(boolean(b, a[0], m));
  } else if (m == "setTupleTrackingEnforced") {
    arity(b, m, a, 1, "[true|false]");
    bld.setTupleTrackingEnforced(boolean(b, a[0], m));
  } else if (m == "setRetry") {
    arity(b, m, a, 1, "[a KafkaSpoutRetryExponentialBackoff component]");
    bld.setRetry(retryOf(a[0]));
  } else if (m == "setRecordTranslator") {
    if (a.size() != 1) {
      if (!a.empty() && FluxBean::is(a[0])) {
        FluxBean func(a[0], "the Func of setRecordTranslator");
        throw func.error(javaOnly(func.className(), kTranslatorInstead));
      }
      arity(b, m, a, 1, "[a RecordTranslator component]");
    }
    s.translator = translatorOf(a[0]);
  } else if (m == "setMetricsTimeBucketSizeInSecs") {
    // Stored and unused by Storm's spout too.
  } else if (m == "build") {
    // The builder is built when the spout is made.
  } else if (m == "setTupleListener") {
    throw b.error(
        javaOnly(a.empty() ? "a KafkaTupleListener" : a[0].toString(),
                 "tuple listeners are C++ (KafkaSpoutConfig::Builder::setTupleListener)"));
  } else if (m == "setStartTimeStamp") {
    throw b.error("setStartTimeStamp serves the TIMESTAMP strategies, which are Trident-only");
  } else {
    throw b.error(
        fmt::format("KafkaSpoutConfig$Builder has no config method '{}' that Squall "
                    "supports; the supported ones are {}",
                    m, fmt::join(kBuilderMethods, ", ")));
  }
}

// (servers, topics): topics as a list, one string per topic, or a java.util.regex.Pattern.
KafkaSpoutConfig::Builder newBuilder(const FluxBean& b, const List& a) {
  static const char* form =
      "[bootstrap servers, topics] where topics is a list, one or more strings, or a "
      "java.util.regex.Pattern component (factory: compile)";
  if (a.size() < 2) throw b.error(fmt::format("the builder takes {}", form));
  std::string servers = str(b, a[0], "the bootstrap servers");
  if (a.size() == 2 && FluxBean::is(a[1])) {
    FluxBean p(a[1], "the topic pattern");
    if (p.className() != "java.util.regex.Pattern" || p.factory() != "compile" ||
        p.factoryArgs().size() != 1) {
      throw p.error(fmt::format("the builder takes {}", form));
    }
    return KafkaSpoutConfig::Builder(servers,
                                     TopicPattern(str(p, p.factoryArgs()[0], "the pattern")));
  }
  std::vector<std::string> topics;
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i].isList()) {
      for (const auto& t : a[i].asList()) topics.push_back(str(b, t, "a topic"));
    } else {
      topics.push_back(str(b, a[i], "a topic"));
    }
  }
  return KafkaSpoutConfig::Builder(servers, topics);
}

void builderFrom(const Value& v, BuilderState& s) {
  FluxBean b(v, "the KafkaSpoutConfig builder");
  if (b.className() == kBuilder) {
    if (!b.factory().empty()) throw b.error("KafkaSpoutConfig$Builder is made by its constructor");
    s.builder.emplace(newBuilder(b, b.constructorArgs()));
  } else if (b.className() == kConfig && b.factory() == "builder") {
    s.builder.emplace(newBuilder(b, b.factoryArgs()));
  } else if (b.className() == kConfig && b.constructorArgs().size() == 1 && !b.hasSetters()) {
    builderFrom(b.constructorArgs()[0], s);  // new KafkaSpoutConfig(builder)
    return;
  } else {
    throw b.error("expected a KafkaSpoutConfig: a component of class " + kConfig +
                  " with constructorArgs [ref: <builder>], or the builder itself: " + kBuilder +
                  " with constructorArgs [servers, topics], or " + kConfig +
                  " with factory: builder and factoryArgs [servers, topics]");
  }
  for (const auto& [name, value] : b.properties()) call(b, s, setterFor(name), List{value});
  for (const auto& [name, args] : b.configMethods()) call(b, s, name, args);
}

}  // namespace

KafkaSpoutConfig KafkaSpoutConfig::fromFlux(const Value& component) {
  FluxBean top(component, "the KafkaSpout's argument");
  if (top.className() == kSpout) {  // the spout itself, with properties or configMethods
    if (top.hasSetters()) {
      throw top.error(
          "KafkaSpout takes its settings from its KafkaSpoutConfig; it has no "
          "properties or configMethods");
    }
    if (top.constructorArgs().size() != 1) {
      throw top.error("KafkaSpout takes constructorArgs [ref: <a KafkaSpoutConfig component>]");
    }
    return fromFlux(top.constructorArgs()[0]);
  }
  BuilderState s;
  builderFrom(component, s);
  if (!s.translator) return s.builder->build();
  KafkaSpoutConfig probe = s.builder->build();  // learns the deserializers
  s.builder->setRecordTranslator(s.translator(probe.bytesKeys(), probe.bytesValues()));
  return s.builder->build();
}

}  // namespace squall::kafka
