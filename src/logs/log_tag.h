#pragma once
// Which component and task a log line comes from. Storm's worker log names the thread of each
// line ("Thread-23-split-executor[3, 3]"); Squall's names the component and task instead,
// "split:3", set once by each thread that works for one (an executor, a multilang child's
// reader and stderr threads). The file pattern prints it after the time (`squall logs
// TOPOLOGY COMPONENT` filters on it); lines of other threads print "-".

#include <spdlog/pattern_formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace squall::logs {

// Tags the calling thread's lines from now on ("" clears).
void setThreadTag(std::string tag);
const std::string& threadTag();
// "split:3", or "split:3-4" for an executor of several tasks.
std::string componentTag(std::string_view component, int firstTask, int lastTask);

// The pattern of the log file: "2026-01-02 10:11:12.345 split:3 [info] message".
inline constexpr const char* kFilePattern = "%Y-%m-%d %H:%M:%S.%e %* [%l] %v";
// The length of that pattern's time stamp, "2026-01-02 10:11:12.345".
inline constexpr size_t kStampLength = 23;
// A formatter that knows %* (the thread's tag) for `pattern`.
std::unique_ptr<spdlog::formatter> taggedFormatter(const std::string& pattern);

// Does `line` of a log file in kFilePattern carry the tag of `component` (any task)?
bool lineHasComponent(std::string_view line, std::string_view component);
// Does `line` start a log entry (a time stamp), rather than continue the previous one (the
// further lines of a traceback)?
bool startsEntry(std::string_view line);

}  // namespace squall::logs
