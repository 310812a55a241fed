// KafkaBolt from Storm's Flux form: storm-kafka-client's KafkaBolt with its with*/set* methods,
// DefaultTopicSelector / FieldNameTopicSelector / FieldIndexTopicSelector and
// FieldNameBasedTupleToKafkaMapper, turned into the settings map KafkaBolt(const Values&) reads.

#include "kafka/kafka_bolt_flux.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "kafka/flux_bean.h"

namespace squall::kafka {

namespace {

constexpr const char* kBoltPkg = "org.apache.storm.kafka.bolt.";

std::string text(const FluxBean& b, const Value& v, const char* what) {
  if (!v.isString()) throw b.error(fmt::format("{} must be a string, got {}", what, v.toString()));
  return v.asString();
}

void topicSelector(const Value& v, Map& out) {
  if (v.isString()) {
    out["topic"] = v;
    return;
  }
  FluxBean s(v, "the topic selector");
  const std::string name = s.simpleName();
  const List& a = s.constructorArgs();
  bool storms = s.className() == std::string(kBoltPkg) + "selector." + name;
  if (storms && name == "DefaultTopicSelector" && a.size() == 1) {
    out["topic"] = Value(text(s, a[0], "the topic"));
  } else if (storms && name == "FieldNameTopicSelector" && a.size() == 2) {
    out["topic.field"] = Value(text(s, a[0], "the field name"));
    out["topic"] = Value(text(s, a[1], "the default topic"));
  } else if (storms && name == "FieldIndexTopicSelector" && a.size() == 2 && a[0].isInt()) {
    out["topic.index"] = a[0];
    out["topic"] = Value(text(s, a[1], "the default topic"));
  } else if (storms && (name == "DefaultTopicSelector" || name == "FieldNameTopicSelector" ||
                        name == "FieldIndexTopicSelector")) {
    throw s.error(fmt::format("{} takes constructorArgs {}", name,
                              name == "DefaultTopicSelector"     ? "[topic]"
                              : name == "FieldNameTopicSelector" ? "[field name, default topic]"
                                                                 : "[field index, default topic]"));
  } else {
    throw s.error(javaOnly(s.className(),
                           "use org.apache.storm.kafka.bolt.selector.DefaultTopicSelector, "
                           "FieldNameTopicSelector or FieldIndexTopicSelector"));
  }
}

void mapper(const Value& v, Map& out) {
  FluxBean m(v, "the tuple-to-Kafka mapper");
  const List& a = m.constructorArgs();
  if (m.className() != std::string(kBoltPkg) + "mapper.FieldNameBasedTupleToKafkaMapper") {
    throw m.error(
        javaOnly(m.className(),
                 "use org.apache.storm.kafka.bolt.mapper.FieldNameBasedTupleToKafkaMapper "
                 "(fields \"key\" and \"message\", or the two names you give it)"));
  }
  if (a.size() == 2) {
    out["key.field"] = Value(text(m, a[0], "the key field"));
    out["message.field"] = Value(text(m, a[1], "the message field"));
  } else if (!a.empty()) {
    throw m.error(
        "FieldNameBasedTupleToKafkaMapper takes no constructorArgs or [key field, "
        "message field]");
  }
}

}  // namespace

Map kafkaBoltSettingsFromFlux(const Value& component) {
  FluxBean b(component, "the KafkaBolt");
  if (!b.constructorArgs().empty() || !b.factory().empty()) {
    throw b.error(
        "KafkaBolt takes no constructorArgs; configure it with configMethods "
        "(withProducerProperties, withTopicSelector, withTupleToKafkaMapper, "
        "setFireAndForget, setAsync)");
  }
  Map out;
  Map kafka;
  auto call = [&](const std::string& m, const List& a) {
    static const std::vector<std::string> known = {"withProducerProperties", "withTopicSelector",
                                                   "withTupleToKafkaMapper", "setFireAndForget",
                                                   "setAsync"};
    if (m == "withProducerCallback") {
      throw b.error(
          javaOnly(a.empty() ? "a producer callback" : a[0].toString(),
                   "delivery results reach the bolt itself: failed sends fail the tuple"));
    }
    if (std::find(known.begin(), known.end(), m) == known.end()) {
      throw b.error(
          fmt::format("KafkaBolt has no config method '{}' that Squall supports; the "
                      "supported ones are {}",
                      m, fmt::join(known, ", ")));
    }
    if (a.size() != 1) throw b.error(fmt::format("{} takes one argument", m));
    if (m == "withProducerProperties") {
      for (auto [k, v] : propertiesOf(b, a[0])) {
        // Java's serializer classes: librdkafka sends bytes and knows no such property.
        if (k == "key.serializer" || k == "value.serializer") continue;
        kafka.insert_or_assign(k, Value(std::move(v)));
      }
    } else if (m == "withTopicSelector") {
      topicSelector(a[0], out);
    } else if (m == "withTupleToKafkaMapper") {
      mapper(a[0], out);
    } else {
      if (!a[0].isBool()) throw b.error(fmt::format("{} takes [true|false]", m));
      out[m == "setAsync" ? "async" : "fire.and.forget"] = a[0];
    }
  };
  for (const auto& [name, value] : b.properties()) {
    call(name == "async" || name == "fireAndForget" ? setterFor(name)
                                                    : "with" + setterFor(name).substr(3),
         List{value});
  }
  for (const auto& [name, args] : b.configMethods()) call(name, args);
  if (!kafka.empty()) out["kafka"] = Value(std::move(kafka));
  return out;
}

}  // namespace squall::kafka
