#include "squall/storm_submitter.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "artifact/artifact.h"
#include "flux/builtins.h"
#include "nimbus/json_conf.h"
#include "nimbus/storm_config.h"
#include "nimbus/storm_topology_translation.h"
#include "squall/component_registry.h"
#include "submit/nimbus_submit.h"
#include "topology/topology_plan.h"

namespace fs = std::filesystem;

namespace squall {
namespace {

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/squall-submit-XXXXXX";
    if (!mkdtemp(pattern.data())) throw SquallError("StormSubmitter: cannot create a temp folder");
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

std::string StormSubmitter::submitTopology(const std::string& name, const Config& conf,
                                           const StormTopology& topology) {
  // Storm's testing components and Flux's wrappers are classes every worker has; a program
  // that links this library names them without linking their object file itself.
  flux::registerFluxBuiltins();
  for (const auto& c : topology.def.components) {
    if (!ComponentRegistry::global().findComponent(c.className)) {
      throw InvalidTopologyException(fmt::format(
          "component '{}': class '{}' is not registered by name, so no worker can rebuild it; "
          "register it with SQUALL_REGISTER_COMPONENT and name it with a ComponentSpec",
          c.id, c.className));
    }
  }
  // What each component declares, as the engine will see it (also checks the topology here).
  auto plan = internal::TopologyPlan::build(name, name + "-submit", conf, topology);
  nimbus::DeclaredOutputs outputs;
  for (const auto& c : topology.def.components) outputs[c.id] = plan->component(c.id).streams;

  submit::Submission s;
  s.name = name;
  s.jsonConf = nimbus::toJson(Value(conf.values()));
  // The jar holds no code (see storm_submitter.h): the manifest says what it is for.
  ScratchDir scratch;
  s.jar = (scratch.path / (name + ".jar")).string();
  artifact::writeArtifact(
      s.jar, {{"META-INF/MANIFEST.MF",
               {},
               fmt::format("Manifest-Version: 1.0\r\nCreated-By: squall StormSubmitter\r\n"
                           "Squall-Topology-Name: {}\r\n\r\n",
                           name),
               false}});

  // Storm's client reads storm.yaml, then the topology's conf over it.
  Map clientConf = nimbus::loadStormConfig({});
  for (const auto& [k, v] : conf.values()) clientConf.insert_or_assign(k, v);
  std::ostringstream log;
  try {
    s.topology = nimbus::toStormTopology(topology.def, outputs);
    std::string id = submit::submitToNimbus(clientConf, s, log);
    std::string said = log.str();
    while (!said.empty() && said.back() == '\n') said.pop_back();
    spdlog::info("{}", said);
    return id;
  } catch (const storm::AlreadyAliveException& e) {
    throw AlreadyAliveException(e.msg);
  } catch (const storm::InvalidTopologyException& e) {
    throw InvalidTopologyException(e.msg);
  } catch (const storm::AuthorizationException& e) {
    throw SquallError("AuthorizationException: " + e.msg);
  } catch (const apache::thrift::TException& e) {
    throw SquallError(fmt::format("submitting topology {}: {}", name, e.what()));
  } catch (const thrift::NimbusUnavailable& e) {
    throw SquallError(e.what());
  }
}

}  // namespace squall
