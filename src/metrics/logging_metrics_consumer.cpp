// Storm's org.apache.storm.metric.LoggingMetricsConsumer: one line per data point, in Storm's
// layout, to the metrics log.

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>

#include "metrics/metrics_config.h"
#include "squall/errors.h"
#include "squall/metrics_consumer.h"

namespace squall::metrics {

namespace {

const auto kProcessStart = std::chrono::steady_clock::now();

// A value as Java's toString writes it (Storm logs the object): 5, 2.5, 1.0, {a=1, b=2}, [1, 2].
std::string javaString(const Value& v) {
  if (v.isNull()) return "null";
  if (v.isBool()) return v.asBool() ? "true" : "false";
  if (v.isInteger()) return v.toString();
  if (v.isDouble()) {
    double d = v.asDouble();
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    std::string s = fmt::format("{}", d);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
  }
  if (v.isString()) return v.asString();
  if (v.isList()) {
    std::string out = "[";
    for (const auto& e : v.asList()) out += (out.size() > 1 ? ", " : "") + javaString(e);
    return out + "]";
  }
  if (v.isMap()) {
    std::string out = "{";
    for (const auto& [k, e] : v.asMap())
      out += (out.size() > 1 ? ", " : "") + k + "=" + javaString(e);
    return out + "}";
  }
  return v.toString();
}

class LoggingMetricsConsumer : public IMetricsConsumer {
 public:
  void prepare(const Config& conf, const Value&, TopologyContext&, IErrorReporter&) override {
    path_ = metricsLogPath(conf);
    if (path_.empty()) return;
    out_.open(path_, std::ios::app);
    if (!out_) {
      throw IllegalArgumentException(
          fmt::format("LoggingMetricsConsumer cannot open its log '{}'", path_));
    }
  }

  void handleDataPoints(const TaskInfo& t, const std::vector<DataPoint>& points) override {
    // Storm's format: "%d\t%15s:%-4d\t%3d:%-11s\t", then the name padded to 23, a tab, the value.
    std::string header =
        fmt::format("{}\t{:>15}:{:<4}\t{:>3}:{:<11}\t", t.timestamp, t.srcWorkerHost,
                    t.srcWorkerPort, t.srcTaskId, t.srcComponentId);
    for (const auto& p : points) {
      std::string line =
          fmt::format("{}{:<23}\t{}", header, p.name.substr(0, 23), javaString(p.value));
      if (path_.empty()) {
        spdlog::info("{}", line);
        continue;
      }
      // log4j2's metrics pattern in Storm's worker.xml: "%d %-8r %m%n".
      auto now = std::chrono::system_clock::now();
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
      auto up = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - kProcessStart)
                    .count();
      out_ << fmt::format("{:%Y-%m-%d %H:%M:%S},{:03} {:<8} {}\n",
                          fmt::localtime(std::chrono::system_clock::to_time_t(now)), ms.count(), up,
                          line);
    }
    out_.flush();
  }

  void cleanup() override { out_.close(); }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace

std::string metricsLogPath(const Config& conf) {
  const Value* dir = conf.find("storm.log.dir");
  if (!dir || !dir->isString() || dir->asString().empty()) return "";
  return dir->asString() + "/metrics.log";
}

void registerBuiltinMetricsConsumers() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerMetricsConfigChecks();
    registerMetricsConsumer(kLoggingMetricsConsumer,
                            [] { return std::make_unique<LoggingMetricsConsumer>(); });
  });
}

}  // namespace squall::metrics
