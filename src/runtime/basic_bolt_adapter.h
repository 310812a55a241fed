#pragma once
// BasicBoltAdapter: runs an IBasicBolt as a rich bolt (Storm's BasicBoltExecutor): emits are
// anchored to the input, the input is acked when execute() returns, FailedException fails it
// (ReportedFailedException also reports it); any other exception propagates to the executor.

#include <memory>

#include "squall/components.h"
#include "squall/errors.h"

namespace squall::internal {

class BasicBoltAdapter : public IRichBolt {
 public:
  explicit BasicBoltAdapter(std::unique_ptr<IBasicBolt> bolt) : bolt_(std::move(bolt)) {}

  void prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    bolt_->prepare(conf, context);
  }
  void execute(const Tuple& input) override {
    BasicOutputCollector basic(*collector_, input);
    try {
      bolt_->execute(input, basic);
      collector_->ack(input);
    } catch (const ReportedFailedException& e) {
      collector_->reportError(e.what());
      collector_->fail(input);
    } catch (const FailedException&) {
      collector_->fail(input);
    }
  }
  void cleanup() override { bolt_->cleanup(); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { bolt_->declareOutputFields(d); }
  Map getComponentConfiguration() override { return bolt_->getComponentConfiguration(); }

 private:
  std::unique_ptr<IBasicBolt> bolt_;
  OutputCollector* collector_ = nullptr;
};

}  // namespace squall::internal
