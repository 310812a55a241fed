#include "multilang/child_cpu_follower.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <string>

#include "metrics/process_metrics.h"

namespace squall::internal {

std::optional<int> parseLastCpu(const char* text, size_t size) {
  auto field = metrics::procStatField(std::string_view(text, size), 39);
  int cpu = -1;
  if (!field || std::from_chars(field->data(), field->data() + field->size(), cpu).ptr !=
                    field->data() + field->size()) {
    return std::nullopt;
  }
  if (cpu < 0 || cpu >= CPU_SETSIZE) return std::nullopt;
  return cpu;
}

std::optional<int> lastCpuOf(int statFd) {
  char buf[1024];
  ssize_t n = ::pread(statFd, buf, sizeof buf, 0);
  if (n <= 0) return std::nullopt;
  return parseLastCpu(buf, static_cast<size_t>(n));
}

ChildCpuFollower::~ChildCpuFollower() {
  release();
}

void ChildCpuFollower::follow(int pid, int64_t nowNs) {
  if (!enabled_ || pid <= 0 || nowNs < nextCheckNs_) return;
  nextCheckNs_ = nowNs + kCheckNs;
  if (pid != pid_) {
    if (statFd_ >= 0) ::close(statFd_);
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    statFd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    pid_ = pid;
  }
  if (statFd_ < 0) return;
  std::optional<int> cpu = lastCpuOf(statFd_);
  if (!cpu || *cpu == cpu_) return;
  if (!saved_) {
    if (sched_getaffinity(0, sizeof original_, &original_) != 0) return;
    saved_ = true;
  }
  // Only within the mask the thread was given (a cpuset, taskset): never widen it.
  if (!CPU_ISSET(*cpu, &original_)) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(*cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) == 0) {
    cpu_ = *cpu;
    tid_ = static_cast<int>(::gettid());
  }
}

void ChildCpuFollower::release() {
  if (statFd_ >= 0) {
    ::close(statFd_);
    statFd_ = -1;
  }
  pid_ = 0;
  nextCheckNs_ = 0;
  if (cpu_ >= 0 && saved_) sched_setaffinity(tid_, sizeof original_, &original_);
  cpu_ = -1;
}

}  // namespace squall::internal
