#include "metrics/process_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace squall::metrics {

namespace {

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double bootTime() {
  auto stat = readFile("/proc/stat");
  if (!stat) return 0;
  std::istringstream in(*stat);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  }
  return 0;
}

}  // namespace

std::optional<std::string_view> procStatField(std::string_view stat, int n) {
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos || n < 3) return std::nullopt;
  size_t at = close + 1;
  for (int field = 3;; ++field) {
    at = stat.find_first_not_of(" \n", at);
    if (at == std::string_view::npos) return std::nullopt;
    size_t end = std::min(stat.find_first_of(" \n", at), stat.size());
    if (field == n) return stat.substr(at, end - at);
    at = end;
  }
}

std::optional<ProcessSample> parseProcStat(const std::string& stat, double bootTimeSeconds,
                                           long clockTicks, long pageBytes) {
  // utime 14, stime 15, starttime 22, vsize 23, rss 24.
  if (clockTicks <= 0 || !procStatField(stat, 24)) return std::nullopt;
  auto at = [&](int field) {
    return std::strtoull(std::string(*procStatField(stat, field)).c_str(), nullptr, 10);
  };
  ProcessSample s;
  s.cpuSeconds = static_cast<double>(at(14) + at(15)) / static_cast<double>(clockTicks);
  s.startTimeSeconds = bootTimeSeconds + static_cast<double>(at(22)) / clockTicks;
  s.virtualBytes = at(23);
  s.residentBytes = at(24) * static_cast<uint64_t>(pageBytes);
  return s;
}

std::optional<ProcessSample> readProcessSample(pid_t pid) {
  std::string dir = pid == 0 ? "/proc/self" : "/proc/" + std::to_string(pid);
  auto stat = readFile(dir + "/stat");
  if (!stat) return std::nullopt;
  auto s = parseProcStat(*stat, bootTime(), sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
  if (!s) return s;
  std::error_code ec;
  int64_t fds = 0;
  for (auto it = std::filesystem::directory_iterator(dir + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  if (!ec) s->openFds = fds;
  return s;
}

std::optional<ProcessSample> readProcessStat(pid_t pid) {
  auto stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  static const long clockTicks = sysconf(_SC_CLK_TCK);
  static const long pageBytes = sysconf(_SC_PAGESIZE);
  return parseProcStat(*stat, 0, clockTicks, pageBytes);
}

void addProcessFamilies(PrometheusText& out) {
  auto s = readProcessSample();
  if (!s) return;
  out.add("process_cpu_seconds_total", "counter",
          "Total user and system CPU time spent in seconds.", "", s->cpuSeconds);
  out.add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", "",
          static_cast<double>(s->residentBytes));
  out.add("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", "",
          static_cast<double>(s->virtualBytes));
  out.add("process_start_time_seconds", "gauge",
          "Start time of the process since unix epoch in seconds.", "", s->startTimeSeconds);
  if (s->openFds >= 0) {
    out.add("process_open_fds", "gauge", "Number of open file descriptors.", "",
            static_cast<double>(s->openFds));
  }
}

}  // namespace squall::metrics
