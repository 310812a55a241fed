// TopologyDef -> StormTopology (what `squall submit` and StormSubmitter send) and back
// (what nimbus does with it) gives the same definition: classes, arguments of every kind,
// groupings, streams, parallelism, component conf, shell components.

#include <gtest/gtest.h>

#include <algorithm>

#include "flux/builtins.h"
#include "flux/check.h"
#include "flux/shell_components.h"
#include "flux/topology_file.h"
#include "nimbus/storm_topology_translation.h"

using namespace squall;

namespace {

// The definition as the reverse translation orders it: spouts first, each kind by id, inputs
// by (component, stream); origins are where a definition was written, not part of it.
TopologyDef normalized(TopologyDef def) {
  for (auto& c : def.components) {
    c.origin.clear();
    std::sort(c.inputs.begin(), c.inputs.end(), [](const InputDef& a, const InputDef& b) {
      return std::tie(a.component, a.stream) < std::tie(b.component, b.stream);
    });
  }
  std::sort(def.components.begin(), def.components.end(),
            [](const ComponentDef& a, const ComponentDef& b) {
              return std::make_pair(a.kind != ComponentKind::Spout, a.id) <
                     std::make_pair(b.kind != ComponentKind::Spout, b.id);
            });
  return def;
}

void expectSame(const TopologyDef& want, const TopologyDef& got) {
  auto a = normalized(want), b = normalized(got);
  ASSERT_EQ(a.components.size(), b.components.size());
  for (size_t i = 0; i < a.components.size(); ++i) {
    const auto &x = a.components[i], &y = b.components[i];
    SCOPED_TRACE(x.id);
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.className, y.className);
    EXPECT_EQ(x.args, y.args);
    EXPECT_EQ(x.parallelism, y.parallelism);
    EXPECT_EQ(Value(x.conf), Value(y.conf));
    ASSERT_EQ(x.inputs.size(), y.inputs.size());
    for (size_t j = 0; j < x.inputs.size(); ++j) {
      EXPECT_EQ(x.inputs[j].component, y.inputs[j].component);
      EXPECT_EQ(x.inputs[j].stream, y.inputs[j].stream);
      EXPECT_EQ(x.inputs[j].grouping.type, y.inputs[j].grouping.type);
      EXPECT_EQ(x.inputs[j].grouping.fields, y.inputs[j].grouping.fields);
      EXPECT_EQ(x.inputs[j].grouping.customClass, y.inputs[j].grouping.customClass);
      EXPECT_EQ(x.inputs[j].grouping.customArgs, y.inputs[j].grouping.customArgs);
    }
  }
}

ComponentDef component(const std::string& id, ComponentKind kind, const std::string& cls,
                       Values args = {}) {
  ComponentDef c;
  c.id = id;
  c.kind = kind;
  c.className = cls;
  c.args = std::move(args);
  return c;
}

InputDef input(const std::string& from, const std::string& stream, GroupingType type,
               std::vector<std::string> fields = {}) {
  InputDef in;
  in.component = from;
  in.stream = stream;
  in.grouping.type = type;
  in.grouping.fields = std::move(fields);
  return in;
}

