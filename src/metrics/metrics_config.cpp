#include "metrics/metrics_config.h"

#include <fmt/format.h>

#include <mutex>

#include "squall/config_value_check.h"
#include "squall/errors.h"

namespace squall::metrics {

namespace {

const Map& entryMap(const Value& entry, const std::string& where) {
  if (!entry.isMap()) {
    throw ConfigError(
        fmt::format("{}: expected a map such as {{class: ...}}, got {}", where, entry.toString()));
  }
  return entry.asMap();
}

const Value* get(const Map& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() || it->second.isNull() ? nullptr : &it->second;
}

std::string stringField(const Map& m, const char* key, const std::string& where) {
  const Value* v = get(m, key);
  if (!v || !v->isString() || v->asString().empty()) {
    throw ConfigError(fmt::format("{}: '{}' must be a non-empty string", where, key));
  }
  return v->asString();
}

int64_t intField(const Map& m, const char* key, const std::string& where, int64_t def, int64_t lo,
                 int64_t hi) {
  const Value* v = get(m, key);
  if (!v) return def;
  int64_t out = 0;
  if (v->isInt()) {
    out = v->asInt();
  } else if (v->isString()) {
    try {
      size_t used = 0;
      out = std::stoll(v->asString(), &used);
      if (used != v->asString().size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw ConfigError(
          fmt::format("{}: '{}' must be a whole number, got {}", where, key, v->toString()));
    }
  } else {
    throw ConfigError(
        fmt::format("{}: '{}' must be a whole number, got {}", where, key, v->toString()));
  }
  if (out < lo || out > hi) {
    throw ConfigError(fmt::format("{}: '{}' is {}, outside [{}, {}]", where, key, out, lo, hi));
  }
  return out;
}

// The first of `keys` that is set (Squall's short names and the statsd.-prefixed ones).
const Value* either(const Map& m, std::initializer_list<const char*> keys, const char** used) {
  for (const char* k : keys) {
    if (const Value* v = get(m, k)) {
      *used = k;
      return v;
    }
  }
  return nullptr;
}

}  // namespace

MetricsConsumerSpec metricsConsumerSpec(const Value& entry, const std::string& where) {
  const Map& m = entryMap(entry, where);
  MetricsConsumerSpec s;
  s.className = stringField(m, "class", where);
  s.parallelism = static_cast<int>(intField(m, "parallelism.hint", where, 1, 1, 1000));
  if (const Value* a = get(m, "argument")) s.argument = *a;
  return s;
}

ReporterSpec reporterSpec(const Value& entry, const std::string& where) {
  const Map& m = entryMap(entry, where);
  ReporterSpec s;
  s.className = stringField(m, "class", where);
  const std::string& c = s.className;
  if (c == kStatsdReporter || c == "StatsdReporter") {
    s.kind = ReporterKind::Statsd;
  } else if (c == kConsoleReporter || c == "ConsoleStormReporter") {
    s.kind = ReporterKind::Console;
  } else {
    throw ConfigError(fmt::format(
        "{}: reporter class '{}' is not one Squall has (it has {} and {}; Storm's Graphite, "
        "Csv and Jmx reporters are Java)",
        where, c, kStatsdReporter, kConsoleReporter));
  }
  int64_t period = intField(m, "report.period", where, 10, 1, 1'000'000'000);
  std::string units = "SECONDS";
  if (const Value* u = get(m, "report.period.units")) {
    if (!u->isString()) {
      throw ConfigError(fmt::format("{}: 'report.period.units' must be a string", where));
    }
    units = u->asString();
  }
  if (units == "MILLISECONDS") {
    s.periodMs = period;
  } else if (units == "SECONDS") {
    s.periodMs = period * 1000;
  } else if (units == "MINUTES") {
    s.periodMs = period * 60'000;
  } else {
    throw ConfigError(fmt::format(
        "{}: 'report.period.units' is '{}'; use MILLISECONDS, SECONDS or MINUTES", where, units));
  }
  if (s.periodMs < 100) {
    throw ConfigError(fmt::format("{}: a report period under 100 ms is too short", where));
  }
  if (s.kind == ReporterKind::Statsd) {
    const char* key = "";
    if (const Value* h = either(m, {"statsd.host", "host"}, &key)) {
      if (!h->isString() || h->asString().empty()) {
        throw ConfigError(fmt::format("{}: '{}' must be a host name or address", where, key));
      }
      s.host = h->asString();
    }
    if (get(m, "statsd.port")) {
      s.port = static_cast<int>(intField(m, "statsd.port", where, 8125, 1, 65535));
    } else {
      s.port = static_cast<int>(intField(m, "port", where, 8125, 1, 65535));
    }
    if (const Value* p = either(m, {"statsd.prefix", "prefix"}, &key)) {
      if (!p->isString()) throw ConfigError(fmt::format("{}: '{}' must be a string", where, key));
      s.prefix = p->asString();
    }
  }
  return s;
}

std::vector<ReporterSpec> reporterSpecs(const Config& conf) {
  std::vector<ReporterSpec> out;
  const Value* v = conf.find(Config::TOPOLOGY_METRICS_REPORTERS);
  if (!v || !v->isList()) return out;
  size_t i = 0;
  for (const Value& e : v->asList()) {
    out.push_back(reporterSpec(e, fmt::format("{}[{}]", Config::TOPOLOGY_METRICS_REPORTERS, i++)));
  }
  return out;
}

void registerMetricsConfigChecks() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerConfigValueCheck(Config::TOPOLOGY_METRICS_REPORTERS, [](const Value& v) {
      size_t i = 0;
      for (const Value& e : v.asList()) {
        reporterSpec(e, fmt::format("{}[{}]", Config::TOPOLOGY_METRICS_REPORTERS, i++));
      }
    });
    registerConfigValueCheck(Config::TOPOLOGY_METRICS_CONSUMER_REGISTER, [](const Value& v) {
      size_t i = 0;
      for (const Value& e : v.asList()) {
        metricsConsumerSpec(e,
                            fmt::format("{}[{}]", Config::TOPOLOGY_METRICS_CONSUMER_REGISTER, i++));
      }
    });
  });
}

}  // namespace squall::metrics
