// A ShellBolt's reader takes a streaming child's output a window at a time
// (squall.multilang.read.coalesce.micros, src/multilang/read_coalescing.h): the rule, and a
// real child whose 41 messages per tuple arrive in a few reads rather than one read each.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <cstdio>
#include <string>

#include "multilang/read_coalescing.h"
#include "multilang_support.h"
#include "runtime/local_cluster_impl.h"

using namespace squall;
using namespace squall::multilang_test;
using squall::internal::ReadHoldInputs;
using squall::internal::readHoldNs;

namespace {

constexpr int64_t kWindow = 200'000;

// A child streaming words: reads 50 µs apart, 40 tuples in flight, no ack in this read.
ReadHoldInputs streaming() {
  ReadHoldInputs in;
  in.windowNs = kWindow;
  in.sinceLastReadNs = 50'000;
  in.sinceLastReplyNs = INT64_MAX / 2;
  in.bytesRead = 600;
  in.inFlight = 40;
  in.acksRead = 0;
  return in;
}

TEST(ReadCoalescing, AStreamingChildIsReadOncePerWindow) {
  EXPECT_EQ(readHoldNs(streaming()), kWindow);
}

TEST(ReadCoalescing, ZeroReadsEveryMessageAsItLands) {
  auto in = streaming();
  in.windowNs = 0;
  EXPECT_EQ(readHoldNs(in), 0);
}

TEST(ReadCoalescing, AChildWaitingForTaskIdsIsReadAtOnce) {
  // storm.py waits for the task ids of each emit: holding its next emit would stall it.
  auto in = streaming();
  in.sinceLastReplyNs = 5'000'000;
  EXPECT_EQ(readHoldNs(in), 0);
  in.sinceLastReplyNs = internal::kReplyQuietNs;
  EXPECT_EQ(readHoldNs(in), kWindow);
}

TEST(ReadCoalescing, SparseOutputIsReadAtOnce) {
  // The first read after a quiet spell adds no latency: a read per tuple at a few thousand
  // tuples a second is never held.
  auto in = streaming();
  in.sinceLastReadNs = 2 * kWindow + 1;
  EXPECT_EQ(readHoldNs(in), 0);
  in.sinceLastReadNs = 2 * kWindow;
  EXPECT_EQ(readHoldNs(in), kWindow);
}

TEST(ReadCoalescing, AChildWithNothingInFlightIsReadAtOnce) {
  auto in = streaming();
  in.inFlight = 0;
  EXPECT_EQ(readHoldNs(in), 0);
}

TEST(ReadCoalescing, ALargeReadIsFollowedAtOnce) {
  auto in = streaming();
  in.bytesRead = internal::kHoldBelowBytes;
  EXPECT_EQ(readHoldNs(in), 0);
  in.bytesRead = internal::kHoldBelowBytes - 1;
  EXPECT_EQ(readHoldNs(in), kWindow);
}

TEST(ReadCoalescing, TheHoldEndsBeforeTheChildRunsDry) {
  // 10 acks in 100 µs with 4 tuples left: the child finishes those in 40 µs; hold half that.
  auto in = streaming();
  in.sinceLastReadNs = 100'000;
  in.acksRead = 10;
  in.inFlight = 4;
  EXPECT_EQ(readHoldNs(in), 20'000);
  // A slow child (1 ack in 100 µs, 40 left) would take 4 ms: the window caps the hold.
  in.acksRead = 1;
  in.inFlight = 40;
  EXPECT_EQ(readHoldNs(in), kWindow);
}

struct ReadsAndMessages {
  uint64_t reads = 0;
  uint64_t messages = 0;
};

ReadsAndMessages runStreamingChild(const std::string& label, int64_t coalesceMicros) {
  const int64_t n = 200;
  TopologyBuilder b;
  b.setSpout("src", ReliableSpout(label, n));
  b.setBolt("stream",
            ShellBolt({kPython, childScript("stream_bolt.py")}, Fields{"word"}).setEnv(pythonEnv()))
      .shuffleGrouping("src")
      .addConfiguration("squall.multilang.read.coalesce.micros", coalesceMicros);
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("stream");
  LocalCluster cluster;
  cluster.submitTopology(label, baseConfig(), b.createTopology());
  EXPECT_TRUE(waitFor([&] { return ackedCount(label) == static_cast<size_t>(n); }))
      << ackedCount(label) << " acked; errors:\n"
      << allErrors(cluster, label);
  EXPECT_EQ(sinkSeen().get(label).size(), static_cast<size_t>(n * 40));
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  ReadsAndMessages out;
  if (auto* t = cluster.impl().find(label)) {
    for (const auto& c : t->plan().children.snapshot()) {
      out.reads += c.reads;
      out.messages += c.messages;
    }
  }
  cluster.killTopologyWithOpts(label, KillOptions{0});
  return out;
}

TEST(ReadCoalescing, AStreamingChildsMessagesArriveInFewReads) {
  // 200 tuples of 40 emits and an ack, each message its own write(2) after 100 µs of work.
  // Read as each lands, that is about a read per message; a window of 2 ms takes about 20.
  auto seen = runStreamingChild("coalesce-on", 2000);
  ASSERT_GT(seen.reads, 0u);
  // The handshake's reply and the heartbeats' syncs are messages too.
  EXPECT_GE(seen.messages, 200u * 41);
  EXPECT_GE(seen.messages, 5 * seen.reads)
      << seen.messages << " messages in " << seen.reads << " reads";
  std::printf("with a 2 ms window: %llu messages in %llu reads\n",
              static_cast<unsigned long long>(seen.messages),
              static_cast<unsigned long long>(seen.reads));
}

TEST(ReadCoalescing, WithoutAWindowEveryTupleStillArrives) {
  auto seen = runStreamingChild("coalesce-off", 0);
  EXPECT_GE(seen.messages, 200u * 41);
  std::printf("without a window: %llu messages in %llu reads\n",
              static_cast<unsigned long long>(seen.messages),
              static_cast<unsigned long long>(seen.reads));
}

}  // namespace
