#pragma once
// ShellBolt: a bolt whose logic runs in a child process speaking Storm's multilang protocol
// (JSON or msgpack over stdin/stdout), e.g. a Python bolt written with the `squall` package,
// pystorm/streamparse or Storm's storm.py.
//
//   builder.setBolt("split", ShellBolt({"python3", "split.py"}, Fields{"word"}), 2)
//       .shuffleGrouping("sentences");
//
// Each task starts its own child in prepare() and stops it in cleanup(). The protocol is
// asynchronous: execute() writes the tuple and returns; the child's emits, acks and fails
// arrive on a reader thread that calls the OutputCollector. At most
// topology.shellbolt.max.pending tuples are in flight to the child (written, not yet acked
// or failed); execute() blocks while the window is full, which back-pressures the topology.
// A child that breaks the protocol, exits or goes silent for topology.subprocess.timeout.secs
// is killed and restarted with backoff; its in-flight tuples are failed so spouts replay them,
// and the error names the component, task, pid, message and the child's last stderr lines.
// Copying a ShellBolt copies its definition, never a running child.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "squall/components.h"
#include "squall/fields.h"
#include "squall/shell_component.h"

namespace squall {

namespace internal {
class ShellBoltCore;
}

class ShellBolt : public IRichBolt {
 public:
  // Declares the default stream with `outputFields`.
  ShellBolt(std::vector<std::string> command, Fields outputFields);
  // Declares each named stream with its fields.
  ShellBolt(std::vector<std::string> command, std::map<std::string, Fields> streams);
  explicit ShellBolt(ShellCommand spec);
  ShellBolt(const ShellBolt& other);
  ShellBolt& operator=(const ShellBolt&) = delete;
  ~ShellBolt() override;

  ShellBolt& setCwd(std::string dir);
  ShellBolt& setEnv(std::map<std::string, std::string> env);
  // Adds (or replaces) an output stream.
  ShellBolt& declareStream(const std::string& streamId, Fields fields, bool direct = false);
  // Returned by getComponentConfiguration() (e.g. topology.tick.tuple.freq.secs).
  ShellBolt& setComponentConfiguration(Map conf);
  const ShellCommand& spec() const { return spec_; }

  void prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) override;
  void execute(const Tuple& input) override;
  void cleanup() override;
  void declareOutputFields(OutputFieldsDeclarer& declarer) override;
  Map getComponentConfiguration() override { return componentConf_; }

  // Pid of the running child as the OS knows it, 0 when none (for tools and tests).
  int childPid() const;

 private:
  ShellCommand spec_;
  Map componentConf_;
  std::unique_ptr<internal::ShellBoltCore> core_;
};

}  // namespace squall
