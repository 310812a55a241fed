#include "metrics/prometheus_text.h"

#include <fmt/format.h>

#include <cmath>

namespace squall::metrics {

std::string prometheusEscape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheusNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void PrometheusText::add(const std::string& name, const char* type, const char* help,
                         const std::string& labels, const std::string& value, const char* suffix) {
  auto& f = families_[name];
  f.type = type;
  f.help = help;
  if (labels.empty()) {
    f.lines += fmt::format("{}{} {}\n", name, suffix, value);
  } else {
    f.lines += fmt::format("{}{}{{{}}} {}\n", name, suffix, labels, value);
  }
}

std::string PrometheusText::text() const {
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
    out += f.lines;
  }
  return out;
}

}  // namespace squall::metrics
