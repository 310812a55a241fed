// The wire format between workers: every Value alternative round-trips, batches keep their
// order, frames survive any split of the byte stream, and malformed input raises WireError
// (never anything else, never a crash); the handshake's proofs and the assignment file.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "squall/topology_builder.h"
#include "topology/topology_plan.h"
#include "worker/assignment.h"
#include "worker/handshake_auth.h"
#include "worker/testing_components.h"
#include "worker/wire_format.h"

using namespace squall;
using namespace squall::worker;

namespace {

Value roundTrip(const Value& v) {
  WireWriter w;
  w.value(v);
  WireReader r(w.buffer().data(), w.size());
  Value out = r.value();
  EXPECT_TRUE(r.done());
  return out;
}

std::vector<FrameReader::Frame> frames(FrameReader& fr, std::string_view bytes, size_t step,
                                       std::vector<std::string>& payloads) {
  std::vector<FrameReader::Frame> out;
  for (size_t i = 0; i < bytes.size(); i += step) {
    size_t n = std::min(step, bytes.size() - i);
    auto room = fr.writable(n);
    std::memcpy(room.data(), bytes.data() + i, n);
    fr.commit(n);
    while (auto f = fr.next()) {
      out.push_back(*f);
      payloads.emplace_back(f->data, f->size);
    }
  }
  return out;
}

}  // namespace

TEST(WireFormat, EveryValueTypeRoundTrips) {
  std::vector<Value> values = {
      Value(),
      Value(true),
      Value(false),
      Value(0),
      Value(INT64_MIN),
      Value(INT64_MAX),
      Value(-1),
      Value(3.25),
      Value(-0.0),
      Value(std::numeric_limits<double>::infinity()),
      Value(""),
      Value("héllo"),
      Value(Bytes{std::string("\0\xff", 2)}),
      Value(List{Value(1), Value("a"), Value(List{}), Value(Map{})}),
      Value(Map{{"a", Value(1)}, {"", Value(Bytes{"x"})}, {"n", Value(List{Value()})}}),
      Value::integer("18446744073709551615"),
      Value::integer("-1000000000000000000000000000000"),
  };
  for (const auto& v : values) {
    Value back = roundTrip(v);
    EXPECT_EQ(back.type(), v.type()) << v.toString();
    EXPECT_EQ(back, v) << v.toString();
  }
  // Text and bytes stay apart.
  EXPECT_TRUE(roundTrip(Value(Bytes{"abc"})).isBytes());
  EXPECT_TRUE(roundTrip(Value("abc")).isString());
  EXPECT_TRUE(std::isnan(roundTrip(Value(std::nan(""))).asDouble()));
}

TEST(WireFormat, BatchKeepsTuplesAndAcksInOrder) {
  WireWriter w;
  BatchWriter b(w);
  b.begin();
  MessageId id;
  id.xorInto(11, 22);
  id.xorInto(33, 44);
  b.tuple(7, 3, 2, id, Values{Value("w"), Value(5)});
  internal::AckRecord a{0xdeadbeefcafeULL, 99, 4, 1, internal::AckKind::Init};
  b.ack(a);
  b.tuple(-1, 1, 0, MessageId{}, Values{});
  EXPECT_EQ(b.end(), 3u);

  FrameReader fr(kMaxFrameBytes);
  std::vector<std::string> payloads;
  auto fs = frames(fr, w.buffer(), 1, payloads);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].type, FrameType::Batch);
  WireReader r(payloads[0].data(), payloads[0].size());
  WireTuple scratch;
  std::vector<std::string> order;
  decodeBatch(
      r, scratch,
      [&](WireTuple& t) {
        order.push_back("t" + std::to_string(t.destTask));
        if (t.destTask == 7) {
          EXPECT_EQ(t.sourceTask, 3);
          EXPECT_EQ(t.stream, 2u);
          ASSERT_EQ(t.anchors.size(), 2u);
          EXPECT_EQ(t.anchors[1], (MessageId::Entry{33, 44}));
          EXPECT_EQ(t.values, (Values{Value("w"), Value(5)}));
        } else {
          EXPECT_TRUE(t.anchors.empty());
          EXPECT_TRUE(t.values.empty());
        }
      },
      [&](const internal::AckRecord& got) {
        order.push_back("a");
        EXPECT_EQ(got.root, a.root);
        EXPECT_EQ(got.value, a.value);
        EXPECT_EQ(got.task, a.task);
        EXPECT_EQ(got.destTask, a.destTask);
        EXPECT_EQ(got.kind, a.kind);
      });
  EXPECT_EQ(order, (std::vector<std::string>{"t7", "a", "t-1"}));
}

