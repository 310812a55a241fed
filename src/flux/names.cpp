#include "flux/names.h"

#include <fmt/format.h>

namespace squall::flux {

std::optional<size_t> invalidUtf8At(const std::string& s) {
  // Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF, and a
  // sequence cut short by the end of the string is invalid. Written out rather than borrowed
  // from RapidJSON, whose validator keeps reading after the first bad byte of a sequence and
  // so runs off the end of a truncated one.
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return i;
    }
    if (n - i < len) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
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