TEST(ToStormTopology, RoundTripOfEveryArgumentGroupingAndShellForm) {
  TopologyDef def;
  auto spout = component("words", ComponentKind::Spout, "org.apache.storm.testing.TestWordSpout",
                         {Value(true), Value(int64_t{42}), Value(2.5), Value("text"),
                          Value(Bytes{std::string("\x00\x01", 2)})});
  spout.parallelism = 3;
  spout.conf["topology.tasks"] = Value(int64_t{6});
  def.components.push_back(spout);

  // A shell component in Storm's own shape: [execution_command, script], no env.
  flux::ShellArgs simple;
  simple.command = {"python3", "split.py"};
  simple.streams["default"] = StreamInfo{Fields({"word"}), false};
  auto split = component("split", ComponentKind::Bolt, flux::kShellBolt, simple.args());
  split.inputs = {input("words", "default", GroupingType::Shuffle)};
  def.components.push_back(split);

  // One that is not: more arguments, env, a serializer, named streams.
  flux::ShellArgs rich;
  rich.command = {"python3", "-m", "squall.dsl.run", "mod:Counter"};
  rich.env["GREETING"] = "hi";
  rich.serializer = "msgpack";
  rich.streams["counts"] = StreamInfo{Fields({"word", "count"}), false};
  rich.streams["direct"] = StreamInfo{Fields({"x"}), false};
  auto count = component("count", ComponentKind::Bolt, flux::kShellBolt, rich.args());
  count.parallelism = 2;
  count.inputs = {input("split", "default", GroupingType::Fields, {"word"}),
                  input("words", "default", GroupingType::PartialKey, {"word"})};
  def.components.push_back(count);

  // A component with arguments JavaObjectArg cannot hold (a Flux component passed as data).
  Map bean;
  bean["id"] = Value("cfg");
  bean["properties"] = Value(List{Value("a"), Value(int64_t{1})});
  auto log = component("log", ComponentKind::Bolt,
                       "org.apache.storm.flux.wrappers.bolts.LogInfoBolt", {Value(bean), Value()});
  log.conf["topology.tick.tuple.freq.secs"] = Value(int64_t{2});
  InputDef custom = input("count", "counts", GroupingType::Custom);
  custom.grouping.customClass = "com.example.MyGrouping";
  custom.grouping.customArgs = {Value("k"), Value(int64_t{7})};
  log.inputs = {custom, input("count", "direct", GroupingType::Direct),
                input("split", "default", GroupingType::Global),
                input("words", "default", GroupingType::All)};
  def.components.push_back(log);
  auto none = component("sink", ComponentKind::Bolt, "org.apache.storm.testing.TestWordCounter");
  none.inputs = {input("words", "default", GroupingType::None),
                 input("split", "default", GroupingType::LocalOrShuffle)};
  def.components.push_back(none);

  nimbus::DeclaredOutputs outputs;
  outputs["words"]["default"] = StreamInfo{Fields({"word"}), false};
  outputs["log"] = {};
  outputs["sink"]["default"] = StreamInfo{Fields({"word", "count"}), false};

  storm::StormTopology topology = nimbus::toStormTopology(def, outputs);
  // Storm's own shapes where they fit.
  ASSERT_TRUE(topology.bolts.at("split").bolt_object.__isset.shell);
  EXPECT_EQ(topology.bolts.at("split").bolt_object.shell.execution_command, "python3");
  EXPECT_EQ(topology.bolts.at("split").bolt_object.shell.script, "split.py");
  EXPECT_EQ(topology.bolts.at("split").common.streams.at("default").output_fields,
            std::vector<std::string>{"word"});
  ASSERT_TRUE(topology.spouts.at("words").spout_object.__isset.java_object);
  EXPECT_EQ(topology.spouts.at("words").spout_object.java_object.args_list.size(), 5u);
  EXPECT_EQ(topology.spouts.at("words").common.parallelism_hint, 3);
  EXPECT_EQ(topology.bolts.at("count").common.streams.at("counts").output_fields,
            (std::vector<std::string>{"word", "count"}));
  // Arguments JavaObjectArg cannot hold travel in the component's json_conf.
  EXPECT_NE(topology.bolts.at("log").common.json_conf.find(nimbus::kComponentArgsKey),
            std::string::npos);

  // Through the wire format, then back as nimbus reads it.
  auto back =
      nimbus::toTopologyDef(nimbus::deserializeTopology(nimbus::serializeTopology(topology)),
                            {.shellCwd = {}, .requireRegisteredClasses = false});
  expectSame(def, back);
}

TEST(ToStormTopology, ShellCwdIsTheReceiversResourcesFolder) {
  flux::ShellArgs shell;
  shell.command = {"python3", "split.py"};
  shell.cwd = "/here/resources";
  shell.streams["default"] = StreamInfo{Fields({"word"}), false};
  TopologyDef def;
  def.components.push_back(component("s", ComponentKind::Spout, flux::kShellSpout, shell.args()));
  auto topology = nimbus::toStormTopology(def, {}, {.shellCwd = "/here/resources"});
  ASSERT_TRUE(topology.spouts.at("s").spout_object.__isset.shell);
  expectSame(def, nimbus::toTopologyDef(topology, {.shellCwd = "/here/resources",
                                                   .requireRegisteredClasses = false}));
  // Another folder cannot be said with a ShellComponent: it travels as arguments.
  auto elsewhere = nimbus::toStormTopology(def, {}, {.shellCwd = "/there"});
  EXPECT_TRUE(elsewhere.spouts.at("s").spout_object.__isset.java_object);
  expectSame(def, nimbus::toTopologyDef(elsewhere,
                                        {.shellCwd = "/there", .requireRegisteredClasses = false}));
}

TEST(ToStormTopology, RoundTripOfTheFluxExamples) {
  flux::registerFluxBuiltins();
  for (const char* name : {"wordcount.yaml", "wordcount_squall.yaml", "test_words.yaml"}) {
    SCOPED_TRACE(name);
    flux::LoadOptions options;
    auto file =
        flux::loadTopologyFile(std::string(SQUALL_SOURCE_DIR) + "/examples/" + name, options);
    auto checked = flux::checkTopology(file);
    std::string cwd = flux::resourcesDir(file.dir);
    auto topology = nimbus::toStormTopology(file.topology.def, checked.outputs, {.shellCwd = cwd});
    expectSame(
        file.topology.def,
        nimbus::toTopologyDef(topology, {.shellCwd = cwd, .requireRegisteredClasses = false}));
  }
}

TEST(ToStormTopology, RefusesWhatStormCannotCarry) {
  TopologyDef def;
  def.components.push_back(component("w", ComponentKind::Spout, "Spout"));
  auto b = component("b", ComponentKind::Bolt, "Bolt");
  InputDef in = input("w", "default", GroupingType::Custom);
  in.grouping.customClass = "com.example.G";
  in.grouping.customArgs = {Value(List{Value(int64_t{1})})};
  b.inputs = {in};
  def.components.push_back(b);
  try {
    nimbus::toStormTopology(def, {});
    FAIL() << "a list argument of a custom grouping was sent";
  } catch (const storm::InvalidTopologyException& e) {
    EXPECT_NE(e.msg.find("bolt 'b'"), std::string::npos) << e.msg;
  }
}

}  // namespace