// The receiver decodes values straight into a recycled tuple body: whatever the body held
// (more values, fewer, other types, long strings) gives way to exactly what was sent.
TEST(WireFormat, DecodingIntoARecycledBodyReplacesWhatItHeld) {
  const std::string longText(5000, 'x');
  std::vector<Values> sent = {
      Values{Value("a"), Value(1), Value(2.5)},
      Values{Value(longText)},
      Values{},
      Values{Value(Bytes{"\x00\xff"}), Value(List{Value(1), Value("z")}), Value(), Value(true),
             Value(INT64_MIN)},
      Values{Value("short")},
  };
  WireWriter w;
  BatchWriter b(w);
  b.begin();
  for (const auto& v : sent) b.tuple(2, 1, 0, MessageId{}, v);
  ASSERT_EQ(b.end(), sent.size());
  WireReader r(w.buffer().data() + 5, w.size() - 5);
  Values body{Value("old"), Value(7), Value(longText), Value(), Value(false), Value(3.0)};
  size_t k = 0;
  decodeBatchItems(
      r,
      [&](const WireTupleHead& h, WireReader& rr) {
        EXPECT_EQ(h.destTask, 2);
        EXPECT_EQ(h.sourceTask, 1);
        decodeAnchors(rr, [](uint64_t, uint64_t) { ADD_FAILURE() << "no anchors were sent"; });
        decodeValuesInto(rr, body, rr.count(1));
        ASSERT_LT(k, sent.size());
        EXPECT_EQ(body, sent[k]) << "tuple " << k;
        ++k;
      },
      [](const internal::AckRecord&) { ADD_FAILURE() << "no acking records were sent"; });
  EXPECT_EQ(k, sent.size());
}

// The writer reserves room for the longest encoding of each piece and grows its buffer when a
// piece needs more than is left: a batch far larger than its first allocation, with long
// strings and many anchors, still decodes to what was written.
TEST(WireFormat, LargeBatchesGrowTheWriterAndRoundTrip) {
  WireWriter w;
  BatchWriter b(w);
  b.begin();
  MessageId id;
  for (uint64_t i = 1; i <= 40; ++i) id.xorInto(i, i * 1000);
  std::vector<Values> sent;
  for (int i = 0; i < 3000; ++i) {
    sent.push_back(Values{Value(std::string(static_cast<size_t>(i % 700), 'a' + i % 26)),
                          Value(int64_t{i} * 1'000'003), Value(-static_cast<double>(i))});
    b.tuple(i + 1, 1, 3, id, sent.back());
  }
  ASSERT_EQ(b.end(), sent.size());
  EXPECT_GT(w.size(), 1u << 20);
  FrameReader fr(kMaxFrameBytes);
  std::vector<std::string> payloads;
  auto fs = frames(fr, w.buffer(), 65536, payloads);
  ASSERT_EQ(fs.size(), 1u);
  WireReader r(payloads[0].data(), payloads[0].size());
  WireTuple scratch;
  size_t k = 0;
  decodeBatch(
      r, scratch,
      [&](WireTuple& t) {
        ASSERT_LT(k, sent.size());
        EXPECT_EQ(t.destTask, static_cast<int32_t>(k + 1));
        EXPECT_EQ(t.stream, 3u);
        ASSERT_EQ(t.anchors.size(), 40u);
        EXPECT_EQ(t.anchors[39], (MessageId::Entry{40, 40000}));
        EXPECT_EQ(t.values, sent[k]);
        ++k;
      },
      [](const internal::AckRecord&) {});
  EXPECT_EQ(k, sent.size());
}

