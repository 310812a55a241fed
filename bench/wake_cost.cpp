// bench_wake_cost: what a thread hand-off costs on this machine, in the CPU time of the threads
// involved (what the multilang benchmark reports as the engine's CPU). The engine's threads hand
// work to each other through queues that wake a sleeping consumer with a futex; a multilang
// reader and its child hand messages back and forth through pipes. Printed, each in CPU
// microseconds per event of the thread named:
// - a futex wake of a thread asleep on the other CPU, while that CPU has nothing else to run
//   (the waker's cost, and the sleeper's per sleep);
// - the same wake with both threads on one CPU;
// - a timed futex sleep that runs out on an otherwise idle CPU;
// - a pipe round trip between two processes on one CPU (a reader answering its child), per
//   side.
// On a VM these are mostly the hypervisor's: a wake-up of a halted vCPU is an interrupt the
// host delivers, and its cost lands on whichever guest thread sent or took it.
//
// usage: bench_wake_cost [--rounds N] [--gap-us US]

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

int64_t threadCpuNs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

bool pinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

void futexWait(std::atomic<int>& word, int expected, const timespec* timeout) {
  syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT_PRIVATE, expected, timeout, nullptr,
          0);
}

void futexWake(std::atomic<int>& word) {
  syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

struct WakeCost {
  double wakerUs;
  double sleeperUs;
  int wakes;
};

// The waker wakes a sleeper pinned to `sleeperCpu` every `gapUs` (so it is asleep each time).
WakeCost measureWake(int wakerCpu, int sleeperCpu, int rounds, int gapUs) {
  std::atomic<int> word{0};
  std::atomic<bool> stop{false};
  int64_t sleeperNs = 0;
  int sleeps = 0;
  std::thread sleeper([&] {
    pinTo(sleeperCpu);
    int64_t start = threadCpuNs();
    while (!stop.load()) {
      word.store(1);
      futexWait(word, 1, nullptr);
      ++sleeps;
    }
    sleeperNs = threadCpuNs() - start;
  });
  pinTo(wakerCpu);
  int64_t wakerNs = 0;
  int wakes = 0;
  for (int i = 0; i < rounds; ++i) {
    timespec gap{0, gapUs * 1000L};
    nanosleep(&gap, nullptr);
    if (word.exchange(0) != 1) continue;  // not asleep yet: not a wake-up
    int64_t before = threadCpuNs();
    futexWake(word);
    wakerNs += threadCpuNs() - before;
    ++wakes;
  }
  stop.store(true);
  word.store(0);
  futexWake(word);
  sleeper.join();
  return {wakes ? static_cast<double>(wakerNs) / wakes / 1e3 : 0,
          sleeps ? static_cast<double>(sleeperNs) / sleeps / 1e3 : 0, wakes};
}

double measureTimedSleep(int cpu, int rounds, int sleepUs) {
  double result = 0;
  std::thread t([&] {
    pinTo(cpu);
    std::atomic<int> word{1};
    int64_t start = threadCpuNs();
    for (int i = 0; i < rounds; ++i) {
      timespec ts{0, sleepUs * 1000L};
      futexWait(word, 1, &ts);
    }
    result = static_cast<double>(threadCpuNs() - start) / rounds / 1e3;
  });
  t.join();
  return result;
}

// Per side: the parent writes a byte and blocks reading the answer; the child echoes it.
double measurePipeRoundTrip(int cpu, int rounds) {
  int toChild[2], toParent[2];
  if (pipe(toChild) != 0 || pipe(toParent) != 0) return -1;
  pinTo(cpu);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    for (int i = 0; i < rounds; ++i) {
      if (read(toChild[0], &c, 1) != 1 || write(toParent[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  char c = 'x';
  int64_t start = threadCpuNs();
  for (int i = 0; i < rounds; ++i) {
    if (write(toChild[1], &c, 1) != 1 || read(toParent[0], &c, 1) != 1) break;
  }
  double perSide = static_cast<double>(threadCpuNs() - start) / rounds / 1e3;
  waitpid(pid, nullptr, 0);
  for (int fd : {toChild[0], toChild[1], toParent[0], toParent[1]}) close(fd);
  return perSide;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5000;
  int gapUs = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--rounds") {
      rounds = std::atoi(argv[i + 1]);
    } else if (flag == "--gap-us") {
      gapUs = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--rounds N] [--gap-us US]\n", argv[0]);
      return 2;
    }
  }
  cpu_set_t mine;
  if (sched_getaffinity(0, sizeof mine, &mine) != 0 || CPU_COUNT(&mine) < 2) {
    std::fprintf(stderr, "bench_wake_cost needs two CPUs\n");
    return 2;
  }
  int first = -1, second = -1;
  for (int c = 0; c < CPU_SETSIZE && second < 0; ++c) {
    if (!CPU_ISSET(c, &mine)) continue;
    (first < 0 ? first : second) = c;
  }
  WakeCost across = measureWake(first, second, rounds, gapUs);
  WakeCost same = measureWake(first, first, rounds, gapUs);
  double timed = measureTimedSleep(second, rounds / 5, gapUs);
  double pipeSide = measurePipeRoundTrip(first, rounds * 20);
  std::printf(
      "wake-up across CPUs (the other idle): waker %.2f us, sleeper %.2f us per wake (%d wakes)\n",
      across.wakerUs, across.sleeperUs, across.wakes);
  std::printf("wake-up on one CPU: waker %.2f us, sleeper %.2f us per wake (%d wakes)\n",
              same.wakerUs, same.sleeperUs, same.wakes);
  std::printf("timed sleep of %d us that runs out, the CPU otherwise idle: %.2f us per sleep\n",
              gapUs, timed);
  std::printf("pipe round trip between two processes on one CPU: %.2f us per side\n", pipeSide);
  return 0;
}
