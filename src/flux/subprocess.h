#pragma once
// runProcess: runs a short-lived helper (the DSL exporter) to completion, capturing its
// stdout and stderr, with a deadline. Called before any topology thread starts.

#include <map>
#include <string>
#include <vector>

namespace squall::flux {

struct ProcessResult {
  bool started = false;
  std::string startError;  // why it could not start (strerror)
  bool timedOut = false;
  int exitCode = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// `argv[0]` is a path or a name looked up on PATH; `env` entries replace or add to this
// process's environment.
ProcessResult runProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env, int timeoutSecs);

}  // namespace squall::flux
