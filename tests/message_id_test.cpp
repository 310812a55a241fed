// MessageId: one inline anchor, spilling to the heap for more (multi-anchoring); the entries
// stay contiguous and in insertion order, and XOR folds into an existing root's entry.

#include <gtest/gtest.h>
#include <squall/message_id.h>

#include <vector>

using squall::MessageId;

namespace {

std::vector<MessageId::Entry> entries(const MessageId& m) {
  return {m.anchors().begin(), m.anchors().end()};
}

TEST(MessageId, OneAnchorFoldsEdgesIntoItsRoot) {
  MessageId m;
  EXPECT_TRUE(m.empty());
  m.xorInto(7, 0b1100);
  m.xorInto(7, 0b1010);
  EXPECT_EQ(entries(m), (std::vector<MessageId::Entry>{{7, 0b0110}}));
}

TEST(MessageId, ManyAnchorsSpillInOrderAndStillFold) {
  MessageId m;
  for (uint64_t root = 1; root <= 5; ++root) m.xorInto(root, root * 10);
  m.xorInto(1, 10);  // the inline entry, after it spilled
  m.xorInto(4, 1);
  EXPECT_EQ(entries(m),
            (std::vector<MessageId::Entry>{{1, 0}, {2, 20}, {3, 30}, {4, 41}, {5, 50}}));
}

TEST(MessageId, ClearedIdIsReusedFromTheInlineEntry) {
  MessageId m;
  m.xorInto(1, 1);
  m.xorInto(2, 2);
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(m.anchors().empty());
  m.xorInto(9, 3);
  EXPECT_EQ(entries(m), (std::vector<MessageId::Entry>{{9, 3}}));
  m.xorInto(8, 4);
  EXPECT_EQ(entries(m), (std::vector<MessageId::Entry>{{9, 3}, {8, 4}}));
}

TEST(MessageId, CopiesAreEqualAndIndependent) {
  MessageId a;
  a.xorInto(1, 5);
  a.xorInto(2, 6);
  MessageId b = a;
  EXPECT_EQ(a, b);
  b.xorInto(2, 6);
  EXPECT_NE(a, b);
  EXPECT_EQ(entries(a), (std::vector<MessageId::Entry>{{1, 5}, {2, 6}}));
  MessageId one;
  one.xorInto(3, 3);
  b = one;
  EXPECT_EQ(entries(b), (std::vector<MessageId::Entry>{{3, 3}}));
}

}  // namespace
