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
  bool outTooLarge = false;   // stdout passed maxOutputBytes: the process was killed
  bool errTruncated = false;  // stderr passed maxOutputBytes: the rest was read and dropped
  int exitCode = -1;          // -1 when killed by a signal
  int signal = 0;             // the signal that ended it, or 0
  std::string out;
  std::string err;
};

// `argv[0]` is a path or a name looked up on PATH; `env` entries replace or add to this
// process's environment. At most `maxOutputBytes` of each of stdout and stderr are kept.
ProcessResult runProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env, int timeoutSecs,
                         size_t maxOutputBytes);

}  // namespace squall::flux
