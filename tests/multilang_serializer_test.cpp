// The multilang codecs (storm.md 1.2, 1.12): what the engine writes, and how the child's
// output is framed and decoded with JSON and msgpack, including messages split across reads,
// Storm's tolerated variants (pretty-printed, CRLF, blank lines), any-size integer task ids,
// message ids keeping their type, and clear errors for malformed or non-protocol output.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "multilang/json_flat_message.h"
#include "multilang/message_builder.h"
#include "multilang/msgpack_flat_message.h"
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

std::string errorOf(MessageReader& r) {
  ShellMsg m;
  try {
    r.next(m);
  } catch (const ProtocolError& e) {
    return std::string(e.what()) + " | " + e.offending();
  }
  return "no error";
}

TEST(MultilangJsonTest, WritesStormFraming) {
  auto s = makeSerializer("org.apache.storm.multilang.JsonSerializer");
  EXPECT_STREQ(s->name(), "json");
  std::string out;
  std::string comp = "spout";
  s->writeTuple(out, "-42", &comp, "default", 7,
                Values{"a\"b\n", 1, 2.0, true, Value(), Value(List{1, "x"}), Value(Map{{"k", 1.5}}),
                       Value(Bytes{"\x01\xff"})});
  EXPECT_EQ(out,
            R"({"id":"-42","comp":"spout","stream":"default","task":7,"tuple":["a\"b\n",1,2.0,)"
            R"(true,null,[1,"x"],{"k":1.5},[1,255]]})"
            "\nend\n");
  out.clear();
  s->writeTuple(out, "9", nullptr, "__heartbeat", -1, Values{});
  EXPECT_EQ(out,
            "{\"id\":\"9\",\"comp\":null,\"stream\":\"__heartbeat\",\"task\":-1,\"tuple\":[]}"
            "\nend\n");
  out.clear();
  s->writeTaskIds(out, TaskIds{3, 4});
  EXPECT_EQ(out, "[3,4]\nend\n");
  out.clear();
  s->writeCommand(out, "ack", Value(12));
  EXPECT_EQ(out, "{\"command\":\"ack\",\"id\":12}\nend\n");
  out.clear();
  s->writeCommand(out, "fail", Value("m-1"));
  EXPECT_EQ(out, "{\"command\":\"fail\",\"id\":\"m-1\"}\nend\n");
}

TEST(MultilangJsonTest, InvalidUtf8AndControlCharactersStayValidJson) {
  auto s = makeJsonSerializer();
  std::string out;
  s->writeMessage(out, Value(List{std::string("caf\xc3\xa9 \xff\x01")}));
  EXPECT_EQ(out, "[\"caf\xc3\xa9 \\ufffd\\u0001\"]\nend\n");
}

TEST(MultilangJsonTest, DecodesEmitSplitAcrossReads) {
  auto r = makeJsonSerializer()->newReader();
  std::string msg = R"({"command":"emit","anchors":["-5","7"],"stream":"words","task":0,)"
                    R"("tuple":["w",1,2.5,null,[1,{"a":true}]],"need_task_ids":false})"
                    "\nend\n";
  ShellMsg m;
  ShellMsg taken;
  size_t lineEnd = msg.find('\n');
  for (size_t i = 0; i < msg.size(); ++i) {
    feed(*r, msg.substr(i, 1));
    bool got = r->next(m);
    // A document of one line is taken as its line ends; its "end" line is consumed after.
    EXPECT_EQ(got, i == lineEnd) << i;
    if (got) taken = m;
  }
  m = taken;
  EXPECT_EQ(m.kind, ShellCommandKind::Emit);
  EXPECT_EQ(m.anchors, (std::vector<std::string>{"-5", "7"}));
  EXPECT_EQ(m.stream, "words");
  ASSERT_TRUE(m.task.has_value());
  EXPECT_EQ(*m.task, 0);
  EXPECT_FALSE(m.needTaskIds);
  ASSERT_EQ(m.tuple.size(), 5u);
  EXPECT_EQ(m.tuple[0], Value("w"));
  EXPECT_EQ(m.tuple[2], Value(2.5));
  EXPECT_TRUE(m.tuple[3].isNull());
  EXPECT_EQ(m.tuple[4].asList()[1].find("a")->asBool(), true);
}

