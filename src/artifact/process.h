#pragma once
// runCommand: a short-lived helper program (python -m venv, pip) run to completion with a
// deadline, its stdout and stderr captured together (bounded) for error messages.

#include <map>
#include <string>
#include <vector>

namespace squall::artifact {

struct CommandResult {
  bool ok = false;     // started, exited 0 within the deadline
  std::string error;   // why not: "not found", "timed out after N s", "exit status 1"
  std::string output;  // stdout and stderr, the last 64 KiB
};

// `argv[0]` is a path or a name looked up on PATH; `env` entries replace or add to this
// process's environment; `cwd` empty: this process's. stdin is /dev/null.
CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env, const std::string& cwd,
                         int timeoutSecs);

// The last `n` lines of `text`, for an error message.
std::string lastLines(const std::string& text, size_t n);

}  // namespace squall::artifact
