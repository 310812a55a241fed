#pragma once
// PrometheusText: Prometheus' text exposition format (0.0.4), the one writer behind every
// /metrics of Squall (a topology's in `squall run --ui` and each worker, `squall ui`'s cluster
// gauges, nimbus's and a supervisor's own). Samples are grouped by family so each family's
// HELP and TYPE come once, before its lines, as the format requires; families come out sorted
// by name. Label values are escaped here (backslash, quote, newline); the caller passes valid
// UTF-8. Not thread-safe: one scrape builds one.

#include <map>
#include <string>
#include <string_view>

namespace squall::metrics {

// A label value with Prometheus' escapes.
std::string prometheusEscape(std::string_view value);
// A sample value: integers without a fraction, NaN, +Inf, -Inf as the format spells them.
std::string prometheusNumber(double value);

class PrometheusText {
 public:
  // One sample of family `name`: `type` (counter, gauge, summary), `help` one line, `labels`
  // the text between the braces (`a="x",b="y"`, values escaped; empty: no braces), `suffix`
  // appended to the name (a summary's `_sum`, `_count`).
  void add(const std::string& name, const char* type, const char* help, const std::string& labels,
           const std::string& value, const char* suffix = "");
  // The same with a number (prometheusNumber).
  void add(const std::string& name, const char* type, const char* help, const std::string& labels,
           double value) {
    add(name, type, help, labels, prometheusNumber(value));
  }
  bool empty() const { return families_.empty(); }
  std::string text() const;

 private:
  struct Family {
    const char* type = "";
    const char* help = "";
    std::string lines;
  };
  std::map<std::string, Family> families_;
};

}  // namespace squall::metrics
