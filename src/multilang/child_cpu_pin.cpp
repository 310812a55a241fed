#include "multilang/child_cpu_pin.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "metrics/process_metrics.h"
#include "multilang/child_cpu_follower.h"

namespace squall::internal {

namespace {

// A claim on `cpu` for this machine: a unix socket bound to an abstract name of that CPU's.
// The kernel gives a name to one socket at a time and frees it when the socket closes, also
// when the process dies (kill -9 included). So the workers of one machine, each with its own
// children, do not pin two of them to one CPU, where they would take turns while another CPU
// idles. The fd of the claim, or -1 when another holds it.
int claim(int cpu) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string name = "squall-child-cpu-" + std::to_string(cpu);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool isOnly(const cpu_set_t& set, int cpu) {
  return CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set);
}

// Whether `pid` is `ancestor` or descends from it (parents read from /proc/PID/stat, field 4).
bool descendsFrom(int pid, int ancestor) {
  for (int depth = 0; depth < 16 && pid > 1; ++depth) {
    if (pid == ancestor) return true;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parent = metrics::procStatField(text, 4);
    if (!parent ||
        std::from_chars(parent->data(), parent->data() + parent->size(), pid).ec != std::errc()) {
      return false;
    }
  }
  return false;
}

}  // namespace

ChildCpuPin::~ChildCpuPin() {
  release();
}

int64_t ChildCpuPin::waitedNs() const {
  // "time on CPU, time waiting on a run queue, timeslices", in nanoseconds.
  char buf[128];
  ssize_t n = schedstatFd_ < 0 ? -1 : ::pread(schedstatFd_, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  const char* end = buf + n;
  const char* p = std::find(static_cast<const char*>(buf), end, ' ');
  int64_t waited = 0;
  if (p == end || std::from_chars(p + 1, end, waited).ec != std::errc()) return -1;
  return waited;
}

void ChildCpuPin::keep(int pid, int launchedPid, int64_t nowNs) {
  if (!enabled_ || pid <= 0 || nowNs < nextCheckNs_) return;
  if (pid != pid_) {
    release();
    std::string dir = "/proc/" + std::to_string(pid);
    statFd_ = ::open((dir + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    schedstatFd_ = ::open((dir + "/schedstat").c_str(), O_RDONLY | O_CLOEXEC);
    pid_ = pid;
    // Checked once the entry is open: from then on it is this process's or reads nothing.
    ours_ = descendsFrom(pid, launchedPid);
  }
  nextCheckNs_ = nowNs + kCheckNs;
  if (statFd_ < 0 || !ours_) return;
  if (cpu_ >= 0) {
    int64_t waited = waitedNs();
    bool letGo = waited >= 0 && contention_.letGo(waited - lastWaitedNs_, nowNs - lastCheckNs_);
    lastWaitedNs_ = waited;
    lastCheckNs_ = nowNs;
    if (letGo) {
      unpin();
      backOffUntilNs_ = nowNs + kBackOffNs;
    }
    return;
  }
  if (nowNs < backOffUntilNs_) return;
  std::optional<int> cpu = lastCpuOf(statFd_);
  if (!cpu || sched_getaffinity(pid_, sizeof childMask_, &childMask_) != 0) return;
  if (!CPU_ISSET(*cpu, &childMask_) || CPU_COUNT(&childMask_) == 1) return;
  // The reader must be able to follow it there (its own mask: a cpuset, a taskset); a child
  // pinned away from its reader would make every word a wake-up across CPUs.
  cpu_set_t mine;
  if (sched_getaffinity(0, sizeof mine, &mine) != 0 || !CPU_ISSET(*cpu, &mine)) return;
  int claimed = claim(*cpu);
  if (claimed < 0) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(*cpu, &one);
  if (sched_setaffinity(pid_, sizeof one, &one) != 0) {
    ::close(claimed);
    return;
  }
  cpu_ = *cpu;
  claimFd_ = claimed;
  contention_ = {};
  lastWaitedNs_ = waitedNs();
  lastCheckNs_ = nowNs;
}

void ChildCpuPin::unpin() {
  if (cpu_ < 0) return;
  // Only while the open /proc entry still reads: once the child is reaped its pid may be
  // another process's.
  if (lastCpuOf(statFd_)) {
    std::string dir = "/proc/" + std::to_string(pid_) + "/task";
    if (DIR* tasks = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(tasks)) {
        int tid = std::atoi(e->d_name);
        cpu_set_t mask;
        if (tid <= 0 || sched_getaffinity(tid, sizeof mask, &mask) != 0) continue;
        if (isOnly(mask, cpu_)) sched_setaffinity(tid, sizeof childMask_, &childMask_);
      }
      ::closedir(tasks);
    }
  }
  ::close(claimFd_);
  claimFd_ = -1;
  cpu_ = -1;
}

void ChildCpuPin::release() {
  // Called after every read of a child that does not round-trip: nothing held, nothing to do.
  if (pid_ == 0) return;
  unpin();
  if (statFd_ >= 0) ::close(statFd_);
  if (schedstatFd_ >= 0) ::close(schedstatFd_);
  statFd_ = schedstatFd_ = -1;
  pid_ = 0;
  ours_ = false;
  nextCheckNs_ = 0;
  backOffUntilNs_ = 0;
}

}  // namespace squall::internal
