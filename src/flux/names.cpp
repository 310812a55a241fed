#include "flux/names.h"

#include <fmt/format.h>
#include <rapidjson/encodings.h>
#include <rapidjson/stream.h>

namespace squall::flux {

namespace {

struct Discard {
  void Put(char) {}
};

}  // namespace

std::optional<size_t> invalidUtf8At(const std::string& s) {
  // RapidJSON's validator rejects overlong forms, surrogates and code points past U+10FFFF.
  // A truncated last sequence reads the string's terminating NUL and fails there.
  rapidjson::StringStream in(s.c_str());
  Discard out;
  while (in.Tell() < s.size()) {
    size_t at = in.Tell();
    if (!rapidjson::UTF8<>::Validate(in, out)) return at;
  }
  return std::nullopt;
}

std::optional<std::string> nameProblem(const std::string& s) {
  if (auto nul = s.find('\0'); nul != std::string::npos) {
    return fmt::format("holds a NUL byte (at byte {})", nul);
  }
  if (auto at = invalidUtf8At(s)) return fmt::format("is not valid UTF-8 (at byte {})", *at);
  return std::nullopt;
}

}  // namespace squall::flux
