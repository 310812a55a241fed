// squall::StormSubmitter against a nimbus served in process: the jar (the running program)
// is uploaded and stored by content, the topology arrives as Storm's StormTopology, a second
// submission is AlreadyAlive, and a component no other process can rebuild is refused.

#include "squall/storm_submitter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "flux/builtins.h"
#include "free_port.h"
#include "nimbus/nimbus_core.h"
#include "squall/components.h"
#include "squall/topology_builder.h"
#include "thrift/nimbus_client.h"
#include "thrift/nimbus_server.h"

namespace fs = std::filesystem;
using namespace squall;

namespace {

using squall::testing::freePort;

struct Nimbus {
  fs::path dir;
  std::shared_ptr<nimbus::NimbusCore> core;
  std::unique_ptr<thrift::NimbusServer> server;

  Nimbus() {
    char tmpl[] = "/tmp/squall-submitter-test-XXXXXX";
    dir = mkdtemp(tmpl);
    // StormSubmitter reads ~/.storm/storm.yaml: none here.
    setenv("HOME", dir.c_str(), 1);
    // getLeader names the core's port, so the core must know the server's before it serves.
    nimbus::NimbusCoreOptions options;
    options.localDir = (dir / "local").string();
    options.port = freePort();
    core = std::make_shared<nimbus::NimbusCore>(options);
    thrift::NimbusServerOptions so;
    so.port = options.port;
    server = std::make_unique<thrift::NimbusServer>(core, so);
    server->start();
  }
  ~Nimbus() {
    server->stop();
    fs::remove_all(dir);
  }
  Config conf() const {
    Config c;
    c.set("nimbus.seeds", Value(List{Value("127.0.0.1")}));
    c.set("nimbus.thrift.port", Value(int64_t{server->port()}));
    return c;
  }
};

StormTopology wordCount() {
  flux::registerFluxBuiltins();
  TopologyBuilder builder;
  builder.setSpout("words", ComponentSpec("org.apache.storm.testing.TestWordSpout"), 2);
  builder.setBolt("count", ComponentSpec("org.apache.storm.testing.TestWordCounter"), 3)
      .fieldsGrouping("words", Fields({"word"}));
  return builder.createTopology();
}

TEST(StormSubmitter, SubmitsTheDefinitionConfAndJar) {
  Nimbus nimbus;
  Config conf = nimbus.conf();
  conf.set("topology.workers", Value(int64_t{2}));
  std::string id = StormSubmitter::submitTopology("wc", conf, wordCount());
  EXPECT_EQ(id.rfind("wc-", 0), 0u) << id;

  thrift::NimbusConnection conn("127.0.0.1", nimbus.server->port());
  storm::StormTopology got;
  conn.client().getUserTopology(got, id);
  ASSERT_EQ(got.spouts.count("words"), 1u);
  EXPECT_EQ(got.spouts["words"].spout_object.java_object.full_class_name,
            "org.apache.storm.testing.TestWordSpout");
  EXPECT_EQ(got.spouts["words"].common.parallelism_hint, 2);
  EXPECT_EQ(got.spouts["words"].common.streams.at("default").output_fields,
            std::vector<std::string>{"word"});
  ASSERT_EQ(got.bolts.count("count"), 1u);
  EXPECT_EQ(got.bolts["count"].common.inputs.begin()->second.fields,
            std::vector<std::string>{"word"});
  std::string topoConf;
  conn.client().getTopologyConf(topoConf, id);
  EXPECT_NE(topoConf.find("\"topology.workers\":2"), std::string::npos) << topoConf;
  // The jar was uploaded and stored by its content.
  size_t stored = 0;
  for (const auto& e : fs::recursive_directory_iterator(nimbus.dir / "local")) {
    stored += e.is_regular_file() && e.path().parent_path().filename() == "artifacts";
  }
  EXPECT_EQ(stored, 1u);

  EXPECT_THROW(StormSubmitter::submitTopology("wc", conf, wordCount()), AlreadyAliveException);
}

class Echo : public BaseBasicBolt {
 public:
  void execute(const Tuple& t, BasicOutputCollector& out) override { out.emit(t.getValues()); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields({"word"})); }
};

TEST(StormSubmitter, RefusesComponentsHandedOverAsObjects) {
  Nimbus nimbus;
  flux::registerFluxBuiltins();
  TopologyBuilder builder;
  builder.setSpout("words", ComponentSpec("org.apache.storm.testing.TestWordSpout"));
  builder.setBolt("echo", Echo()).shuffleGrouping("words");
  try {
    StormSubmitter::submitTopology("objects", nimbus.conf(), builder.createTopology());
    FAIL() << "submitted a component no worker can rebuild";
  } catch (const InvalidTopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("'echo'"), std::string::npos) << e.what();
  }
}

TEST(StormSubmitter, SaysWhenNoNimbusAnswers) {
  Config conf;
  conf.set("nimbus.seeds", Value(List{Value("127.0.0.1")}));
  conf.set("nimbus.thrift.port", Value(int64_t{1}));
  EXPECT_THROW(StormSubmitter::submitTopology("wc", conf, wordCount()), SquallError);
}

}  // namespace
