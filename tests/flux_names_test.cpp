// Names and ids from topology files must be valid UTF-8 without NUL bytes; the check itself must
// never read past the string it is given (the fuzzer found a truncated sequence that did).
#include <gtest/gtest.h>

#include <string>

#include "flux/names.h"

using squall::flux::invalidUtf8At;
using squall::flux::nameProblem;

TEST(FluxNames, AcceptsAsciiAndEveryUtf8Length) {
  EXPECT_FALSE(invalidUtf8At("word-count_1"));
  EXPECT_FALSE(invalidUtf8At("caf\xC3\xA9"));             // U+00E9
  EXPECT_FALSE(invalidUtf8At("\xE2\x82\xAC"));            // U+20AC
  EXPECT_FALSE(invalidUtf8At("\xF0\x9F\x98\x80"));        // U+1F600
  EXPECT_FALSE(invalidUtf8At("\xF4\x8F\xBF\xBF"));        // U+10FFFF, the last code point
  EXPECT_FALSE(invalidUtf8At(std::string("a\0b", 3)));    // NUL is UTF-8; nameProblem refuses it
}

TEST(FluxNames, RefusesTruncatedSequencesAtTheEnd) {
  // Longer than the small-string buffer, so each lives on the heap and ASan sees any read
  // past its end.
  const std::string prefix(24, 'x');
  for (std::string tail : {"\xF0", "\xF0\x9F", "\xF0\x9F\x98", "\xE2\x82", "\xC3"}) {
    std::string s = prefix + tail;
    s.shrink_to_fit();
    auto at = invalidUtf8At(s);
    ASSERT_TRUE(at.has_value()) << tail;
    EXPECT_EQ(*at, prefix.size());
  }
}

TEST(FluxNames, RefusesOverlongSurrogatesAndOutOfRange) {
  EXPECT_EQ(invalidUtf8At("ab\xC0\xAF"), 2u);          // overlong '/'
  EXPECT_EQ(invalidUtf8At("\xE0\x80\xAF"), 0u);        // overlong, three bytes
  EXPECT_EQ(invalidUtf8At("\xF0\x80\x80\xAF"), 0u);    // overlong, four bytes
  EXPECT_EQ(invalidUtf8At("\xED\xA0\x80"), 0u);        // U+D800, a surrogate
  EXPECT_EQ(invalidUtf8At("\xF4\x90\x80\x80"), 0u);    // U+110000
  EXPECT_EQ(invalidUtf8At("\xF5\x80\x80\x80"), 0u);    // lead byte never used
  EXPECT_EQ(invalidUtf8At("a\x80"), 1u);               // a lone continuation byte
  EXPECT_EQ(invalidUtf8At("\xE2\x28\xA1"), 0u);        // a bad second byte
  EXPECT_EQ(invalidUtf8At("\xF0\x9F\x98\x28"), 0u);    // a bad last byte
}

TEST(FluxNames, ProblemNamesTheByte) {
  EXPECT_EQ(nameProblem(std::string("a\0", 2)), "holds a NUL byte (at byte 1)");
  EXPECT_EQ(nameProblem("ok\xFF"), "is not valid UTF-8 (at byte 2)");
  EXPECT_FALSE(nameProblem("spout"));
}
