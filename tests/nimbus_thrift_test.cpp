// Storm's Nimbus Thrift service: the IDL's wire format (bytes written here by hand, field by
// field, as Storm's Java and Python clients write them), the StormTopology -> TopologyDef
// translation, the in-process nimbus core, and the server over a real socket.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "nimbus/json_conf.h"
#include "nimbus/nimbus_core.h"
#include "nimbus/storm_config.h"
#include "nimbus/storm_topology_translation.h"
#include "squall/component_registry.h"
#include "thrift/nimbus_client.h"
#include "thrift/nimbus_server.h"

namespace fs = std::filesystem;
using namespace squall;

namespace {

// Thrift's binary protocol, written by hand (big-endian; a field is type byte + i16 id).
struct Bin {
  enum : uint8_t {
    STOP = 0,
    BOOL = 2,
    I32 = 8,
    I64 = 10,
    STRING = 11,
    STRUCT = 12,
    MAP = 13,
    LIST = 15
  };
  std::string b;
  Bin& u8(uint8_t v) {
    b.push_back(static_cast<char>(v));
    return *this;
  }
  Bin& i16(int16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Bin& i32(int32_t v) {
    for (int s = 24; s >= 0; s -= 8) u8(static_cast<uint8_t>(v >> s));
    return *this;
  }
  Bin& str(const std::string& s) {
    i32(static_cast<int32_t>(s.size()));
    b += s;
    return *this;
  }
  Bin& field(uint8_t type, int16_t id) { return u8(type).i16(id); }
  Bin& stop() { return u8(STOP); }
  Bin& map(uint8_t k, uint8_t v, int32_t n) { return u8(k).u8(v).i32(n); }
  Bin& list(uint8_t e, int32_t n) { return u8(e).i32(n); }
};

// ComponentCommon with the given inputs already written by `inputs` (count n), one stream.
void common(Bin& w, int nInputs, const std::function<void(Bin&)>& inputs, const std::string& stream,
            const std::vector<std::string>& fields, int parallelism, const std::string& jsonConf) {
  w.field(Bin::MAP, 1).map(Bin::STRUCT, Bin::STRUCT, nInputs);
  inputs(w);
  w.field(Bin::MAP, 2).map(Bin::STRING, Bin::STRUCT, 1).str(stream);
  w.field(Bin::LIST, 1).list(Bin::STRING, static_cast<int32_t>(fields.size()));
  for (const auto& f : fields) w.str(f);
  w.field(Bin::BOOL, 2).u8(0).stop();  // StreamInfo
  w.field(Bin::I32, 3).i32(parallelism);
  w.field(Bin::STRING, 4).str(jsonConf);
  w.stop();
}

// A topology as streamparse / Storm's Python client sends it: a shell spout `sentences`
// (python3 spout.py) declaring ["sentence"], and a bolt `count` of Java class
// org.apache.storm.testing.TestWordCounter, fields-grouped on "word" over sentences:default,
// with a JavaObjectArg and a component json_conf.
std::string wireTopology() {
  Bin w;
  w.field(Bin::MAP, 1).map(Bin::STRING, Bin::STRUCT, 1).str("sentences");
  // SpoutSpec{1: ComponentObject{2: ShellComponent}, 2: ComponentCommon}
  w.field(Bin::STRUCT, 1).field(Bin::STRUCT, 2);
  w.field(Bin::STRING, 1).str("python3").field(Bin::STRING, 2).str("spout.py").stop();
  w.stop();  // ComponentObject
  w.field(Bin::STRUCT, 2);
  common(
      w, 0, [](Bin&) {}, "default", {"sentence"}, 2, "{}");
  w.stop();  // SpoutSpec
  w.field(Bin::MAP, 2).map(Bin::STRING, Bin::STRUCT, 1).str("count");
  w.field(Bin::STRUCT, 1).field(Bin::STRUCT, 3);  // Bolt{1: ComponentObject{3: JavaObject}}
  w.field(Bin::STRING, 1).str("org.apache.storm.testing.TestWordCounter");
  w.field(Bin::LIST, 2).list(Bin::STRUCT, 0).stop();  // JavaObject
  w.stop();                                           // ComponentObject
  w.field(Bin::STRUCT, 2);
  common(
      w, 1,
      [](Bin& in) {
        in.field(Bin::STRING, 1).str("sentences").field(Bin::STRING, 2).str("default").stop();
        in.field(Bin::LIST, 1).list(Bin::STRING, 1).str("sentence").stop();  // Grouping.fields
      },
      "default", {"word", "count"}, 3, R"({"topology.tasks": 6, "topology.debug": true})");
  w.stop();                                               // Bolt
  w.field(Bin::MAP, 3).map(Bin::STRING, Bin::STRUCT, 0);  // state_spouts
  w.stop();
  return w.b;
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/squall-nimbus-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

template <class F>
bool eventually(F f, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

storm::StormTopology shellTopology() {
  storm::StormTopology t = nimbus::deserializeTopology(wireTopology());
  // The bolt too as a shell component, so the core needs no registered class.
  auto& bolt = t.bolts.at("count").bolt_object;
  bolt = storm::ComponentObject();
  storm::ShellComponent shell;
  shell.__set_execution_command("python3");
  shell.__set_script("count.py");
  bolt.__set_shell(shell);
  return t;
}

}  // namespace

TEST(NimbusThrift, HandWrittenWireBytesDecodeAsStormWroteThem) {
  storm::StormTopology t = nimbus::deserializeTopology(wireTopology());
  ASSERT_EQ(t.spouts.size(), 1u);
  const auto& spout = t.spouts.at("sentences");
  ASSERT_TRUE(spout.spout_object.__isset.shell);
  EXPECT_EQ(spout.spout_object.shell.execution_command, "python3");
  EXPECT_EQ(spout.spout_object.shell.script, "spout.py");
  EXPECT_EQ(spout.common.parallelism_hint, 2);
  const auto& bolt = t.bolts.at("count");
  ASSERT_TRUE(bolt.bolt_object.__isset.java_object);
  ASSERT_EQ(bolt.common.inputs.size(), 1u);
  const auto& [sid, grouping] = *bolt.common.inputs.begin();
  EXPECT_EQ(sid.componentId, "sentences");
  EXPECT_EQ(grouping.fields, std::vector<std::string>{"sentence"});
  // Written back, the bytes are the same: field ids, types and order match Storm's IDL.
  EXPECT_EQ(nimbus::serializeTopology(t), wireTopology());
}

TEST(NimbusThrift, RoundTripOfEveryGroupingAndArgument) {
  storm::StormTopology t;
  storm::SpoutSpec spout;
  storm::JavaObject jo;
  jo.full_class_name = "org.apache.storm.testing.TestWordSpout";
  storm::JavaObjectArg a1, a2, a3, a4, a5, a6;
  a1.__set_int_arg(7);
  a2.__set_long_arg(int64_t{1} << 40);
  a3.__set_string_arg("x");
  a4.__set_bool_arg(true);
  a5.__set_binary_arg(std::string("\0\1", 2));
  a6.__set_double_arg(0.5);
  jo.args_list = {a1, a2, a3, a4, a5, a6};
  spout.spout_object.__set_java_object(jo);
  spout.common.streams["default"].output_fields = {"word"};
  t.spouts["words"] = spout;
  int i = 0;
  for (auto set : std::vector<std::function<void(storm::Grouping&)>>{
           [](auto& g) { g.__set_fields({"word"}); }, [](auto& g) { g.__set_fields({}); },
           [](auto& g) { g.__set_shuffle({}); }, [](auto& g) { g.__set_all({}); },
           [](auto& g) { g.__set_none({}); }, [](auto& g) { g.__set_direct({}); },
           [](auto& g) { g.__set_local_or_shuffle({}); }}) {
    storm::Bolt bolt;
    storm::ShellComponent shell;
    shell.__set_execution_command("node");
    shell.__set_script("b.js");
    bolt.bolt_object.__set_shell(shell);
    storm::GlobalStreamId in;
    in.componentId = "words";
    in.streamId = "default";
    set(bolt.common.inputs[in]);
    t.bolts["b" + std::to_string(i++)] = bolt;
  }
  storm::StormTopology back = nimbus::deserializeTopology(nimbus::serializeTopology(t));
  EXPECT_EQ(back, t);

  TopologyDef def =
      nimbus::toTopologyDef(back, {.shellCwd = {}, .requireRegisteredClasses = false});
  const ComponentDef* words = def.find("words");
  ASSERT_NE(words, nullptr);
  EXPECT_EQ(words->args, (Values{Value(7), Value(int64_t{1} << 40), Value("x"), Value(true),
                                 Value(Bytes{std::string("\0\1", 2)}), Value(0.5)}));
  std::vector<GroupingType> expected = {
      GroupingType::Fields, GroupingType::Global, GroupingType::Shuffle,       GroupingType::All,
      GroupingType::None,   GroupingType::Direct, GroupingType::LocalOrShuffle};
  for (size_t k = 0; k < expected.size(); ++k) {
    const ComponentDef* b = def.find("b" + std::to_string(k));
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(b->inputs.size(), 1u);
    EXPECT_EQ(b->inputs[0].grouping.type, expected[k]) << k;
  }
}

TEST(NimbusThrift, TranslatesShellAndJavaObjectComponents) {
  storm::StormTopology t = nimbus::deserializeTopology(wireTopology());
  nimbus::TranslateOptions options;
  options.shellCwd = "/srv/topology/resources";
  options.requireRegisteredClasses = false;
  TopologyDef def = nimbus::toTopologyDef(t, options);
  ASSERT_EQ(def.components.size(), 2u);

  const ComponentDef* spout = def.find("sentences");
  ASSERT_NE(spout, nullptr);
  EXPECT_EQ(spout->kind, ComponentKind::Spout);
  EXPECT_EQ(spout->className, "squall.ShellSpout");
  EXPECT_EQ(spout->parallelism, 2);
  ASSERT_EQ(spout->args.size(), 1u);
  const Value& shell = spout->args[0];
  EXPECT_EQ(*shell.find("command"), Value(List{Value("python3"), Value("spout.py")}));
  EXPECT_EQ(*shell.find("fields"), Value(List{Value("sentence")}));
  EXPECT_EQ(*shell.find("cwd"), Value("/srv/topology/resources"));

  const ComponentDef* bolt = def.find("count");
  ASSERT_NE(bolt, nullptr);
  EXPECT_EQ(bolt->kind, ComponentKind::Bolt);
  EXPECT_EQ(bolt->className, "org.apache.storm.testing.TestWordCounter");
  EXPECT_EQ(bolt->parallelism, 3);
  EXPECT_EQ(bolt->conf.at("topology.tasks"), Value(6));
  EXPECT_EQ(bolt->conf.at("topology.debug"), Value(true));
  ASSERT_EQ(bolt->inputs.size(), 1u);
  EXPECT_EQ(bolt->inputs[0].component, "sentences");
  EXPECT_EQ(bolt->inputs[0].stream, "default");
  EXPECT_EQ(bolt->inputs[0].grouping.type, GroupingType::Fields);
  EXPECT_EQ(bolt->inputs[0].grouping.fields, std::vector<std::string>{"sentence"});
}

TEST(NimbusThrift, RefusesWhatCannotRunNamingTheComponent) {
  auto expectInvalid = [](const storm::StormTopology& t, const std::string& part,
                          bool registered = false) {
    try {
      nimbus::toTopologyDef(t, {.shellCwd = {}, .requireRegisteredClasses = registered});
      ADD_FAILURE() << "accepted; expected an error containing " << part;
    } catch (const storm::InvalidTopologyException& e) {
      EXPECT_NE(e.msg.find(part), std::string::npos) << e.msg;
    }
  };
  storm::StormTopology t = nimbus::deserializeTopology(wireTopology());
  // What Java's TopologyBuilder sends.
  storm::StormTopology java = t;
  java.bolts.at("count").bolt_object = storm::ComponentObject();
  java.bolts.at("count").bolt_object.__set_serialized_java(std::string("\xac\xed\0\5", 4));
  expectInvalid(java, "bolt 'count': the component is a serialized Java object");
  // A class Squall does not have.
  storm::StormTopology unknown = t;
  unknown.bolts.at("count").bolt_object.java_object.full_class_name = "com.example.MyBolt";
  expectInvalid(unknown, "bolt 'count': class 'com.example.MyBolt' is not one Squall has", true);
  // Inputs that name nothing.
  storm::StormTopology dangling = t;
  auto inputs = dangling.bolts.at("count").common.inputs;
  storm::GlobalStreamId missing;
  missing.componentId = "sentences";
  missing.streamId = "nope";
  dangling.bolts.at("count").common.inputs[missing] = inputs.begin()->second;
  expectInvalid(dangling, "subscribes to stream 'nope' of 'sentences'");
  // A union with no field set.
  storm::StormTopology empty = t;
  empty.bolts.at("count").common.inputs.begin()->second = storm::Grouping();
  expectInvalid(empty, "a Grouping must set exactly one field");
  // A spout with inputs, a bad parallelism, bad json_conf.
  storm::StormTopology spoutIn = t;
  spoutIn.spouts.at("sentences").common.inputs = inputs;
  expectInvalid(spoutIn, "spout 'sentences': a spout may not have inputs");
  storm::StormTopology zero = t;
  zero.bolts.at("count").common.__set_parallelism_hint(0);
  expectInvalid(zero, "parallelism_hint must be positive");
  storm::StormTopology conf = t;
  conf.bolts.at("count").common.__set_json_conf("{\"a\": ");
  expectInvalid(conf, "bolt 'count': json_conf: invalid JSON");
  // Malformed bytes fail to decode instead of producing a topology.
  std::string bytes = wireTopology();
  EXPECT_ANY_THROW(nimbus::deserializeTopology(bytes.substr(0, bytes.size() / 2)));
}

TEST(NimbusThrift, JsonConfRoundTrip) {
  Value v = nimbus::parseJson(R"({"a": [1, 2.5, "x", null, true], "b": {"c": -3}})");
  EXPECT_EQ(nimbus::parseJson(nimbus::toJson(v)), v);
  EXPECT_THROW(nimbus::parseJson(std::string(100, '[') + std::string(100, ']')),
               std::invalid_argument);
  EXPECT_THROW(nimbus::parseJson("{"), std::invalid_argument);
}

TEST(NimbusCore, SubmitListKillActivateRebalance) {
  TempDir dir;
  nimbus::NimbusCoreOptions options;
  options.localDir = dir.path.string();
  options.port = 7000;
  nimbus::NimbusCore core(options);
  storm::SubmitOptions inactive;
  inactive.initial_status = storm::TopologyInitialStatus::INACTIVE;
  core.submitTopology("words", "", R"({"topology.workers": 2, "topology.submitter.user": "ann"})",
                      shellTopology(), inactive);
  EXPECT_FALSE(core.isTopologyNameAllowed("words"));
  EXPECT_FALSE(core.isTopologyNameAllowed("a.b"));
  EXPECT_TRUE(core.isTopologyNameAllowed("other"));
  EXPECT_THROW(core.submitTopology("words", "", "{}", shellTopology(), inactive),
               storm::AlreadyAliveException);
  EXPECT_THROW(core.submitTopology("bad/name", "", "{}", shellTopology(), inactive),
               storm::InvalidTopologyException);
  EXPECT_THROW(core.submitTopology("x", "/tmp/not-uploaded.jar", "{}", shellTopology(), inactive),
               storm::InvalidTopologyException);

  storm::ClusterSummary info = core.getClusterInfo();
  ASSERT_EQ(info.topologies.size(), 1u);
  const auto& s = info.topologies[0];
  EXPECT_EQ(s.name, "words");
  EXPECT_EQ(s.status, "INACTIVE");
  EXPECT_EQ(s.owner, "ann");
  EXPECT_EQ(s.num_workers, 2);
  // 2 spout tasks + 6 bolt tasks (topology.tasks) + one acker per worker.
  EXPECT_EQ(s.num_tasks, 10);
  EXPECT_EQ(s.num_executors, 2 + 3 + 2);
  EXPECT_EQ(s.id.rfind("words-1-", 0), 0u) << s.id;
  ASSERT_EQ(info.nimbuses.size(), 1u);
  EXPECT_TRUE(info.nimbuses[0].isLeader);
  EXPECT_EQ(info.nimbuses[0].port, 7000);

  storm::TopologyInfo ti = core.getTopologyInfo(s.id);
  ASSERT_EQ(ti.executors.size(), 7u);  // __acker x2, count x3, sentences x2
  EXPECT_EQ(ti.executors[0].component_id, "__acker");
  EXPECT_EQ(ti.executors[2].component_id, "count");
  EXPECT_EQ(ti.executors[2].executor_info.task_start, 3);
  EXPECT_EQ(ti.executors[2].executor_info.task_end, 4);
  EXPECT_EQ(ti.executors.back().executor_info.task_end, 10);
  EXPECT_EQ(core.getUserTopology(s.id), shellTopology());
  EXPECT_EQ(core.getTopology(s.id).bolts.count("__acker"), 1u);
  EXPECT_NE(core.getTopologyConf(s.id).find("\"topology.name\":\"words\""), std::string::npos);
  EXPECT_THROW(core.getTopologyInfo("nope-1-1"), storm::NotAliveException);

  core.activate("words");
  EXPECT_EQ(core.getClusterInfo().topologies[0].status, "ACTIVE");
  core.deactivate("words");
  EXPECT_EQ(core.getClusterInfo().topologies[0].status, "INACTIVE");
  EXPECT_THROW(core.activate("nope"), storm::NotAliveException);

  storm::RebalanceOptions bad;
  bad.__set_num_executors({{"ghost", 2}});
  EXPECT_THROW(core.rebalance("words", bad), storm::InvalidTopologyException);
  storm::RebalanceOptions rb;
  rb.__set_wait_secs(0);
  rb.__set_num_workers(3);
  rb.__set_num_executors({{"count", 6}});
  core.rebalance("words", rb);
  ASSERT_TRUE(eventually([&] { return core.getClusterInfo().topologies[0].status == "INACTIVE"; }));
  EXPECT_EQ(core.getClusterInfo().topologies[0].num_workers, 3);
  EXPECT_EQ(core.topologyDef(s.id).find("count")->parallelism, 6);

  storm::KillOptions kill;
  kill.__set_wait_secs(0);
  core.killTopology("words", kill);
  ASSERT_TRUE(eventually([&] { return core.getClusterInfo().topologies.empty(); }));
  EXPECT_TRUE(core.isTopologyNameAllowed("words"));
  // A new submission of the same name gets the next counter.
  core.submitTopology("words", "", "{}", shellTopology(), inactive);
  EXPECT_EQ(core.getClusterInfo().topologies[0].id.rfind("words-2-", 0), 0u);
}

TEST(NimbusCore, KillAndRebalanceWaitOnTheClock) {
  TempDir dir;
  std::atomic<int64_t> clock{1'000'000};
  nimbus::NimbusCoreOptions options;
  options.localDir = dir.path.string();
  options.nowMs = [&] { return clock.load(); };
  nimbus::NimbusCore core(options);
  core.submitTopology("t", "", R"({"topology.message.timeout.secs": 5})", shellTopology(), {});
  // A rebalance waits as long, then applies and returns to the previous status.
  storm::RebalanceOptions rb;
  rb.__set_wait_secs(2);
  rb.__set_num_workers(4);
  core.rebalance("t", rb);
  EXPECT_EQ(core.getClusterInfo().topologies.at(0).status, "REBALANCING");
  EXPECT_THROW(core.rebalance("t", rb), storm::InvalidTopologyException);
  clock += 1'999;
  core.runDueActions();
  EXPECT_EQ(core.getClusterInfo().topologies.at(0).num_workers, 1);
  clock += 1;
  core.runDueActions();
  EXPECT_EQ(core.getClusterInfo().topologies.at(0).status, "ACTIVE");
  EXPECT_EQ(core.getClusterInfo().topologies.at(0).num_workers, 4);

  core.killTopology("t", {});
  EXPECT_EQ(core.getClusterInfo().topologies.at(0).status, "KILLED");
  EXPECT_FALSE(core.isTopologyNameAllowed("t"));
  clock += 4'000;
  core.runDueActions();
  EXPECT_EQ(core.getClusterInfo().topologies.size(), 1u);
  clock += 1'000;
  core.runDueActions();
  EXPECT_TRUE(core.getClusterInfo().topologies.empty());
}

TEST(NimbusCore, UploadsAreStoredByContent) {
  TempDir dir;
  nimbus::NimbusCoreOptions options;
  options.localDir = dir.path.string();
  nimbus::NimbusCore core(options);
  std::string a = core.beginFileUpload(), b = core.beginFileUpload();
  EXPECT_NE(a, b);
  core.uploadChunk(a, "PK\3\4 jar ");
  core.uploadChunk(a, "bytes");
  core.uploadChunk(b, "PK\3\4 jar bytes");
  core.finishFileUpload(a);
  core.finishFileUpload(b);
  EXPECT_THROW(core.uploadChunk(a, "more"), std::runtime_error);  // finished
  EXPECT_THROW(core.uploadChunk(dir.path.string() + "/../etc/passwd", "x"), std::runtime_error);
  size_t stored = 0;
  for (const auto& e : fs::directory_iterator(dir.path / "nimbus" / "artifacts")) {
    ++stored;
    std::ifstream in(e.path());
    std::string content((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(content, "PK\3\4 jar bytes");
  }
  EXPECT_EQ(stored, 1u);
  core.submitTopology("t", a, "{}", shellTopology(), {});
  EXPECT_EQ(core.getClusterInfo().topologies.size(), 1u);
}

TEST(NimbusServer, ServesATopologysBlobsByStormsKeys) {
  TempDir dir;
  nimbus::NimbusCoreOptions options;
  options.localDir = dir.path.string();
  auto core = std::make_shared<nimbus::NimbusCore>(options);
  thrift::NimbusServerOptions so;
  so.port = 0;
  thrift::NimbusServer server(core, so);
  server.start();

  thrift::NimbusConnection conn("127.0.0.1", server.port());
  // A jar of several chunks (the sessions hand out 256 KiB at a time).
  std::string jar(700 * 1024 + 17, '\0');
  for (size_t i = 0; i < jar.size(); ++i) jar[i] = static_cast<char>(i * 7 + i / 1000);
  std::string location;
  conn.client().beginFileUpload(location);
  for (size_t at = 0; at < jar.size(); at += 100'000)
    conn.client().uploadChunk(location, jar.substr(at, 100'000));
  conn.client().finishFileUpload(location);
  conn.client().submitTopology("t", location, R"({"topology.workers": 2})", shellTopology());
  std::string id = core->getClusterInfo().topologies.at(0).id;

  auto download = [&](const std::string& key, uint64_t maxBytes = uint64_t{1} << 30) {
    std::ostringstream out;
    thrift::downloadBlob(conn.client(), key, out, maxBytes);
    return out.str();
  };
  EXPECT_EQ(download(id + "-stormjar.jar"), jar);
  EXPECT_EQ(nimbus::deserializeTopology(download(id + "-stormcode.ser")), shellTopology());
  EXPECT_NE(download(id + "-stormconf.ser").find("\"topology.workers\":2"), std::string::npos);
  EXPECT_THROW(download(id + "-stormjar.jar", 1000), std::runtime_error);
  EXPECT_THROW(download("nope-stormcode.ser"), storm::KeyNotFoundException);
  EXPECT_THROW(download(id), storm::KeyNotFoundException);
  std::string chunk;
  EXPECT_ANY_THROW(conn.client().downloadBlobChunk(chunk, "no-such-session"));
}

TEST(NimbusServer, ServesClientsAndSurvivesGarbage) {
  TempDir dir;
  nimbus::NimbusCoreOptions options;
  options.localDir = dir.path.string();
  auto core = std::make_shared<nimbus::NimbusCore>(options);
  thrift::NimbusServerOptions so;
  so.port = 0;
  so.maxBufferSize = 4096;
  thrift::NimbusServer server(core, so);
  server.start();
  ASSERT_GT(server.port(), 0);

  {
    thrift::NimbusConnection conn("127.0.0.1", server.port());
    conn.client().submitTopology("t", "", "{}", shellTopology());
    storm::ClusterSummary info;
    conn.client().getClusterInfo(info);
    ASSERT_EQ(info.topologies.size(), 1u);
    EXPECT_EQ(info.topologies[0].status, "ACTIVE");
    EXPECT_THROW(conn.client().killTopology("nope"), storm::NotAliveException);
    // A frame over nimbus.thrift.max_buffer_size is refused, and the connection closed.
    EXPECT_ANY_THROW(conn.client().uploadChunk(core->beginFileUpload(), std::string(8192, 'x')));
  }
  // Garbage, and a frame length far past the bound, on raw sockets.
  for (std::string bytes :
       {std::string("GET / HTTP/1.1\r\n\r\n"), std::string("\x7f\xff\xff\xff", 4),
        std::string("\0\0\0\x10\x80\x01\0\x01\0\0\0\x0egetClu", 18)}) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    shutdown(fd, SHUT_WR);
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    close(fd);
  }
  thrift::NimbusConnection again("127.0.0.1", server.port());
  storm::NimbusSummary leader;
  again.client().getLeader(leader);
  EXPECT_TRUE(leader.isLeader);
  server.stop();
}

// Storm's debug call over the wire: the topology's switch under its id, a component's under its
// name, the percentage clamped as Storm's, and TopologyInfo.component_debug showing them.
TEST(NimbusServer, DebugSetsComponentDebugInTopologyInfo) {
  TempDir dir;
  nimbus::NimbusCoreOptions options;
  options.localDir = dir.path.string();
  auto core = std::make_shared<nimbus::NimbusCore>(options);
  thrift::NimbusServerOptions so;
  so.port = 0;
  thrift::NimbusServer server(core, so);
  server.start();
  thrift::NimbusConnection conn("127.0.0.1", server.port());
  conn.client().submitTopology("t", "", "{}", shellTopology());
  storm::ClusterSummary summary;
  conn.client().getClusterInfo(summary);
  const std::string id = summary.topologies.at(0).id;

  conn.client().debug("t", "", true, 250);
  conn.client().debug("t", "count", true, 12.5);
  conn.client().debug("t", "sentences", false, 40);
  storm::TopologyInfo info;
  conn.client().getTopologyInfo(info, id);
  ASSERT_EQ(info.component_debug.size(), 3u);
  EXPECT_TRUE(info.component_debug.at(id).enable);
  EXPECT_EQ(info.component_debug.at(id).samplingpct, 100);
  EXPECT_EQ(info.component_debug.at("count").samplingpct, 12.5);
  EXPECT_FALSE(info.component_debug.at("sentences").enable);
  EXPECT_FALSE(info.component_debug.at("sentences").__isset.samplingpct);
  EXPECT_THROW(conn.client().debug("nope", "", true, 10), storm::NotAliveException);
  server.stop();
}

TEST(NimbusConfig, StormYamlThenOverrides) {
  TempDir dir;
  fs::create_directories(dir.path / ".storm");
  std::ofstream(dir.path / ".storm" / "storm.yaml")
      << "nimbus.seeds: [\"a\", \"b\"]\nnimbus.thrift.port: 7777\n";
  Map conf = nimbus::loadStormConfig({{}, {"nimbus.thrift.port=8888"}, dir.path.string()});
  EXPECT_EQ(nimbus::nimbusSeeds(conf), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(nimbus::confInt(conf, "nimbus.thrift.port", 0), 8888);
  EXPECT_EQ(nimbus::confInt(conf, "nimbus.thrift.max_buffer_size", 0), 1048576);
  std::ofstream(dir.path / "bad.yaml") << "a: [1,\n";
  try {
    nimbus::loadStormConfig({(dir.path / "bad.yaml").string(), {}, {}});
    ADD_FAILURE() << "accepted a broken storm.yaml";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml:"), std::string::npos) << e.what();
  }
  Map legacy = nimbus::loadStormConfig(
      {(dir.path / ".storm" / "storm.yaml").string(), {"nimbus.host=h"}, {}});
  EXPECT_EQ(nimbus::nimbusSeeds(legacy), std::vector<std::string>{"h"});
}
