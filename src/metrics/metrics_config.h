#pragma once
// The metrics configuration, read and checked once: `topology.metrics.consumer.register`
// entries (Storm's IMetricsConsumer registrations) and `topology.metrics.reporters` entries
// (Storm 2's reporters: class, report.period, report.period.units, and each reporter's own
// keys). A bad entry is a ConfigError naming the key, the entry's index and the field.

#include <cstdint>
#include <string>
#include <vector>

#include "squall/config.h"
#include "squall/value.h"

namespace squall::metrics {

struct MetricsConsumerSpec {
  std::string className;
  int parallelism = 1;  // parallelism.hint
  Value argument;
};

enum class ReporterKind { Statsd, Console };

inline constexpr const char* kStatsdReporter = "squall.metrics.StatsdReporter";
inline constexpr const char* kConsoleReporter =
    "org.apache.storm.metrics2.reporters.ConsoleStormReporter";

struct ReporterSpec {
  ReporterKind kind = ReporterKind::Console;
  std::string className;     // as written
  int64_t periodMs = 10000;  // report.period in report.period.units (Storm: 10 SECONDS)
  // statsd
  std::string host = "localhost";
  int port = 8125;
  std::string prefix = "storm";
};

// `where` names the entry in errors, e.g. "topology.metrics.consumer.register[0]".
MetricsConsumerSpec metricsConsumerSpec(const Value& entry, const std::string& where);
ReporterSpec reporterSpec(const Value& entry, const std::string& where);
// Every reporter of the configuration.
std::vector<ReporterSpec> reporterSpecs(const Config& conf);
// Registers the checks of both keys with the configuration's validation. Idempotent.
void registerMetricsConfigChecks();

}  // namespace squall::metrics
