#pragma once
// ShellSpout: a spout whose logic runs in a child process speaking Storm's multilang protocol.
//
//   builder.setSpout("sentences", ShellSpout({"python3", "sentences.py"}, Fields{"sentence"}));
//
// The protocol is synchronous: nextTuple(), ack(), fail(), activate() and deactivate() each
// send one command and process the child's emits, logs and errors until it answers `sync`
// (task ids are written back for every emit that wants them). A child that breaks the
// protocol, exits, or takes longer than topology.subprocess.timeout.secs to sync is killed
// and the call throws; the executor then restarts the task with backoff (a new child).
// An ack or fail that Storm would send while the child is still inside `next` (acking
// disabled: a reliable emit is acked at once) is deferred until that exchange has ended,
// instead of deadlocking as Storm does. While the child is silent inside a command, what it
// emitted is published after topology.batch.flush.interval.millis, and a kill of the topology
// stops the child instead of waiting for its sync. Copying a ShellSpout copies its definition
// only.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "squall/components.h"
#include "squall/fields.h"
#include "squall/shell_component.h"

namespace squall {

namespace internal {
class ShellSpoutCore;
}

class ShellSpout : public IRichSpout {
 public:
  ShellSpout(std::vector<std::string> command, Fields outputFields);
  ShellSpout(std::vector<std::string> command, std::map<std::string, Fields> streams);
  explicit ShellSpout(ShellCommand spec);
  ShellSpout(const ShellSpout& other);
  ShellSpout& operator=(const ShellSpout&) = delete;
  ~ShellSpout() override;

  ShellSpout& setCwd(std::string dir);
  ShellSpout& setEnv(std::map<std::string, std::string> env);
  ShellSpout& declareStream(const std::string& streamId, Fields fields, bool direct = false);
  ShellSpout& setComponentConfiguration(Map conf);
  const ShellCommand& spec() const { return spec_; }

  void open(const Config& conf, TopologyContext& context,
            SpoutOutputCollector& collector) override;
  void close() override;
  void activate() override;
  void deactivate() override;
  void nextTuple() override;
  void ack(const Value& messageId) override;
  void fail(const Value& messageId) override;
  void declareOutputFields(OutputFieldsDeclarer& declarer) override;
  Map getComponentConfiguration() override { return componentConf_; }

  int childPid() const;

 private:
  ShellCommand spec_;
  Map componentConf_;
  std::unique_ptr<internal::ShellSpoutCore> core_;
};

}  // namespace squall