// What a reader makes of `bytes`: each message's fields, then the error, as text.
std::string decodedText(std::string_view bytes,
                        std::unique_ptr<Serializer> s = makeJsonSerializer()) {
  auto r = s->newReader();
  feed(*r, bytes);
  std::string t;
  std::string comp = "c";
  ShellMsg m;
  try {
    while (r->next(m)) {
      t += std::to_string(static_cast<int>(m.kind)) + m.command + "|" + m.stream + "|" +
           (m.task ? std::to_string(*m.task) : "-") + "|" + std::to_string(m.needTaskIds) + m.msg +
           "|" + std::to_string(m.level) + "|" + m.poison + "|";
      for (const auto& a : m.anchors) t += a + ",";
      s->writeTuple(t, "1", &comp, "default", 1, m.tuple);
      s->writeMessage(t, m.id);
    }
  } catch (const ProtocolError& e) {
    t += std::string("error: ") + e.what();
  }
  return t;
}

// storm.py's and pystorm's messages (and near misses of the flat shape) decode the same with
// the fast path for flat messages as with RapidJSON alone.
TEST(MultilangJsonTest, FlatMessagesDecodeTheSameWithAndWithoutTheFastPath) {
  const std::vector<std::string> docs = {
      R"({"command": "emit", "anchors": ["-4312553390224171711"], "tuple": ["word"]})",
      R"({"command":"emit","tuple":["w",17,-3,true,false,null,[]],"stream":"s","task":4})",
      R"({"command": "ack", "id": "8812"})",
      R"({"command": "fail", "id": 8812})",
      R"({"command": "sync"})",
      R"( { "command" : "log" , "msg" : "café", "level" : 3 } )",
      R"({"command": "emit", "tuple": [], "need_task_ids": false})",
      R"({"pid": 4242})",
      R"({})",
      R"({"command": "emit", "tuple": [01]})",
      R"({"command": "emit", "tuple": [-0]})",
      R"({"command": "emit", "tuple": [123456789012345678, -123456789012345678]})",
      R"({"command": "emit", "tuple": [1234567890123456789, 99999999999999999999]})",
      R"({"command": "emit", "tuple": [1.5, 1e5, 2E-3]})",
      R"({"command": "emit", "tuple": ["a\"b", "\u00e9"]})",
      R"({"command": "emit", "tuple": [NaN, Infinity, -Infinity]})",
      R"({"command": "emit", "tuple": [[1, 2], {"k": "v"}]})",
      R"({"command": "emit", "tuple": ["x"], "command": "ack"})",
      R"({"command": "emit", "tuple": "notalist"})",
      R"({"command": "emit", "tuple": ["x",]})",
      R"({"command": "emit", "tuple": ["x"]} {})",
      R"({"command": "emit" "tuple": ["x"]})",
      R"({"command": "emit", "task": "4"})",
      R"({"command": tru})",
      R"(["not", "an", "object"])",
      "{\"command\": \"emit\", \"tuple\": [\"tab\there\"]}",
      "{\"command\": \"emit\", \"tuple\": [\"\xff\xfe\"]}",
      "{\"command\": \"emit\", \"tuple\": [\"\xed\xa0\x80\"]}",
      // Strings longer than the fast path's 16-byte steps, ending or breaking past the first.
      R"({"command": "emit", "tuple": ["a plain string well over sixteen bytes long"]})",
      R"({"command": "emit", "tuple": ["over sixteen bytes, then \"quoted\" text"]})",
      "{\"command\": \"emit\", \"tuple\": [\"0123456789abcdefghij\x01 control\"]}",
      "{\"command\": \"emit\", \"tuple\": [\"0123456789abcdef\"]}",
  };
  for (const std::string& doc : docs) {
    std::string framed = doc + "\nend\n";
    setJsonFlatFastPath(false);
    std::string slow = decodedText(framed);
    setJsonFlatFastPath(true);
    EXPECT_EQ(decodedText(framed), slow) << doc;
  }
}

