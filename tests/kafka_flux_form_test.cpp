// KafkaSpoutConfig::fromFlux and KafkaBolt from Storm's Flux form: the values each builder
// method, property, factory, retry and translator component sets actually reach the config
// (the end-to-end tests see only what `describe` and a run show).

#include <gtest/gtest.h>

#include "squall/errors.h"
#include "squall/kafka_bolt.h"
#include "squall/kafka_spout.h"

using namespace squall;
using namespace squall::kafka;

namespace {

const std::string kPkg = "org.apache.storm.kafka.spout.";

Value bean(const std::string& cls, List args = {}, List methods = {}, Map props = {}) {
  Map m{{"className", Value(cls)}, {"id", Value("c")}};
  if (!args.empty()) m["constructorArgs"] = Value(std::move(args));
  if (!methods.empty()) m["configMethods"] = Value(std::move(methods));
  if (!props.empty()) m["properties"] = Value(std::move(props));
  return Value(std::move(m));
}

Value factoryBean(const std::string& cls, const std::string& factory, List args) {
  return Value(Map{{"className", Value(cls)},
                   {"factory", Value(factory)},
                   {"factoryArgs", Value(std::move(args))}});
}

Value call(const std::string& name, List args) {
  return Value(Map{{"name", Value(name)}, {"args", Value(std::move(args))}});
}

Value interval(const std::string& factory, int64_t n) {
  return factoryBean(kPkg + "KafkaSpoutRetryExponentialBackoff$TimeInterval", factory, {Value(n)});
}

}  // namespace

