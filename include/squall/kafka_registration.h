#pragma once
// Kafka components in the global ComponentRegistry under Storm's class names:
// "org.apache.storm.kafka.spout.KafkaSpout" and "org.apache.storm.kafka.bolt.KafkaBolt", each
// built from one map argument (keys in src/kafka/README.md). Every program linking squall
// registers them at start-up; calling this again is harmless.

namespace squall::kafka {

void registerKafkaComponents();

}  // namespace squall::kafka