// The fast path takes the common messages whole and leaves anything else to RapidJSON.
TEST(MultilangJsonTest, TheFastPathTakesFlatMessagesOnly) {
  MessageBuilder b;
  ShellMsg m;
  auto flat = [&](std::string_view doc) {
    return decodeFlatJsonMessage(b, m, doc.data(), doc.size());
  };
  EXPECT_TRUE(flat(R"({"command": "emit", "anchors": ["-43"], "tuple": ["word"]})"));
  EXPECT_EQ(m.kind, ShellCommandKind::Emit);
  EXPECT_EQ(m.anchors, (std::vector<std::string>{"-43"}));
  ASSERT_EQ(m.tuple.size(), 1u);
  EXPECT_EQ(m.tuple[0], Value("word"));
  EXPECT_TRUE(flat(R"({"command":"emit","tuple":[-7,true,null,"é"],"task":3})"));
  ASSERT_EQ(m.tuple.size(), 4u);
  EXPECT_EQ(m.tuple[0], Value(-7));
  EXPECT_EQ(*m.task, 3);
  EXPECT_TRUE(flat(R"({"command": "ack", "id": "8812"})"));
  EXPECT_EQ(m.kind, ShellCommandKind::Ack);
  EXPECT_TRUE(flat(R"({"command": "emit", "tuple": ["a plain string well over sixteen bytes"]})"));
  EXPECT_EQ(m.tuple.at(0), Value("a plain string well over sixteen bytes"));
  for (std::string_view other :
       {R"({"command": "emit", "tuple": ["a\"b"]})", R"({"command": "emit", "tuple": [1.5]})",
        R"({"command": "emit", "tuple": [[1]]})", R"({"command": "emit", "tuple": [01]})",
        R"({"command": "emit", "tuple": [-0]})", R"({"command": "emit", "tuple": [NaN]})",
        R"({"command": "emit", "tuple": [1234567890123456789]})", R"({"a": 1} x)",
        R"({"command": "emit", "tuple": "x"})", "{\"command\": \"a\x01\"}",
        "{\"command\": \"\xff\"}", R"({"command": "emit")", R"([1])",
        R"({"command": "emit", "tuple": ["over sixteen bytes, then \"quoted\""]})",
        "{\"command\": \"0123456789abcdefghij\x1f\"}"}) {
    EXPECT_FALSE(flat(other)) << other;
  }
}

// The text of the last message (for error reports) outlives the buffer it was decoded from:
// the next read moves the bytes, and an early take's copy is replaced by the next one's.
TEST(MultilangJsonTest, TheLastMessageTextSurvivesTheNextRead) {
  auto r = makeJsonSerializer()->newReader();
  ShellMsg m;
  feed(*r, "{\"command\": \"ack\", \"id\": \"first\"}\nend\n{\"command\": \"sy");
  ASSERT_TRUE(r->next(m));
  EXPECT_FALSE(r->next(m));
  EXPECT_EQ(r->lastMessageText(300), R"({"command": "ack", "id": "first"})");
  feed(*r, "nc\"}\nend\n" + std::string(70000, ' '));  // the buffer moves and grows
  EXPECT_EQ(r->lastMessageText(300), R"({"command": "ack", "id": "first"})");
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(r->lastMessageText(300), R"({"command": "sync"})");
  // Early takes: one line each, parsed from a copy before its "end" line arrives.
  feed(*r, "{\"command\": \"ack\", \"id\": \"early\"}\n");
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(r->lastMessageText(300), R"({"command": "ack", "id": "early"})");
  feed(*r, "end\n{\"command\": \"fail\", \"id\": \"later\"}\n");
  EXPECT_EQ(r->lastMessageText(300), R"({"command": "ack", "id": "early"})");
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Fail);
  EXPECT_EQ(r->lastMessageText(300), R"({"command": "fail", "id": "later"})");
  // A document RapidJSON decodes (an escape) is kept as it came, before the in-place parse.
  feed(*r, "end\n{\"command\": \"log\", \"msg\": \"a\\\"b\"}\nend\n");
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.msg, "a\"b");
  EXPECT_EQ(r->lastMessageText(300), R"({"command": "log", "msg": "a\"b"})");
}

