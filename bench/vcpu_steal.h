#pragma once
// Time the hypervisor kept this VM's vCPUs from running (the "steal" column of /proc/stat),
// summed over all vCPUs. On a shared VM a single steal of ~100 ms stalls whatever thread was on
// that vCPU; benchmarks print it so a stall can be told apart from a regression.

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

inline int64_t vcpuStealMs() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  int64_t user, nice, system, idle, iowait, irq, softirq, steal;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) {
    return -1;
  }
  return steal * 1000 / sysconf(_SC_CLK_TCK);
}
