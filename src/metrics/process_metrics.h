#pragma once
// What a process costs, read from /proc (Linux): the standard `process_*` families every
// Prometheus client library exports (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds, process_open_fds), so a dashboard
// made for any exporter reads a Squall worker, nimbus or supervisor the same way. Read at each
// scrape; nothing runs in between.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/prometheus_text.h"

namespace squall::metrics {

struct ProcessSample {
  double cpuSeconds = 0;  // user + system
  uint64_t residentBytes = 0;
  uint64_t virtualBytes = 0;
  double startTimeSeconds = 0;  // since the Unix epoch
  int64_t openFds = -1;         // -1: not readable
};

// The process `pid` (0: this one); nullopt when it is gone or /proc cannot be read.
std::optional<ProcessSample> readProcessSample(pid_t pid = 0);
// Only what /proc/PID/stat holds (CPU, memory), in one read: for sampling many processes at
// a scrape (multilang children). startTimeSeconds counts from boot; openFds is -1.
std::optional<ProcessSample> readProcessStat(pid_t pid);
// Parses the text of /proc/PID/stat (the command name may hold spaces and parentheses);
// `bootTimeSeconds` is /proc/stat's btime. Public for tests.
std::optional<ProcessSample> parseProcStat(const std::string& stat, double bootTimeSeconds,
                                           long clockTicks, long pageBytes);

// Field `n` (proc(5)'s numbering, from 1; n >= 3) of the text of /proc/PID/stat. The command
// name (field 2) is whatever the program named itself, spaces and parentheses included, so
// the fields are counted from its last ')'. nullopt when the text has fewer fields.
std::optional<std::string_view> procStatField(std::string_view stat, int n);

// This process's families, read now; nothing when /proc cannot be read.
void addProcessFamilies(PrometheusText& out);

}  // namespace squall::metrics