TEST(MultilangJsonTest, TakesAOneLineDocumentBeforeItsEndLineArrives) {
  // storm.py under PYTHONUNBUFFERED=1: the JSON, "\n", "end" and "\n" in four writes, and it
  // then waits for the task ids of this emit.
  auto r = makeJsonSerializer()->newReader();
  ShellMsg m;
  feed(*r, R"({"command":"emit","tuple":["w"]})");
  EXPECT_FALSE(r->next(m));
  feed(*r, "\n");
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Emit);
  EXPECT_EQ(m.tuple, Values{"w"});
  EXPECT_TRUE(m.needTaskIds);
  feed(*r, "en");
  EXPECT_FALSE(r->next(m));
  feed(*r, "d\r\n\n{\"command\":\"sync\"}\r\n");
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Sync);
  feed(*r, "\nend\r\n{\"command\":\"ack\",\"id\":\"1\"}\nend\n");
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Ack);
  EXPECT_FALSE(r->next(m));
}

TEST(MultilangJsonTest, ALineThatEndsInsideADocumentWaitsForItsEnd) {
  auto r = makeJsonSerializer()->newReader();
  ShellMsg m;
  // One line ending in '}' that is not the whole document, then the rest on its own lines.
  feed(*r, R"({"command":"emit","tuple":[{"a":1})"
           "\n");
  EXPECT_FALSE(r->next(m));
  feed(*r, "]}\n");
  EXPECT_FALSE(r->next(m));
  feed(*r, "end\n");
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Emit);
  ASSERT_EQ(m.tuple.size(), 1u);
  EXPECT_EQ(m.tuple[0].find("a")->asInt(), 1);
}

TEST(MultilangJsonTest, AnEarlyTakenDocumentMustStillBeFollowedByEnd) {
  auto r = makeJsonSerializer()->newReader();
  ShellMsg m;
  feed(*r, "{\"command\":\"sync\"}\n");
  ASSERT_TRUE(r->next(m));
  feed(*r, "{\"command\":\"sync\"}\nend\n");
  std::string e = errorOf(*r);
  EXPECT_NE(e.find("not followed by a line 'end'"), std::string::npos) << e;
  EXPECT_NE(e.find("{\"command\":\"sync\"}"), std::string::npos) << e;
}

TEST(MultilangJsonTest, AcceptsPrettyPrintedCrlfAndBlankLines) {
  auto r = makeJsonSerializer()->newReader();
  feed(*r,
       "\n\n{\n  \"command\": \"sync\"\n}\r\nend\r\n{\"command\":\"log\",\"msg\":\"end\","
       "\"level\":3}\nend\n");
  ShellMsg m;
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Sync);
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Log);
  EXPECT_EQ(m.msg, "end");
  EXPECT_EQ(m.level, 3);
  EXPECT_FALSE(r->next(m));
}

TEST(MultilangJsonTest, TaskIdsOfAnySizeAndMessageIdTypes) {
  auto r = makeJsonSerializer()->newReader();
  feed(*r, R"({"command":"emit","task":9,"id":12,"tuple":[]})"
           "\nend\n"
           R"({"command":"emit","task":9.0,"id":"s","tuple":[]})"
           "\nend\n"
           R"({"command":"emit","task":4294967296,"id":1.5,"tuple":[]})"
           "\nend\n"
           R"({"command":"emit","task":"9","tuple":[]})"
           "\nend\n");
  ShellMsg m;
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(*m.task, 9);
  EXPECT_EQ(m.id, Value(12));
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(*m.task, 9);
  EXPECT_EQ(m.id, Value("s"));
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(*m.task, 4294967296LL);
  EXPECT_EQ(m.id, Value(1.5));
  EXPECT_NE(errorOf(*r).find("field 'task' must be an integer task id"), std::string::npos);
}

TEST(MultilangJsonTest, MalformedJsonNamesTheMessage) {
  auto r = makeJsonSerializer()->newReader();
  feed(*r, "{\"command\": \"emit\", \"tuple\": [1,\nend\n");
  std::string e = errorOf(*r);
  EXPECT_NE(e.find("malformed JSON"), std::string::npos) << e;
  EXPECT_NE(e.find("{\"command\": \"emit\""), std::string::npos) << e;
}