TEST(KafkaFluxForm, BuilderMethodsReachTheConfig) {
  Value retry = bean(kPkg + "KafkaSpoutRetryExponentialBackoff",
                     {interval("milliSeconds", 100), interval("milliSeconds", 10), Value(3),
                      bean(kPkg + "KafkaSpoutRetryExponentialBackoff$TimeInterval",
                           {Value(2), Value("SECONDS")})});
  Value builder = bean(
      kPkg + "KafkaSpoutConfig$Builder", {Value("b:9092"), Value(List{Value("t1"), Value("t2")})},
      {call("setProp", {Value("fetch.wait.max.ms"), Value(10)}),
       call("setProp",
            {Value(Map{{"value.deserializer", Value("org.apache.kafka.common.serialization."
                                                    "ByteArrayDeserializer")}})}),
       call("setGroupId", {Value("g")}), call("setProcessingGuarantee", {Value("AT_MOST_ONCE")}),
       call("setOffsetCommitPeriodMs", {Value(1234)}),
       call("setMaxUncommittedOffsets", {Value(77)}), call("setPollTimeoutMs", {Value(5)}),
       call("setPartitionRefreshPeriodMs", {Value(999)}), call("setEmitNullTuples", {Value(true)}),
       call("setTupleTrackingEnforced", {Value(true)}), call("setRetry", {retry}),
       call("build", {})},
      {{"firstPollOffsetStrategy", Value("LATEST")}});
  KafkaSpoutConfig c = KafkaSpoutConfig::fromFlux(bean(kPkg + "KafkaSpoutConfig", {builder}));
  EXPECT_EQ(c.bootstrapServers(), "b:9092");
  EXPECT_EQ(c.topics(), (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(c.groupId(), "g");
  EXPECT_EQ(c.kafkaProps().at("fetch.wait.max.ms"), "10");
  EXPECT_TRUE(c.bytesValues());
  EXPECT_EQ(c.firstPollOffsetStrategy(), FirstPollOffsetStrategy::LATEST);
  EXPECT_EQ(c.processingGuarantee(), ProcessingGuarantee::AT_MOST_ONCE);
  EXPECT_EQ(c.offsetCommitPeriodMs(), 1234);
  EXPECT_EQ(c.maxUncommittedOffsets(), 77);
  EXPECT_EQ(c.pollTimeoutMs(), 5);
  EXPECT_EQ(c.partitionRefreshPeriodMs(), 999);
  EXPECT_TRUE(c.emitNullTuples());
  EXPECT_TRUE(c.tupleTrackingEnforced());
  auto& r = dynamic_cast<const KafkaSpoutRetryExponentialBackoff&>(c.retry());
  EXPECT_EQ(r.maxRetries(), 3);
  EXPECT_EQ(r.delayFor(1), std::chrono::milliseconds(100));
  EXPECT_EQ(r.delayFor(2), std::chrono::milliseconds(20));
  EXPECT_EQ(r.delayFor(20), std::chrono::seconds(2));  // capped at maxDelay
}

TEST(KafkaFluxForm, FactoryBuilderPatternAndTranslators) {
  Value pattern = factoryBean("java.util.regex.Pattern", "compile", {Value("orders-.*")});
  Map b = factoryBean(kPkg + "KafkaSpoutConfig", "builder", {Value("b:1"), pattern}).asMap();
  b["properties"] = Value(
      Map{{"recordTranslator", bean("org.apache.storm.flux.examples.OnlyValueRecordTranslator")}});
  KafkaSpoutConfig c = KafkaSpoutConfig::fromFlux(Value(b));
  ASSERT_TRUE(c.topicPattern());
  EXPECT_EQ(c.topicPattern()->regex, "orders-.*");
  ConsumerRecord rec{"orders-eu", 0, 7, -1, std::string("k"), std::string("v")};
  auto t = c.translator().apply(rec);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->values, (Values{Value("v")}));
  EXPECT_EQ(c.translator().getFieldsFor("default").toList(), (std::vector<std::string>{"value"}));

  // ByTopicRecordTranslator: Storm refuses one stream declared with two different Fields.
  Value byTopic = bean(kPkg + "ByTopicRecordTranslator", {bean(kPkg + "DefaultRecordTranslator")},
                       {call("forTopic", {Value("orders-eu"), bean("org.apache.storm.flux.examples."
                                                                   "OnlyValueRecordTranslator")})});
  b.erase("properties");
  b["configMethods"] = Value(List{call("setRecordTranslator", {byTopic})});
  EXPECT_THROW(KafkaSpoutConfig::fromFlux(Value(b)), IllegalArgumentException);
}

TEST(KafkaFluxForm, MistakesNameTheComponentAndTheSupportedForm) {
  auto msg = [](const Value& v) {
    try {
      KafkaSpoutConfig::fromFlux(v);
    } catch (const IllegalArgumentException& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Value servers = Value("b:1");
  std::string unknown = msg(
      bean(kPkg + "KafkaSpoutConfig$Builder", {servers, Value("t")}, {call("setFoo", {Value(1)})}));
  EXPECT_NE(unknown.find("component 'c' (KafkaSpoutConfig$Builder)"), std::string::npos);
  EXPECT_NE(unknown.find("the supported ones are setProp"), std::string::npos);
  std::string func = msg(
      bean(kPkg + "KafkaSpoutConfig$Builder", {servers, Value("t")},
           {call("setRecordTranslator", {bean("com.example.MyFunc"), Value(List{Value("f")})})}));
  EXPECT_NE(func.find("'com.example.MyFunc' is Java code"), std::string::npos);
  std::string listener = msg(bean(kPkg + "KafkaSpoutConfig$Builder", {servers, Value("t")},
                                  {call("setTupleListener", {bean("com.example.Listener")})}));
  EXPECT_NE(listener.find("Java code"), std::string::npos);
  EXPECT_NE(msg(bean("com.example.MyConfig")).find("expected a KafkaSpoutConfig"),
            std::string::npos);
}

TEST(KafkaFluxForm, KafkaBoltConfigMethods) {
  Value props = bean("java.util.Properties", {},
                     {call("put", {Value("bootstrap.servers"), Value("b:1")}),
                      call("put", {Value("key.serializer"), Value("StringSerializer")})});
  Value selector =
      bean("org.apache.storm.kafka.bolt.selector.FieldNameTopicSelector", {Value("t"), Value("d")});
  Value mapper = bean("org.apache.storm.kafka.bolt.mapper.FieldNameBasedTupleToKafkaMapper");
  Value bolt = bean("org.apache.storm.kafka.bolt.KafkaBolt", {},
                    {call("withProducerProperties", {props}), call("withTopicSelector", {selector}),
                     call("withTupleToKafkaMapper", {mapper}), call("setAsync", {Value(false)})});
  EXPECT_NO_THROW(KafkaBolt(Values{bolt}));
  Value callback = bean("org.apache.storm.kafka.bolt.KafkaBolt", {},
                        {call("withProducerProperties", {props}),
                         call("withProducerCallback", {bean("com.example.Callback")})});
  try {
    KafkaBolt b(Values{callback});
    FAIL() << "a Java callback was accepted";
  } catch (const IllegalArgumentException& e) {
    EXPECT_NE(std::string(e.what()).find("Java code"), std::string::npos);
  }
}
