#include "metrics/statsd_reporter.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace squall::metrics {

namespace {

constexpr size_t kMaxDatagram = 1432;
constexpr uint64_t kMaxTimerLines = 200;

std::string idPart(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c == '.' || c == ':' || c == '|' || c == '@' || c == '\n' || c == ' ') c = '_';
  }
  return out;
}

std::string namePart(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c == ':' || c == '|' || c == '@' || c == '\n' || c == '\r') c = '_';
  }
  return out;
}

std::string num(double v) {
  return std::isfinite(v) ? fmt::format("{}", v) : "0";
}

// statsd reads "-5|g" as "subtract 5": a negative gauge is set by zeroing it first.
void gauge(std::vector<std::string>& out, const std::string& key, double v) {
  if (!std::isfinite(v)) return;
  if (v < 0) out.push_back(key + ":0|g");
  out.push_back(fmt::format("{}:{}|g", key, num(v)));
}

void valueLines(std::vector<std::string>& out, const std::string& key, const Value& v) {
  if (v.isNumber()) {
    gauge(out, key, v.asDouble());
  } else if (v.isBool()) {
    gauge(out, key, v.asBool() ? 1 : 0);
  } else if (v.isMap()) {
    for (const auto& [k, e] : v.asMap()) {
      if (e.isNumber()) gauge(out, key + "." + namePart(k), e.asDouble());
    }
  }
}

}  // namespace

StatsdReporter::StatsdReporter(const ReporterSpec& spec, std::string topology)
    : spec_(spec), topology_(std::move(topology)) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(spec_.port);
  int rc = getaddrinfo(spec_.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || !res) {
    throw std::runtime_error(fmt::format("statsd reporter: cannot resolve {}:{}: {}", spec_.host,
                                         spec_.port, gai_strerror(rc)));
  }
  fd_ = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ >= 0) {
    auto* p = reinterpret_cast<unsigned char*>(res->ai_addr);
    addr_.assign(p, p + res->ai_addrlen);
  }
  freeaddrinfo(res);
  if (fd_ < 0) {
    throw std::runtime_error(fmt::format("statsd reporter: no UDP socket for {}:{}: {}", spec_.host,
                                         spec_.port, std::strerror(errno)));
  }
}

StatsdReporter::~StatsdReporter() {
  if (fd_ >= 0) close(fd_);
}

std::string StatsdReporter::key(const MetricSample& s) const {
  std::string k =
      fmt::format("{}.{}.{}.{}", idPart(topology_), idPart(s.component), s.task, namePart(s.name));
  return spec_.prefix.empty() ? k : spec_.prefix + "." + k;
}

std::vector<std::string> StatsdReporter::lines(const std::vector<MetricSample>& samples) {
  std::vector<std::string> out;
  for (const auto& s : samples) {
    std::string k = key(s);
    switch (s.kind) {
      case MetricKind::Counter:
      case MetricKind::Meter: {
        int64_t count = s.kind == MetricKind::Counter ? s.value.asInt() : s.meter.count;
        int64_t& last = lastCounts_[k];
        out.push_back(fmt::format("{}:{}|c", k, count - last));
        last = count;
        if (s.kind == MetricKind::Meter) {
          gauge(out, k + ".m1_rate", s.meter.m1Rate);
          gauge(out, k + ".m5_rate", s.meter.m5Rate);
          gauge(out, k + ".m15_rate", s.meter.m15Rate);
        }
        break;
      }
      case MetricKind::Histogram: {
        auto& last = lastBuckets_[k];
        std::vector<std::pair<double, uint64_t>> fresh;
        uint64_t total = 0;
        for (auto [value, count] : s.histogram.buckets) {
          uint64_t& seen = last[value];
          if (count > seen) {
            fresh.emplace_back(value, count - seen);
            total += count - seen;
          }
          seen = count;
        }
        // More values than lines: each bucket's share of the lines, with the sample rate that
        // makes statsd count them as the whole.
        double rate = total > kMaxTimerLines
                          ? static_cast<double>(kMaxTimerLines) / static_cast<double>(total)
                          : 1.0;
        std::string suffix = rate < 1.0 ? fmt::format("|@{:.6f}", rate) : "";
        for (auto [value, n] : fresh) {
          auto lines = static_cast<uint64_t>(std::llround(static_cast<double>(n) * rate));
          if (lines == 0) lines = 1;
          for (uint64_t i = 0; i < lines; ++i) {
            out.push_back(fmt::format("{}:{}|ms{}", k, num(value), suffix));
          }
        }
        break;
      }
      case MetricKind::Gauge:
      case MetricKind::Reported:
        valueLines(out, k, s.value);
        break;
    }
  }
  return out;
}

void StatsdReporter::report(const std::vector<MetricSample>& samples) {
  send(lines(samples));
}

void StatsdReporter::send(const std::vector<std::string>& lines) {
  std::string packet;
  auto flush = [&] {
    if (packet.empty()) return;
    // UDP to a statsd that is not there is not an error worth stopping for; nor is a full buffer.
    (void)sendto(fd_, packet.data(), packet.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(addr_.data()),
                 static_cast<socklen_t>(addr_.size()));
    packet.clear();
  };
  for (const auto& l : lines) {
    if (l.size() > kMaxDatagram) continue;  // a key this long cannot be sent
    if (!packet.empty() && packet.size() + 1 + l.size() > kMaxDatagram) flush();
    if (!packet.empty()) packet += '\n';
    packet += l;
  }
  flush();
}

}  // namespace squall::metrics