TEST(MultilangJsonTest, StrayOutputIsNotProtocol) {
  auto r = makeJsonSerializer()->newReader();
  feed(*r, "hello from print()\n{\"command\":\"sync\"}\nend\n");
  std::string e = errorOf(*r);
  EXPECT_NE(e.find("not protocol"), std::string::npos) << e;
  EXPECT_NE(e.find("hello from print()"), std::string::npos) << e;
  auto r2 = makeJsonSerializer()->newReader();
  feed(*r2, "[1,2]\nend\n");
  EXPECT_NE(errorOf(*r2).find("expected an object"), std::string::npos);
  auto r3 = makeJsonSerializer()->newReader();
  feed(*r3, "end\n");
  EXPECT_NE(errorOf(*r3).find("empty message"), std::string::npos);
}

TEST(MultilangJsonTest, WrongFieldTypesAreErrors) {
  auto r = makeJsonSerializer()->newReader();
  feed(*r, R"({"command":"emit","tuple":"notalist"})"
           "\nend\n");
  EXPECT_NE(errorOf(*r).find("field 'tuple' must be a list"), std::string::npos);
  auto r2 = makeJsonSerializer()->newReader();
  feed(*r2, R"({"command":"emit","tuple":[],"need_task_ids":"yes"})"
            "\nend\n");
  EXPECT_NE(errorOf(*r2).find("need_task_ids"), std::string::npos);
}

TEST(MultilangMsgpackTest, RoundTripsThroughTheReader) {
  auto s = makeSerializer("MSGPACK");
  EXPECT_STREQ(s->name(), "msgpack");
  EXPECT_STREQ(makeSerializer("com.yelp.pyleus.serializer.MessagePackSerializer")->name(),
               "msgpack");
  // Engine-side encodings decode back (the reader accepts any map with these keys).
  std::string bytes;
  s->writeMessage(
      bytes,
      Value(Map{{"command", "emit"},
                {"tuple", Value(List{"w", -3, 1e300, Value(Bytes{std::string("\x00\x01", 2)}),
                                     Value(Map{{"k", Value()}})})},
                {"anchors", Value(List{"-7"})},
                {"task", 5},
                {"id", 123456789012LL}}));
  auto r = s->newReader();
  ShellMsg m;
  // Byte by byte: msgpack has no delimiter, the unpacker finds the end.
  for (size_t i = 0; i < bytes.size(); ++i) {
    feed(*r, bytes.substr(i, 1));
    EXPECT_EQ(r->next(m), i + 1 == bytes.size()) << i;
  }
  EXPECT_EQ(m.kind, ShellCommandKind::Emit);
  ASSERT_EQ(m.tuple.size(), 5u);
  EXPECT_EQ(m.tuple[1], Value(-3));
  EXPECT_EQ(m.tuple[2], Value(1e300));
  EXPECT_EQ(m.tuple[3], Value(Bytes{std::string("\x00\x01", 2)}));
  EXPECT_EQ(m.anchors, std::vector<std::string>{"-7"});
  EXPECT_EQ(*m.task, 5);
  EXPECT_EQ(m.id, Value(123456789012LL));
}

TEST(MultilangMsgpackTest, WritesTuplesAsPystormReadsThem) {
  auto s = makeMsgpackSerializer();
  std::string out;
  std::string comp = "spout";
  s->writeTuple(out, "-42", &comp, "default", 7, Values{"w"});
  EXPECT_EQ(out, std::string("\x85\xa2id\xa3-42\xa4"
                             "comp\xa5spout\xa6stream\xa7"
                             "default"
                             "\xa4task\x07\xa5tuple\x91\xa1w",
                             49));
  // Names of 32 bytes and more take a str8 header; a heartbeat has no component.
  out.clear();
  std::string longStream(40, 's');
  s->writeTuple(out, "9", nullptr, longStream, -1, Values{});
  EXPECT_EQ(out, std::string("\x85\xa2id\xa1"
                             "9\xa4"
                             "comp\xc0\xa6stream\xd9\x28",
                             21) +
                     longStream + std::string("\xa4task\xff\xa5tuple\x90", 13));
}

