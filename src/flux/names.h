#pragma once
// What is wrong with a name or id taken from a topology file, if anything: a NUL byte cuts
// it short wherever it becomes a C string (a child's argv, a log line), and bytes that are
// not UTF-8 cannot reach a Python component through JSON.

#include <optional>
#include <string>

namespace squall::flux {

// "holds a NUL byte", "is not valid UTF-8 (at byte N)", or nothing when `s` is fine.
std::optional<std::string> nameProblem(const std::string& s);

// The offset of the first byte of `s` that does not belong to valid UTF-8 (NUL is valid).
std::optional<size_t> invalidUtf8At(const std::string& s);

}  // namespace squall::flux
