#pragma once
// AckerBolt: Storm's acker. Tracks each tuple tree by root id as the XOR of every edge id it
// has been told about; the value returns to 0 exactly when every tuple of the tree has been
// acked (each edge is XORed once when created and once when acked). Then, or on the first
// fail, it tells the spout task directly. Entries live in a 3-bucket rotating map turned by
// the tick every topology.message.timeout.secs; dropped entries are timed out by the spout.
// Runs on a bolt executor thread like any bolt.

#include <cstdint>

#include "acker/rotating_map.h"
#include "squall/components.h"

namespace squall::internal {

class AckerBolt : public BaseRichBolt {
 public:
  void prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) override;
  void execute(const Tuple& input) override;
  void declareOutputFields(OutputFieldsDeclarer&) override {}

  size_t pendingTrees() const { return pending_.size(); }

 private:
  struct Tree {
    uint64_t val = 0;
    int64_t startNs = 0;
    int spoutTask = -1;
    bool failed = false;
  };

  OutputCollector* collector_ = nullptr;
  RotatingMap<uint64_t, Tree> pending_{3};
};

}  // namespace squall::internal