TEST(MultilangMsgpackTest, AcceptsBinWhereTextIsExpected) {
  // {"command": bin("sync")} as old msgpack-python without use_bin_type writes... as bin.
  std::string bytes =
      "\x81\xc4\x07"
      "command"
      "\xc4\x04"
      "sync";
  auto r = makeMsgpackSerializer()->newReader();
  feed(*r, bytes);
  ShellMsg m;
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Sync);
}

TEST(MultilangMsgpackTest, GarbageAndMalformedInput) {
  auto r = makeMsgpackSerializer()->newReader();
  feed(*r, "garbage\n");
  std::string e = errorOf(*r);
  EXPECT_NE(e.find("not protocol"), std::string::npos) << e;
  EXPECT_NE(e.find("garbage"), std::string::npos) << e;
  auto r2 = makeMsgpackSerializer()->newReader();
  feed(*r2, "\xc1\xc1");
  EXPECT_NE(errorOf(*r2).find("malformed msgpack"), std::string::npos);
  auto r3 = makeMsgpackSerializer()->newReader();
  feed(*r3, "\x92\x01\x02");  // [1, 2]
  EXPECT_NE(errorOf(*r3).find("expected an object (a map)"), std::string::npos);
}

// msgpack bytes, spelled out: a str of any size, and a header byte with its big-endian length.
std::string mpStr(std::string_view s) {
  std::string out;
  if (s.size() < 32) {
    out.push_back(static_cast<char>(0xa0 | s.size()));
  } else if (s.size() < 256) {
    out += "\xd9";
    out.push_back(static_cast<char>(s.size()));
  } else {
    out += "\xda";
    out.push_back(static_cast<char>(s.size() >> 8));
    out.push_back(static_cast<char>(s.size() & 0xff));
  }
  return out.append(s);
}
std::string mpHeader(unsigned char type, uint64_t n, int bytes) {
  std::string out(1, static_cast<char>(type));
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(n >> (8 * i)));
  return out;
}

