// Payloads arrive exactly as sent (docs/VALUES.md): lone surrogates, integers of any size,
// the UTF-8 policy of each wire format, values that cannot be carried (poison, reported per
// tuple), and the bounds on what a child's message may claim (size, nesting).

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include <cstring>
#include <string>

#include "multilang/serializer.h"

using namespace squall;
using namespace squall::internal;

namespace {

void feed(MessageReader& r, std::string_view bytes) {
  auto room = r.prepare(bytes.size());
  ASSERT_GE(room.size(), bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  r.commit(bytes.size());
}

ShellMsg decodeJson(std::string_view doc) {
  auto r = makeJsonSerializer()->newReader();
  feed(*r, std::string(doc) + "\nend\n");
  ShellMsg m;
  EXPECT_TRUE(r->next(m));
  return m;
}

std::string errorOf(MessageReader& r) {
  ShellMsg m;
  try {
    r.next(m);
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "no error";
}

std::string jsonOf(const Value& v) {
  std::string out;
  makeJsonSerializer()->writeMessage(out, v);
  return out.substr(0, out.size() - 5);  // without "\nend\n"
}

ShellMsg decodeMsgpack(const std::string& bytes) {
  auto r = makeMsgpackSerializer()->newReader();
  feed(*r, bytes);
  ShellMsg m;
  EXPECT_TRUE(r->next(m));
  return m;
}

const std::string kSurrogate = "\xed\xa0\x80";     // U+D800, held WTF-8 style
const std::string kLowSurrogate = "\xed\xb0\x80";  // U+DC00

TEST(MultilangPayloadJson, LoneSurrogatesDecodeAndRoundTrip) {
  ShellMsg m = decodeJson(
      R"({"command":"emit","tuple":["x\ud800y","\udc00","\ud83d\ude00","\\ud800","\ud800\ud800z",)"
      R"("\uD800\u0041"],"id":"m1"})");
  ASSERT_EQ(m.tuple.size(), 6u);
  EXPECT_TRUE(m.poison.empty()) << m.poison;
  EXPECT_EQ(m.tuple[0], Value("x" + kSurrogate + "y"));
  EXPECT_EQ(m.tuple[1], Value(kLowSurrogate));
  EXPECT_EQ(m.tuple[2], Value("\xf0\x9f\x98\x80"));  // a pair is one code point
  EXPECT_EQ(m.tuple[3], Value("\\ud800"));           // an escaped backslash, then text
  EXPECT_EQ(m.tuple[4], Value(kSurrogate + kSurrogate + "z"));
  EXPECT_EQ(m.tuple[5], Value(kSurrogate + "A"));
  EXPECT_EQ(m.id, Value("m1"));
  // An escaped backslash first, then text that looks like an escape.
  EXPECT_EQ(decodeJson(R"({"command":"emit","tuple":["\\ud800 \\\\ud800 \ud800"]})").tuple,
            Values{Value("\\ud800 \\\\ud800 " + kSurrogate)});
  // Written back the way Python's json reads a lone surrogate.
  EXPECT_EQ(jsonOf(Value(List{m.tuple[0], m.tuple[1]})), R"(["x\ud800y","\udc00"])");
}

TEST(MultilangPayloadJson, IntegersOfAnySizeAreExact) {
  ShellMsg m =
      decodeJson(R"({"command":"emit","tuple":[9223372036854775807,9223372036854775808,)"
                 R"(18446744073709551616,-9223372036854775808,-9223372036854775809,)"
                 R"(1000000000000000000000000000000,1e30,1.5,-0.5,18446744073709551615]})");
  ASSERT_EQ(m.tuple.size(), 10u);
  EXPECT_EQ(m.tuple[0], Value(INT64_MAX));
  EXPECT_EQ(m.tuple[1].asBigInt().digits, "9223372036854775808");
  EXPECT_EQ(m.tuple[2].asBigInt().digits, "18446744073709551616");
  EXPECT_EQ(m.tuple[3], Value(INT64_MIN));
  EXPECT_EQ(m.tuple[4].asBigInt().digits, "-9223372036854775809");
  EXPECT_EQ(m.tuple[5].asBigInt().digits, "1000000000000000000000000000000");
  EXPECT_EQ(m.tuple[6], Value(1e30));
  EXPECT_EQ(m.tuple[7], Value(1.5));
  EXPECT_EQ(m.tuple[8], Value(-0.5));
  EXPECT_EQ(m.tuple[9], Value(UINT64_MAX));
  EXPECT_EQ(jsonOf(Value(List{m.tuple[1], m.tuple[4], m.tuple[5], m.tuple[9]})),
            "[9223372036854775808,-9223372036854775809,1000000000000000000000000000000,"
            "18446744073709551615]");
}

TEST(MultilangPayloadJson, DoublesAreReadCorrectlyRounded) {
  // Python writes a float's shortest repr; it must come back as the very same double.
  for (const char* text :
       {"92233720368546.75807", "92233720368546.75", "0.1", "2.2250738585072014e-308",
        "1.7976931348623157e308", "5e-324", "123456789.12345679"}) {
    ShellMsg m = decodeJson(fmt::format(R"({{"command":"emit","tuple":[{}]}})", text));
    ASSERT_EQ(m.tuple.size(), 1u) << text;
    EXPECT_EQ(m.tuple[0].asDouble(), std::strtod(text, nullptr)) << text;
  }
}

TEST(MultilangPayloadJson, InvalidUtf8PoisonsTheTupleNotTheMessage) {
  ShellMsg m = decodeJson("{\"command\":\"emit\",\"tuple\":[\"ok\",[\"bad \xff\"]],\"id\":7}");
  EXPECT_EQ(m.kind, ShellCommandKind::Emit);
  EXPECT_EQ(m.id, Value(7));
  EXPECT_NE(m.poison.find("field 1 of the tuple"), std::string::npos) << m.poison;
  EXPECT_NE(m.poison.find("not UTF-8"), std::string::npos) << m.poison;
  EXPECT_NE(m.poison.find("bad \\xff"), std::string::npos) << m.poison;
  ShellMsg ok = decodeJson(R"({"command":"emit","tuple":["caf\u00e9"]})");
  EXPECT_TRUE(ok.poison.empty());
}

TEST(MultilangPayloadJson, OversizedAndDeepMessagesAreRefused) {
  auto r = makeJsonSerializer()->newReader(1024);
  feed(*r, "{\"command\":\"emit\",\"tuple\":[\"" + std::string(2000, 'a'));
  std::string e = errorOf(*r);
  EXPECT_NE(e.find("at least 2028 bytes"), std::string::npos) << e;
  EXPECT_NE(e.find("topology.multilang.max.message.bytes = 1024"), std::string::npos) << e;

  auto r2 = makeJsonSerializer()->newReader();
  feed(*r2, "{\"command\":\"emit\",\"tuple\":[" + std::string(400, '[') + std::string(400, ']') +
                "]}\nend\n");
  e = errorOf(*r2);
  EXPECT_NE(e.find("nested deeper than 256"), std::string::npos) << e;
}

TEST(MultilangPayloadMsgpack, BigIntegersRoundTrip) {
  auto s = makeMsgpackSerializer();
  std::string bytes;
  Value big = Value::integer("1000000000000000000000000000000");
  Value negBig = Value::integer("-9223372036854775809");
  s->writeMessage(
      bytes, Value(Map{{"command", "emit"},
                       {"tuple", Value(List{Value(UINT64_MAX), big, negBig, Value(INT64_MIN)})}}));
  // 2^64 - 1 is a native uint64; beyond msgpack's range, ext type 1 with the digits.
  EXPECT_NE(bytes.find("\xcf\xff\xff\xff\xff\xff\xff\xff\xff"), std::string::npos);
  EXPECT_NE(bytes.find("\xc7\x1f\x01"
                       "1000000000000000000000000000000"),
            std::string::npos);
  ShellMsg m = decodeMsgpack(bytes);
  ASSERT_EQ(m.tuple.size(), 4u);
  EXPECT_EQ(m.tuple[0].asBigInt().digits, "18446744073709551615");
  EXPECT_EQ(m.tuple[1], big);
  EXPECT_EQ(m.tuple[2], negBig);
  EXPECT_EQ(m.tuple[3], Value(INT64_MIN));
}

TEST(MultilangPayloadMsgpack, WholeDoublesStayDoubles) {
  // msgpack-cxx's pack_double would write 60.0 as the integer 60.
  std::string bytes;
  makeMsgpackSerializer()->writeMessage(
      bytes, Value(Map{{"command", "emit"}, {"tuple", Value(List{60.0, -0.0, 1e300})}}));
  EXPECT_NE(bytes.find(std::string("\xcb\x40\x4e\x00\x00\x00\x00\x00\x00", 9)), std::string::npos);
  ShellMsg m = decodeMsgpack(bytes);
  ASSERT_EQ(m.tuple.size(), 3u);
  EXPECT_TRUE(m.tuple[0].isDouble());
  EXPECT_EQ(m.tuple[0], Value(60.0));
  EXPECT_TRUE(m.tuple[1].isDouble());
  EXPECT_EQ(m.tuple[2], Value(1e300));
}

TEST(MultilangPayloadMsgpack, StrThatIsNotUtf8StaysBytesAndSurrogatesStayText) {
  // {"command": "emit", "tuple": [str "\xff\xfe", str "x<U+D800>y", ext 1 "12x"]}
  std::string bytes =
      "\x82\xa7"
      "command"
      "\xa4"
      "emit"
      "\xa5"
      "tuple"
      "\x92"
      "\xa2\xff\xfe"
      "\xa5x\xed\xa0\x80y";
  ShellMsg m = decodeMsgpack(bytes);
  ASSERT_EQ(m.tuple.size(), 2u);
  EXPECT_EQ(m.tuple[0], Value(Bytes{"\xff\xfe"}));
  EXPECT_EQ(m.tuple[1], Value("x" + kSurrogate + "y"));
  EXPECT_TRUE(m.poison.empty());
  // A big-integer ext that does not hold digits cannot be carried: poison, named.
  std::string badExt =
      "\x82\xa7"
      "command"
      "\xa4"
      "emit"
      "\xa5"
      "tuple"
      "\x91"
      "\xc7\x03\x01"
      "12x";
  ShellMsg bad = decodeMsgpack(badExt);
  EXPECT_NE(bad.poison.find("field 0 of the tuple"), std::string::npos) << bad.poison;
}

TEST(MultilangPayloadMsgpack, HugeClaimedSizesAreRefusedAtOnce) {
  // A str32 header claiming 2 GB: refused from its first bytes, not after the timeout.
  auto r = makeMsgpackSerializer()->newReader();
  feed(*r, std::string("\x81\xa7"
                       "command"
                       "\xdb\x80\x00\x00\x00",
                       14));
  std::string e = errorOf(*r);
  EXPECT_NE(e.find("at least 2147483662 bytes"), std::string::npos) << e;
  EXPECT_NE(e.find("topology.multilang.max.message.bytes = 67108864"), std::string::npos) << e;
  // An array32 announcing four billion elements, a map32 likewise, a bin32.
  for (std::string head : {std::string("\x81\xa5tuple\xdd\xff\xff\xff\xff", 12),
                           std::string("\xdf\x7f\xff\xff\xff", 5),
                           std::string("\x81\xa5tuple\xc6\x10\x00\x00\x00", 12)}) {
    auto r2 = makeMsgpackSerializer()->newReader();
    feed(*r2, head);
    EXPECT_NE(errorOf(*r2).find("larger than"), std::string::npos);
  }
  // A complete message over a small bound, and one within it.
  auto r3 = makeMsgpackSerializer()->newReader(1024);
  std::string big = "\x81\xa5tuple\x91\xc5\x08\x00" + std::string(2048, 'b');
  feed(*r3, big);
  EXPECT_NE(errorOf(*r3).find("larger than"), std::string::npos);
  auto r4 = makeMsgpackSerializer()->newReader(1024);
  feed(*r4,
       "\x81\xa7"
       "command\xa4sync");
  ShellMsg m;
  EXPECT_TRUE(r4->next(m));
}

TEST(MultilangPayloadMsgpack, DeepNestingIsRefused) {
  std::string bytes = "\x81\xa5tuple" + std::string(300, '\x91') + "\xc0";
  auto r = makeMsgpackSerializer()->newReader();
  feed(*r, bytes);
  EXPECT_NE(errorOf(*r).find("nested deeper than 256"), std::string::npos);
}

TEST(ValueBigIntTest, CanonicalExactAndDistinct) {
  EXPECT_EQ(Value::integer("42"), Value(42));
  EXPECT_EQ(Value::integer("-0"), Value(0));
  EXPECT_EQ(Value::integer("-9223372036854775808"), Value(INT64_MIN));
  Value big = Value::integer("000123456789012345678901234567890");
  ASSERT_TRUE(big.isBigInt());
  EXPECT_EQ(big.asBigInt().digits, "123456789012345678901234567890");
  EXPECT_TRUE(big.isInteger());
  EXPECT_TRUE(big.isNumber());
  EXPECT_EQ(big.toString(), "123456789012345678901234567890");
  EXPECT_DOUBLE_EQ(big.asDouble(), 1.2345678901234568e29);
  EXPECT_THROW(big.asInt(), ClassCastException);
  EXPECT_THROW(Value::integer("12a"), IllegalArgumentException);
  EXPECT_THROW(Value::integer("-"), IllegalArgumentException);
  // A uint64 above INT64_MAX no longer wraps to a negative int.
  Value u(uint64_t{1} << 63);
  ASSERT_TRUE(u.isBigInt());
  EXPECT_EQ(u.asBigInt().digits, "9223372036854775808");
  uint64_t back = 0;
  EXPECT_TRUE(u.asBigInt().toUint64(back));
  EXPECT_EQ(back, uint64_t{1} << 63);
  EXPECT_NE(u, Value(static_cast<int64_t>(INT64_MIN)));
  EXPECT_EQ(u.hash(), Value::integer("9223372036854775808").hash());
  EXPECT_NE(u.hash(), Value("9223372036854775808").hash());
}

TEST(MultilangPayloadText, Utf8OrSurrogates) {
  EXPECT_TRUE(isUtf8OrSurrogates("plain ascii text, longer than eight"));
  EXPECT_TRUE(isUtf8OrSurrogates("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_TRUE(isUtf8OrSurrogates("x" + kSurrogate));
  EXPECT_FALSE(isUtf8OrSurrogates("abcdefgh\xff"));
  EXPECT_FALSE(isUtf8OrSurrogates("\xc0\x80"));  // overlong
  EXPECT_FALSE(isUtf8OrSurrogates("\xed\xa0"));  // cut short
}

// The ASCII check reads short strings and the bytes past the last whole eight as overlapping
// loads: a stray byte at any position of any length must still be seen.
TEST(MultilangPayloadText, Utf8CheckSeesAByteAtEveryPositionOfEveryLength) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string text(n, 'a');
    EXPECT_TRUE(isUtf8OrSurrogates(text)) << n;
    for (size_t at = 0; at < n; ++at) {
      std::string bad = text;
      bad[at] = '\x80';  // a continuation byte with nothing before it
      EXPECT_FALSE(isUtf8OrSurrogates(bad)) << "length " << n << ", at " << at;
      std::string good = text;
      good[at] = '\x7f';
      EXPECT_TRUE(isUtf8OrSurrogates(good)) << "length " << n << ", at " << at;
    }
  }
}

}  // namespace
