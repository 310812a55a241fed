#pragma once
// A development Kafka cluster with no broker installed: librdkafka's mock cluster (brokers
// that speak the Kafka protocol on loopback ports, inside this process). `squall dev-kafka`
// and the `squall-dev-kafka` executable run it until stopped; tests and benchmarks embed a
// DevKafkaCluster directly and inject faults through it.
//
// The mock implements produce, fetch, offsets, metadata, consumer groups and offset commits.
// It cannot create control records or offset gaps, grow a topic's partition count, or serve
// the admin CreateTopics call (create topics here, or let a producer auto-create them with 4
// partitions). librdkafka marks the mock API experimental; it is for development only.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace squall {

struct DevKafkaTopic {
  std::string name;
  int partitions = 1;
  int replicationFactor = 1;
};

// "name", "name:partitions" or "name:partitions:replication". IllegalArgumentException when
// malformed.
DevKafkaTopic parseDevKafkaTopic(const std::string& spec);

// In-process mock cluster. Thread-safe (the mock runs on its own threads).
class DevKafkaCluster {
 public:
  explicit DevKafkaCluster(int brokers = 1);
  ~DevKafkaCluster();
  DevKafkaCluster(const DevKafkaCluster&) = delete;
  DevKafkaCluster& operator=(const DevKafkaCluster&) = delete;

  // "127.0.0.1:port,..." — what clients use as bootstrap.servers.
  const std::string& bootstrapServers() const { return bootstraps_; }
  int brokers() const { return brokers_; }

  // Throws KafkaException when the mock refuses (e.g. the topic exists).
  void createTopic(const std::string& name, int partitions, int replicationFactor = 1);
  // Broker ids are 1..brokers(); -1 means every broker. Down = connections closed and new
  // ones refused; partitions keep their leaders.
  void setBrokerDown(int brokerId);
  void setBrokerUp(int brokerId);
  void setBrokerRtt(int brokerId, int rttMs);
  void setPartitionLeader(const std::string& topic, int partition, int brokerId);
  // The next `errors.size()` requests of Kafka API `apiKey` (0 Produce, 1 Fetch, 8
  // OffsetCommit, 9 OffsetFetch, ...) fail with these error codes.
  void pushRequestErrors(int apiKey, const std::vector<int>& errors);
  void clearRequestErrors(int apiKey);

  // Listens on 127.0.0.1:`port` (0 = any free port) and forwards every connection to broker
  // 1, so clients can bootstrap from a fixed address; returns the port. The mock picks its
  // own broker ports, which clients learn from metadata after bootstrapping.
  int listenOnFixedPort(int port);

  // "0=<committed>/<end> 1=..." for each partition of `topic` ("none" when nothing is
  // committed): how far consumer group `group` got.
  std::string offsets(const std::string& group, const std::string& topic);

  // Applies one text command, as read by `squall dev-kafka --control FIFO`:
  //   down <id|-1> | up <id|-1> | rtt <id> <ms> | topic <name> <partitions> [replication]
  //   | leader <topic> <partition> <id> | err <apiKey> <code>... | clear <apiKey>
  //   | offsets <group> <topic>
  // Returns "ok", "ok <result>" or "error: ...".
  std::string command(const std::string& line);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::string bootstraps_;
  int brokers_;
};

struct DevKafkaOptions {
  int brokers = 1;
  std::vector<DevKafkaTopic> topics;
  // Also accept bootstrap connections on this port (0 = no fixed port).
  int port = 0;
  // Write the bootstrap servers (one line) to this file once the cluster is up; removed at
  // exit.
  std::string bootstrapFile;
  // A FIFO to read commands from (see DevKafkaCluster::command); created if missing.
  std::string controlFifo;
  // Stop after this long; zero = run until SIGINT or SIGTERM.
  std::chrono::milliseconds duration{0};
  bool quiet = false;  // print only the bootstrap servers line
};

// Starts the cluster, creates the topics, prints "bootstrap.servers=<list>" and runs until
// stopped. Returns a process exit code (0 after a clean stop). Installs SIGINT/SIGTERM
// handlers for its duration.
int runDevKafka(const DevKafkaOptions& options);
int runDevKafka(const DevKafkaOptions& options, std::ostream& out, std::ostream& err);

// Command-line front end shared by `squall-dev-kafka` and `squall dev-kafka`:
//   [--brokers N] [--topic NAME[:PARTITIONS[:RF]]]... [--port P] [--bootstrap-file F]
//   [--control FIFO] [--duration SECS] [--quiet] [--help]
// `argv` excludes the program / subcommand name.
int devKafkaMain(const std::vector<std::string>& args);
std::string devKafkaUsage();

}  // namespace squall