// The squall package's and pystorm's messages, every scalar type and header size, and near
// misses of the flat shape decode the same with the fast path for flat messages as with
// msgpack-cxx alone.
TEST(MultilangMsgpackTest, FlatMessagesDecodeTheSameWithAndWithoutTheFastPath) {
  const std::string emit = mpStr("command") + mpStr("emit");
  const std::string tuple = mpStr("tuple");
  const std::vector<std::string> messages = {
      // the squall package's emit, pystorm's emit, an ack, a sync
      "\x84" + emit + tuple + "\x91" + mpStr("word") + mpStr("anchors") + "\x91" +
          mpStr("-4312553390224171711") + mpStr("need_task_ids") + "\xc2",
      "\x84" + emit + tuple + "\x91" + mpStr("w") + mpStr("anchors") + "\x91" + mpStr("77") +
          mpStr("need_task_ids") + "\xc2",
      "\x82" + mpStr("command") + mpStr("ack") + mpStr("id") + mpStr("8812"),
      "\x82" + mpStr("command") + mpStr("fail") + mpStr("id") + mpHeader(0xcd, 8812, 2),
      "\x81" + mpStr("command") + mpStr("sync"),
      "\x80",
      "\x83" + mpStr("command") + mpStr("log") + mpStr("msg") + mpStr("café") + mpStr("level") +
          "\x03",
      // every integer, float and literal, in a tuple and as a field
      "\x83" + emit + mpStr("task") + mpHeader(0xd1, 0xfffc, 2) + tuple + mpHeader(0xdc, 14, 2) +
          "\x7f\xe0\xc0\xc3" + mpHeader(0xcc, 200, 1) + mpHeader(0xcd, 60000, 2) +
          mpHeader(0xce, 4000000000u, 4) + mpHeader(0xcf, 1ULL << 63, 8) + mpHeader(0xcf, 42, 8) +
          mpHeader(0xd0, 0x80, 1) + mpHeader(0xd2, 0x80000000u, 4) + mpHeader(0xd3, 1ULL << 63, 8) +
          mpHeader(0xca, 0x3fc00000, 4) + mpHeader(0xcb, 0x4009'21fb'5444'2d18ULL, 8),
      // str 8 and str 16 values and keys, an empty str, a map 16
      mpHeader(0xde, 2, 2) + emit + tuple + "\x93" + mpStr(std::string(40, 'x')) +
          mpStr(std::string(300, 'y')) + mpStr(""),
      "\x82" + emit + mpStr(std::string(33, 'k')) + "\x01",
      // not flat, or not what the builder takes: left to msgpack-cxx either way
      "\x82" + emit + tuple +
          "\x91\xc4\x02"
          "ab",                                                  // bin
      "\x82" + emit + tuple + "\x91\xd4\x01\x07",                // fixext
      "\x82" + emit + tuple + "\x91\x91\x01",                    // nested array
      "\x82" + emit + tuple + "\x91\x81" + mpStr("k") + "\x01",  // nested map
      "\x82" + emit + tuple + "\x91\xa2\xff\xfe",                // str not UTF-8
      "\x82" + emit + tuple + "\x91\xa3\xed\xa0\x80",            // a surrogate
      "\x82\x07\xa1x" + mpStr("command") + mpStr("sync"),        // integer key
      "\x81\xa2\xff\xfe\x01",                                    // key not UTF-8
      "\x82" + emit + tuple + mpStr("notalist"),
      "\x82" + emit + mpStr("task") + mpStr("4"),
      "\x82" + emit + mpStr("need_task_ids") + mpStr("yes"),
      "\x83" + emit + tuple + "\x91\x01" + mpStr("command") + mpStr("ack"),
      "\x92\x01\x02",
      "\x82" + emit + tuple + "\x91\xc1",
      "\xdf\x00\x00\x00\x01" + mpStr("command") + mpStr("sync"),  // map 32
      "\x82" + emit + tuple + "\xdd\x00\x00\x00\x01\x01",         // array 32
      // cut short: each waits for the rest
      "\x82" + emit + tuple + "\x92\x01",
      "\x82" + emit + tuple + "\x91\xcf\x00\x01",
      "\x82" + emit + tuple + "\x91\xd9",
      mpHeader(0xde, 3, 2) + emit,
  };
  auto decode = [](const std::string& bytes, bool fast) {
    setMsgpackFlatFastPath(fast);
    // Followed by a sync: the next message must start where the first ended.
    std::string t =
        decodedText(bytes + "\x81" + mpStr("command") + mpStr("sync"), makeMsgpackSerializer());
    setMsgpackFlatFastPath(true);
    return t;
  };
  for (const std::string& bytes : messages) {
    std::string slow = decode(bytes, false);
    EXPECT_EQ(decode(bytes, true), slow) << printable(bytes, 400);
  }
}

// The fast path takes the common messages whole, and leaves anything else, and a message not
// all here, to msgpack-cxx.
TEST(MultilangMsgpackTest, TheFastPathTakesFlatMessagesOnly) {
  MessageBuilder b;
  ShellMsg m;
  auto flat = [&](const std::string& bytes) {
    return decodeFlatMsgpackMessage(b, m, bytes.data(), bytes.size());
  };
  const std::string emit = mpStr("command") + mpStr("emit");
  std::string pkgEmit = "\x84" + emit + mpStr("tuple") + "\x91" + mpStr("word") + mpStr("anchors") +
                        "\x91" + mpStr("-43") + mpStr("need_task_ids") + "\xc2";
  EXPECT_EQ(flat(pkgEmit + "\x80"), pkgEmit.size());  // stops where the message ends
  EXPECT_EQ(m.kind, ShellCommandKind::Emit);
  EXPECT_EQ(m.anchors, (std::vector<std::string>{"-43"}));
  EXPECT_EQ(m.tuple, (Values{"word"}));
  EXPECT_FALSE(m.needTaskIds);
  std::string ack = "\x82" + mpStr("command") + mpStr("ack") + mpStr("id") + mpStr("8812");
  EXPECT_EQ(flat(ack), ack.size());
  EXPECT_EQ(m.kind, ShellCommandKind::Ack);
  EXPECT_EQ(m.id, Value("8812"));
  std::string numbers = "\x82" + emit + mpStr("tuple") + "\x94\xe0" +
                        mpHeader(0xcf, 1ULL << 63, 8) + mpHeader(0xca, 0x3fc00000, 4) + "\xc0";
  EXPECT_EQ(flat(numbers), numbers.size());
  EXPECT_EQ(m.tuple, (Values{-32, Value::integer("9223372036854775808"), 1.5, Value()}));
  for (const std::string& other :
       {"\x82" + emit + mpStr("tuple") +
            "\x91\xc4\x02"
            "ab",
        "\x82" + emit + mpStr("tuple") + "\x91\x91\x01",
        "\x82" + emit + mpStr("tuple") + "\x91\xa2\xff\xfe",
        "\x82\x07\xa1x" + mpStr("command") + mpStr("sync"), std::string("\x92\x01\x02"),
        "\x82" + emit + mpStr("task") + mpStr("4"), pkgEmit.substr(0, pkgEmit.size() - 1),
        std::string()}) {
    EXPECT_EQ(flat(other), 0u) << printable(other, 200);
  }
}

// One reader and one ShellMsg for a stream of messages, as the shell components use them: the
// anchors decoded straight into ShellMsg::anchors (their strings recycled) are each message's
// own, integers are accepted as text, and any other type is an error naming the field.
void expectAnchorsPerMessage(const Serializer& s, const std::vector<Value>& messages) {
  auto r = s.newReader();
  std::string bytes;
  for (const Value& v : messages) s.writeMessage(bytes, v);
  feed(*r, bytes);
  ShellMsg m;
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.anchors, (std::vector<std::string>{"-1234567890123456789", "7"}));
  EXPECT_EQ(m.tuple, (Values{"w"}));
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.anchors, (std::vector<std::string>{"42"}));
  ASSERT_TRUE(r->next(m));
  EXPECT_TRUE(m.anchors.empty());
  EXPECT_EQ(m.kind, ShellCommandKind::Emit);
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.anchors, (std::vector<std::string>{"x-long-enough-to-need-the-heap", "y"}));
  std::string e = errorOf(*r);
  EXPECT_NE(e.find("anchors"), std::string::npos) << e;
}

