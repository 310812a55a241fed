// Registers the Kafka components under Storm's class names, so YAML topologies can name them.
// The anchor symbol is pulled in by the linker (see CMakeLists.txt), so the static
// initializer runs in every program that links squall, even one that never names a Kafka
// class in C++.

#include "squall/component_registry.h"
#include "squall/kafka_bolt.h"
#include "squall/kafka_registration.h"
#include "squall/kafka_spout.h"

namespace squall::kafka {

void registerKafkaComponents() {
  registerComponent<KafkaSpout>("org.apache.storm.kafka.spout.KafkaSpout");
  registerComponent<KafkaBolt>("org.apache.storm.kafka.bolt.KafkaBolt");
}

namespace {
const bool registered = (registerKafkaComponents(), true);
}  // namespace

}  // namespace squall::kafka

// Referenced by `-Wl,--undefined` from every target linking squall_kafka.
extern "C" [[gnu::used]] const int squall_kafka_components_anchor = squall::kafka::registered ? 1 : 0;
