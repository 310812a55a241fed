#pragma once
// KafkaBolt's settings map (the registry form, src/kafka/README.md) from Storm's Flux form: a
// KafkaBolt component with configMethods withProducerProperties, withTopicSelector,
// withTupleToKafkaMapper, setFireAndForget, setAsync (or the matching properties).

#include "squall/value.h"

namespace squall::kafka {

// IllegalArgumentException naming the component and the supported form.
Map kafkaBoltSettingsFromFlux(const Value& component);

}  // namespace squall::kafka