std::vector<Value> anchorMessages() {
  auto emit = [](Value anchors) {
    Map m{{"command", "emit"}, {"tuple", Value(List{"w"})}};
    if (!anchors.isNull()) m.emplace("anchors", std::move(anchors));
    return Value(std::move(m));
  };
  return {emit(Value(List{"-1234567890123456789", "7"})), emit(Value(List{42})), emit(Value()),
          emit(Value(List{"x-long-enough-to-need-the-heap", "y"})),
          emit(Value(List{Value(List{1})}))};
}

TEST(MultilangJsonTest, AnchorsAreEachMessagesOwn) {
  expectAnchorsPerMessage(*makeJsonSerializer(), anchorMessages());
}

TEST(MultilangMsgpackTest, AnchorsAreEachMessagesOwn) {
  expectAnchorsPerMessage(*makeMsgpackSerializer(), anchorMessages());
}

TEST(MultilangMsgpackTest, IntegerKeysAndTheLastMessageSurviveTheNextRead) {
  // {7: "x", "command": "sync"}: an integer key is formatted by the reader, not read from
  // its input; then an ack. Both arrive in one read.
  std::string bytes =
      "\x82\x07\xa1x\xa7"
      "command"
      "\xa4"
      "sync";
  makeMsgpackSerializer()->writeMessage(bytes, Value(Map{{"command", "ack"}, {"id", "9"}}));
  auto r = makeMsgpackSerializer()->newReader();
  feed(*r, bytes);
  ShellMsg m;
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Sync);
  ASSERT_TRUE(r->next(m));
  EXPECT_EQ(m.kind, ShellCommandKind::Ack);
  EXPECT_EQ(m.id, Value("9"));
  EXPECT_NE(r->lastMessageText(300).find("ack"), std::string::npos);
  // The next read moves the buffer: the last message is still reported.
  feed(*r, std::string(100000, '\x90'));
  std::string last = r->lastMessageText(300);
  EXPECT_NE(last.find("ack"), std::string::npos) << last;
  EXPECT_NE(last.find("9"), std::string::npos) << last;
}

TEST(MultilangSerializerTest, UnknownNameIsAConfigError) {
  try {
    makeSerializer("protobuf");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("topology.multilang.serializer"), std::string::npos);
  }
}

}  // namespace
