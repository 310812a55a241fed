#pragma once
// LogReader: what `squall logs` prints of one topology's logs (log_layout.h): every port
// folder's worker.log with its rotated files, oldest first, optionally only one component's
// entries (a tagged line and the untagged lines that continue it, such as a traceback), and,
// when following, what is appended afterwards, across rotations and new port folders (a
// worker restarted on another port). Owned by one thread.

#include <sys/types.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "logs/log_layout.h"

namespace squall::logs {

// A port folder's log files, oldest first: worker.log.N .. worker.log.1, worker.log.
std::vector<std::string> portLogFiles(const std::string& portDir);
// The component of a line's tag ("split" of "split:3"), "" when untagged or not an entry.
std::string lineComponent(std::string_view line);

class LogReader {
 public:
  using Output = std::function<void(const std::string& source, std::string_view line)>;

  // `component` empty: every line.
  LogReader(TopologyLogs topology, std::string component, Output out);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Prints what the files hold now; remembers where each worker.log ends.
  void readExisting();
  // Prints what was appended since (following rotations and new port folders). Returns the
  // number of lines printed.
  size_t poll();

  size_t linesPrinted() const { return printed_; }
  // The components seen in tags (for "no lines of X; these logged: ...").
  const std::set<std::string>& componentsSeen() const { return seen_; }

 private:
  struct Followed {
    std::string path;  // <port dir>/worker.log
    int fd = -1;
    ino_t inode = 0;
    std::string partial;  // an unfinished last line
    bool keeping = false;
  };
  void readFile(const std::string& path, Followed* follow);
  void feed(Followed& f, std::string_view data, bool flush);
  void emitLine(Followed& f, std::string_view line);
  bool drain(Followed& f);
  void addPorts();

  TopologyLogs topology_;
  std::string component_;
  Output out_;
  std::map<std::string, Followed> followed_;  // by port folder name
  std::set<std::string> seen_;
  size_t printed_ = 0;
};

}  // namespace squall::logs
