// The acker's algorithm on its own (storm.md 3.2), record by record, and the rotating map
// behind both timeouts (3.3): deterministic, no threads.

#include <gtest/gtest.h>

#include <optional>

#include "acker/acker_core.h"
#include "acker/rotating_map.h"

using namespace squall::internal;

namespace {

constexpr uint64_t kRoot = 0x1234'5678'9abc'def0ULL;
constexpr int kSpoutTask = 7;
constexpr int64_t kStartNs = 1'000'000'000;

AckRecord rec(AckKind kind, uint64_t value = 0, int task = 0, uint64_t root = kRoot) {
  AckRecord r;
  r.root = root;
  r.value = value;
  r.task = task;
  r.kind = kind;
  return r;
}

AckRecord init(uint64_t xorOfEdges) {
  return rec(AckKind::Init, xorOfEdges, kSpoutTask);
}
AckRecord ack(uint64_t v) {
  return rec(AckKind::Ack, v);
}

void expectReply(const std::optional<AckRecord>& r, AckKind kind) {
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, kind);
  EXPECT_EQ(r->root, kRoot);
  EXPECT_EQ(r->destTask, kSpoutTask);
}

// Spout -> A (edge a); A emits B (edge b) anchored, acks; B acks. Each edge is XORed in twice.
TEST(AckerCore, CompletesWhenEveryEdgeIsAcked) {
  const uint64_t a = 0x1111, b = 0x2222;
  AckerCore core;
  EXPECT_FALSE(core.onRecord(init(a), kStartNs));
  EXPECT_FALSE(core.onRecord(ack(a ^ b), kStartNs + 1'000'000));  // A acked, B still open
  auto done = core.onRecord(ack(b), kStartNs + 5'000'000);
  expectReply(done, AckKind::TreeAcked);
  EXPECT_EQ(done->value, 5u) << "ms since the acker first saw the root";
  EXPECT_EQ(core.pendingTrees(), 0u);
}

// Acks from bolts may overtake the spout's init; nothing is answered until the init says
// which spout task to answer.
TEST(AckerCore, AckBeforeInitIsKept) {
  const uint64_t a = 0x1111;
  AckerCore core;
  EXPECT_FALSE(core.onRecord(ack(a), kStartNs));
  EXPECT_EQ(core.pendingTrees(), 1u);
  expectReply(core.onRecord(init(a), kStartNs), AckKind::TreeAcked);
}

// No destinations: the init's XOR is 0 and the tree is complete at once.
TEST(AckerCore, EmptyTreeCompletesOnInit) {
  AckerCore core;
  expectReply(core.onRecord(init(0), kStartNs), AckKind::TreeAcked);
}

// A fail ends the tree once; later records for the root start a new entry that has no spout
// task and so never answers.
TEST(AckerCore, FailAnswersOnceAndLateAcksAreOrphans) {
  const uint64_t a = 0x1111;
  AckerCore core;
  EXPECT_FALSE(core.onRecord(init(a), kStartNs));
  expectReply(core.onRecord(rec(AckKind::Fail), kStartNs), AckKind::TreeFailed);
  EXPECT_FALSE(core.onRecord(ack(a), kStartNs));
  EXPECT_FALSE(core.onRecord(rec(AckKind::Fail), kStartNs));
}

// A fail that overtakes the init is remembered.
TEST(AckerCore, FailBeforeInitIsKept) {
  AckerCore core;
  EXPECT_FALSE(core.onRecord(rec(AckKind::Fail), kStartNs));
  expectReply(core.onRecord(init(0x1111), kStartNs), AckKind::TreeFailed);
}

// Entries fall off after three rotations; a reset moves the entry to the newest bucket and is
// answered so the spout resets its own timeout too.
TEST(AckerCore, RotationDropsAndResetKeeps) {
  const uint64_t a = 0x1111;
  AckerCore dropped;
  EXPECT_FALSE(dropped.onRecord(init(a), kStartNs));
  dropped.rotate();
  dropped.rotate();
  EXPECT_EQ(dropped.pendingTrees(), 1u);
  dropped.rotate();
  EXPECT_EQ(dropped.pendingTrees(), 0u);
  EXPECT_FALSE(dropped.onRecord(ack(a), kStartNs)) << "the spout times it out on its own";

  AckerCore kept;
  EXPECT_FALSE(kept.onRecord(init(a), kStartNs));
  kept.rotate();
  kept.rotate();
  expectReply(kept.onRecord(rec(AckKind::ResetTimeout), kStartNs), AckKind::TreeReset);
  kept.rotate();
  kept.rotate();
  EXPECT_EQ(kept.pendingTrees(), 1u);
  expectReply(kept.onRecord(ack(a), kStartNs), AckKind::TreeAcked);
}

// Trees are independent, whatever order their records interleave in.
TEST(AckerCore, TreesAreKeptApartByRoot) {
  const uint64_t other = kRoot + 1;
  AckerCore core;
  EXPECT_FALSE(core.onRecord(init(0x10), kStartNs));
  EXPECT_FALSE(core.onRecord(rec(AckKind::Init, 0x20, kSpoutTask, other), kStartNs));
  EXPECT_FALSE(core.onRecord(rec(AckKind::Ack, 0x10, 0, other), kStartNs));
  EXPECT_EQ(core.pendingTrees(), 2u);
  expectReply(core.onRecord(ack(0x10), kStartNs), AckKind::TreeAcked);
  auto r = core.onRecord(rec(AckKind::Ack, 0x10 ^ 0x20, 0, other), kStartNs);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->root, other);
  EXPECT_EQ(r->kind, AckKind::TreeAcked);
}

// The spout's map has two buckets rotated every timeout T: an entry put just before a
// rotation expires on the next one (after just over T), one put just after survives one
// rotation and expires on the second (just under 2T). touch() restarts the count.
TEST(RotatingMap, TwoBucketsExpireOnTheSecondRotation) {
  RotatingMap<int> m(2);
  m.put(1, 10);
  EXPECT_EQ(m.rotate().size(), 0u);
  m.put(2, 20);
  auto expired = m.rotate();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_NE(expired.find(1), nullptr);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_TRUE(m.touch(2));
  EXPECT_EQ(m.rotate().size(), 0u) << "touched: back in the newest bucket";
  EXPECT_EQ(m.rotate().size(), 1u);
  EXPECT_FALSE(m.touch(2));
  EXPECT_EQ(m.size(), 0u);
}

TEST(RotatingMap, RemoveReturnsTheValueFromAnyBucket) {
  RotatingMap<int> m(3);
  m.put(5, 50);
  m.rotate();
  m.put(6, 60);
  int v = 0;
  EXPECT_TRUE(m.remove(5, &v));
  EXPECT_EQ(v, 50);
  EXPECT_FALSE(m.remove(5));
  EXPECT_EQ(*m.find(6), 60);
}

}  // namespace
