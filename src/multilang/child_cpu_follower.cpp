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

namespace {

// A thread's own mask while followers hold it on a child's CPU, and how many do.
struct ThreadPin {
  int holders = 0;
  cpu_set_t original{};
};
thread_local ThreadPin threadPin;

}  // namespace

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
  ThreadPin& pin = threadPin;
  if (pin.holders == 0 && sched_getaffinity(0, sizeof pin.original, &pin.original) != 0) return;
  // Only within the mask the thread was given (a cpuset, taskset): never widen it.
  if (!CPU_ISSET(*cpu, &pin.original)) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(*cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) return;
  cpu_ = *cpu;
  if (tid_ == 0) {
    tid_ = static_cast<int>(::gettid());
    ++pin.holders;
  }
}

void ChildCpuFollower::release() {
  if (statFd_ >= 0) {
    ::close(statFd_);
    statFd_ = -1;
  }
  pid_ = 0;
  nextCheckNs_ = 0;
  cpu_ = -1;
  if (tid_ != 0 && tid_ == static_cast<int>(::gettid())) {
    ThreadPin& pin = threadPin;
    if (--pin.holders == 0) sched_setaffinity(0, sizeof pin.original, &pin.original);
  }
  tid_ = 0;
}

}  // namespace squall::internal