TEST(WireFormat, EmptyBatchWritesNothing) {
  WireWriter w;
  BatchWriter b(w);
  b.begin();
  EXPECT_EQ(b.end(), 0u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(WireFormat, FramesSurviveAnySplit) {
  WireWriter w;
  BackPressureStatus s{5, {1, 9, 12}};
  encode(w, s);
  Challenge c;
  randomBytes(c.nonce, kNonceBytes);
  encode(w, c);
  for (size_t step : {1u, 3u, 7u, 1000u}) {
    FrameReader fr(kMaxFrameBytes);
    std::vector<std::string> payloads;
    auto fs = frames(fr, w.buffer(), step, payloads);
    ASSERT_EQ(fs.size(), 2u);
    WireReader r0(payloads[0].data(), payloads[0].size());
    BackPressureStatus back = decodeBackPressure(r0);
    EXPECT_EQ(back.seq, 5u);
    EXPECT_EQ(back.executors, s.executors);
    WireReader r1(payloads[1].data(), payloads[1].size());
    EXPECT_EQ(std::memcmp(decodeChallenge(r1).nonce, c.nonce, kNonceBytes), 0);
  }
}

TEST(WireFormat, OversizedAndUnknownFramesAreErrors) {
  FrameReader fr(kMaxHandshakeFrameBytes);
  std::vector<std::string> payloads;
  EXPECT_THROW(frames(fr, "GET / HTTP/1.0\r\n\r\n", 64, payloads), WireError);
  FrameReader unknown(kMaxFrameBytes);
  EXPECT_THROW(frames(unknown, std::string("\x01\x00\x00\x00\x63", 5), 64, payloads), WireError);
  FrameReader empty(kMaxFrameBytes);
  EXPECT_THROW(frames(empty, std::string("\x00\x00\x00\x00", 4), 64, payloads), WireError);
}

TEST(WireFormat, MalformedPayloadsAreErrors) {
  // Truncated batch.
  WireWriter w;
  BatchWriter b(w);
  b.begin();
  b.tuple(1, 1, 0, MessageId{}, Values{Value("abcdef")});
  b.end();
  std::string payload(w.buffer().substr(5));
  WireTuple scratch;
  auto noTuple = [](WireTuple&) {};
  auto noAck = [](const internal::AckRecord&) {};
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    WireReader r(payload.data(), cut);
    EXPECT_THROW(decodeBatch(r, scratch, noTuple, noAck), WireError) << cut;
  }
  // Nesting bomb.
  std::string bomb;
  for (int i = 0; i < 200; ++i) bomb += std::string{static_cast<char>(ValueTag::List), 1};
  bomb += static_cast<char>(ValueTag::Null);
  WireReader rb(bomb.data(), bomb.size());
  EXPECT_THROW(rb.value(), WireError);
  // A list claiming more elements than there are bytes.
  std::string huge = {static_cast<char>(ValueTag::List), '\xff', '\xff', '\xff', '\x7f'};
  WireReader rh(huge.data(), huge.size());
  EXPECT_THROW(rh.value(), WireError);
  // Unknown tag, overlong varint.
  std::string tag = {'\x63'};
  WireReader rt(tag.data(), tag.size());
  EXPECT_THROW(rt.value(), WireError);
  std::string varint(11, '\xff');
  WireReader rv(varint.data(), varint.size());
  EXPECT_THROW(rv.varint(), WireError);
}

TEST(WireFormat, HelloNamesAnotherVersion) {
  Hello h;
  h.version = 9;
  h.topologyId = "t";
  WireWriter w;
  encode(w, h);
  WireReader r(w.buffer().data() + 5, w.size() - 5);
  try {
    decodeHello(r);
    FAIL() << "expected WireError";
  } catch (const WireError& e) {
    EXPECT_NE(std::string(e.what()).find("wire version 9"), std::string::npos) << e.what();
  }
}

TEST(HandshakeAuth, ProofsNeedTheSecret) {
  std::string secret = newSecret();
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_NE(secret, newSecret());
  Challenge c;
  randomBytes(c.nonce, kNonceBytes);
  Hello h;
  h.topologyId = "topo-1-1";
  h.from = 0;
  h.to = 1;
  h.planFingerprint = 42;
  randomBytes(h.nonce, kNonceBytes);
  helloMac(secret, c.nonce, h, h.mac);
  // Through the wire and back.
  WireWriter w;
  encode(w, h);
  WireReader r(w.buffer().data() + 5, w.size() - 5);
  Hello got = decodeHello(r);
  uint8_t want[kMacBytes];
  helloMac(secret, c.nonce, got, want);
  EXPECT_TRUE(macEqual(want, got.mac));
  helloMac("another secret", c.nonce, got, want);
  EXPECT_FALSE(macEqual(want, got.mac));
  // A replayed hello fails a fresh challenge.
  Challenge fresh;
  randomBytes(fresh.nonce, kNonceBytes);
  helloMac(secret, fresh.nonce, got, want);
  EXPECT_FALSE(macEqual(want, got.mac));
  // Changing what the hello claims breaks the proof.
  got.to = 2;
  helloMac(secret, c.nonce, got, want);
  EXPECT_FALSE(macEqual(want, got.mac));
}

TEST(Assignment, WritesPrivatelyAndReadsBack) {
  auto dir = std::filesystem::temp_directory_path() / ("squall-assign-" + newSecret().substr(0, 8));
  std::filesystem::create_directories(dir);
  Assignment a;
  a.topologyId = "t-1-2";
  a.secret = newSecret();
  a.heartbeatDir = dir.string();
  a.localSockets = true;
  a.workers = {{"127.0.0.1", 4000}, {"127.0.0.1", 4001}};
  a.executorWorker = {{1, 0}, {2, 1}, {3, 0}};
  std::string path = (dir / "assignment").string();
  writeAssignment(path, a);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Assignment b = readAssignment(path);
  EXPECT_EQ(b.topologyId, a.topologyId);
  EXPECT_EQ(b.secret, a.secret);
  EXPECT_EQ(b.heartbeatDir, a.heartbeatDir);
  EXPECT_TRUE(b.localSockets);
  ASSERT_EQ(b.workers.size(), 2u);
  EXPECT_EQ(b.workers[1].port, 4001);
  EXPECT_EQ(b.executorWorker, a.executorWorker);
  { std::ofstream(path, std::ios::app) << "worker x\n"; }
  try {
    readAssignment(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":11: error"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(Assignment, EvenScheduleDealsExecutorsRoundRobin) {
  registerTestingComponents();
  auto plan = [](int sinks) {
    TopologyBuilder tb;
    tb.setSpout("seq", ComponentSpec{"squall.testing.SequenceSpout", Values{Value(10)}}, 1);
    tb.setBolt("sink", ComponentSpec{"squall.testing.RecordingBolt"}, sinks).shuffleGrouping("seq");
    Config conf;
    conf.set(Config::TOPOLOGY_WORKERS, 2);
    return internal::TopologyPlan::build("t", "t-1-1", conf, tb.createTopology());
  };
  auto p = plan(3);
  // Tasks: __acker 1-2 (one per worker), seq 3, sink 4-6; one executor each.
  EXPECT_EQ(evenSchedule(*p, 2),
            (std::map<int, int>{{1, 0}, {2, 1}, {3, 0}, {4, 1}, {5, 0}, {6, 1}}));
  EXPECT_EQ(evenSchedule(*p, 3),
            (std::map<int, int>{{1, 0}, {2, 1}, {3, 2}, {4, 0}, {5, 1}, {6, 2}}));
  EXPECT_EQ(planFingerprint(*p), planFingerprint(*plan(3)));
  EXPECT_NE(planFingerprint(*p), planFingerprint(*plan(2)));
}
