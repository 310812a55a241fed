#pragma once
// A `squall worker` process a supervisor runs, detached from it: its own session (so neither a
// terminal's signals nor the supervisor's death reach it; no PDEATHSIG), stdin from /dev/null,
// stdout and stderr appended to the slot's worker.log.out and worker.log.err, no descriptor of the
// supervisor's (its ZooKeeper connection) inherited, SIGHUP ignored until the worker handles it.
// A process is known by its pid and its start time in /proc (field 22 of /proc/PID/stat), so a
// restarted supervisor that adopts it never mistakes a reused pid for its worker.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace squall::supervisor {

struct ProcessId {
  pid_t pid = -1;
  uint64_t startTime = 0;  // clock ticks after boot
};

// Starts `argv` (argv[0] a path) in `cwd`. std::runtime_error when fork fails or a log cannot be
// opened; a failed exec shows as exit status 127.
ProcessId spawnDetached(const std::vector<std::string>& argv, const std::string& cwd,
                        const std::string& stdoutPath, const std::string& stderrPath);

// The start time of `pid`, or nothing when there is no such process (or it is a zombie).
std::optional<uint64_t> processStartTime(pid_t pid);

// Whether the process still runs (same pid and start time). Reaps it when it is our child.
bool processAlive(const ProcessId& p);

// The pid file of a slot: "PID START_TIME".
void writeProcessId(const std::string& path, const ProcessId& p);
std::optional<ProcessId> readProcessId(const std::string& path);

}  // namespace squall::supervisor
