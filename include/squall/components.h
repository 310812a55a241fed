#pragma once
// The component interfaces a topology author implements, with Storm's names and lifecycles.
// Threading: every call on a component instance happens on its executor's thread.

#include <string>

#include "squall/collectors.h"
#include "squall/config.h"
#include "squall/output_fields_declarer.h"
#include "squall/tuple.h"
#include "squall/value.h"

namespace squall {

class TopologyContext;

class IComponent {
 public:
  virtual ~IComponent() = default;
  virtual void declareOutputFields(OutputFieldsDeclarer& declarer) = 0;
  // Merged over the topology's configuration for this component (whitelisted keys only).
  virtual Map getComponentConfiguration() { return {}; }
};

class ISpout {
 public:
  virtual ~ISpout() = default;
  virtual void open(const Config& conf, TopologyContext& context,
                    SpoutOutputCollector& collector) = 0;
  virtual void close() = 0;
  virtual void activate() = 0;
  virtual void deactivate() = 0;
  // Must not block: return when there is nothing to emit.
  virtual void nextTuple() = 0;
  virtual void ack(const Value& messageId) = 0;
  virtual void fail(const Value& messageId) = 0;
};

class IBolt {
 public:
  virtual ~IBolt() = default;
  virtual void prepare(const Config& conf, TopologyContext& context,
                       OutputCollector& collector) = 0;
  virtual void execute(const Tuple& input) = 0;
  virtual void cleanup() = 0;
};

class IRichSpout : public ISpout, public IComponent {};
class IRichBolt : public IBolt, public IComponent {};

// Emits are anchored to the input and the input is acked when execute() returns; throw
// FailedException to fail it instead.
class IBasicBolt : public IComponent {
 public:
  virtual void prepare(const Config& conf, TopologyContext& context) = 0;
  virtual void execute(const Tuple& input, BasicOutputCollector& collector) = 0;
  virtual void cleanup() = 0;
};

class BaseRichSpout : public IRichSpout {
 public:
  void close() override {}
  void activate() override {}
  void deactivate() override {}
  void ack(const Value&) override {}
  void fail(const Value&) override {}
};

class BaseRichBolt : public IRichBolt {
 public:
  void cleanup() override {}
};

class BaseBasicBolt : public IBasicBolt {
 public:
  void prepare(const Config&, TopologyContext&) override {}
  void cleanup() override {}
};

// Routes tick tuples to onTickTuple() and everything else to process().
class BaseTickTupleAwareRichBolt : public BaseRichBolt {
 public:
  void execute(const Tuple& input) final {
    if (input.isTick()) {
      onTickTuple(input);
    } else {
      process(input);
    }
  }

 protected:
  virtual void onTickTuple(const Tuple&) {}
  virtual void process(const Tuple& input) = 0;
};

// A user-defined grouping (Storm's CustomStreamGrouping).
class CustomStreamGrouping {
 public:
  virtual ~CustomStreamGrouping() = default;
  // `targetTasks` is sorted ascending.
  virtual void prepare(TopologyContext& context, const std::string& sourceComponent,
                       const std::string& stream, const std::vector<int>& targetTasks) = 0;
  // Appends the chosen tasks to `out`; each must be one of the target tasks.
  virtual void chooseTasks(int sourceTaskId, const Values& values, std::vector<int>& out) = 0;
};

}  // namespace squall
