#include "ui/nimbus_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <thrift/transport/TTransportException.h>

#include <charconv>
#include <optional>

#include "ui/json_out.h"
#include "ui/nimbus_api.h"

namespace squall::ui {

namespace {

// Runs `f` against the leader nimbus; every failure of the way there or of the call becomes
// an ApiError that says which.
template <typename F>
auto withNimbus(const NimbusSourceOptions& o, const std::string& what, F f) {
  try {
    auto conn = thrift::connectToLeader(o.seeds, o.port, o.client);
    return f(conn->client());
  } catch (const ApiError&) {
    throw;
  } catch (const thrift::NimbusUnavailable& e) {
    throw ApiError(500, fmt::format("cannot {}: nimbus is not reachable: {}", what, e.what()));
  } catch (const storm::NotAliveException& e) {
    throw ApiError(404, fmt::format("cannot {}: NotAliveException: {}", what, e.msg));
  } catch (const storm::AuthorizationException& e) {
    throw ApiError(403, fmt::format("cannot {}: AuthorizationException: {}", what, e.msg));
  } catch (const storm::InvalidTopologyException& e) {
    throw ApiError(400, fmt::format("cannot {}: InvalidTopologyException: {}", what, e.msg));
  } catch (const apache::thrift::transport::TTransportException& e) {
    throw ApiError(500, fmt::format("cannot {}: nimbus did not answer ({}:{}...): {}", what,
                                    o.seeds.empty() ? "" : o.seeds.front(), o.port, e.what()));
  } catch (const apache::thrift::TException& e) {
    throw ApiError(500, fmt::format("cannot {}: nimbus failed: {}", what, e.what()));
  }
}

std::optional<storm::TopologySummary> findTopology(storm::NimbusClient& c,
                                                   const std::string& idOrName) {
  storm::ClusterSummary summary;
  c.getClusterInfo(summary);
  for (auto& t : summary.topologies) {
    if (t.id == idOrName) return std::move(t);
  }
  for (auto& t : summary.topologies) {
    if (t.name == idOrName) return std::move(t);
  }
  return std::nullopt;
}

nimbusapi::TopologyData topologyData(storm::NimbusClient& c, const std::string& id,
                                     bool actionsEnabled) {
  nimbusapi::TopologyData t;
  storm::ClusterSummary summary;
  c.getClusterInfo(summary);
  bool found = false;
  for (const auto& s : summary.topologies) {
    if (s.id == id) {
      t.workers = s.num_workers;
      found = true;
    }
  }
  if (!found) throw ApiError(404, fmt::format("topology '{}' is not alive", shortened(id)));
  t.supervisors = std::move(summary.supervisors);
  c.getTopologyInfo(t.info, id);
  c.getTopology(t.topology, id);
  c.getTopologyConf(t.conf, id);
  t.actionsEnabled = actionsEnabled;
  return t;
}

}  // namespace

NimbusSource::NimbusSource(NimbusSourceOptions options) : options_(std::move(options)) {}

std::string NimbusSource::clusterSummary(const ServerInfo& server) {
  return withNimbus(options_, "read the cluster summary", [&](storm::NimbusClient& c) {
    storm::ClusterSummary s;
    c.getClusterInfo(s);
    return nimbusapi::clusterSummaryJson(server, s);
  });
}

std::string NimbusSource::nimbusSummary(const ServerInfo&) {
  // The seeds as host and port (Squall's HOST:PORT form names a seed's own port).
  std::vector<std::pair<std::string, int>> seeds;
  for (const auto& seed : options_.seeds) {
    auto colon = seed.rfind(':');
    int port = 0;
    if (colon != std::string::npos) {
      auto [p, ec] = std::from_chars(seed.data() + colon + 1, seed.data() + seed.size(), port);
      if (ec == std::errc() && p == seed.data() + seed.size()) {
        seeds.emplace_back(seed.substr(0, colon), port);
        continue;
      }
    }
    seeds.emplace_back(seed, options_.port);
  }
  return withNimbus(options_, "read the nimbus summary", [&](storm::NimbusClient& c) {
    storm::ClusterSummary s;
    c.getClusterInfo(s);
    return nimbusapi::nimbusSummaryJson(s, seeds);
  });
}

std::string NimbusSource::supervisorSummary(const ServerInfo&) {
  return withNimbus(options_, "read the supervisor summary", [&](storm::NimbusClient& c) {
    storm::ClusterSummary s;
    c.getClusterInfo(s);
    return nimbusapi::supervisorSummaryJson(s);
  });
}

std::string NimbusSource::topologySummary(const ServerInfo&) {
  return withNimbus(options_, "read the topology summary", [&](storm::NimbusClient& c) {
    storm::ClusterSummary s;
    c.getClusterInfo(s);
    return nimbusapi::topologySummaryJson(s);
  });
}

std::string NimbusSource::clusterConfiguration() {
  return withNimbus(options_, "read nimbus's configuration", [&](storm::NimbusClient& c) {
    std::string conf;
    c.getNimbusConf(conf);
    return nimbusapi::configurationJson(conf);
  });
}

std::string NimbusSource::resolve(const std::string& idOrName) {
  return withNimbus(options_, "find the topology", [&](storm::NimbusClient& c) {
    auto t = findTopology(c, idOrName);
    if (!t) throw ApiError(404, fmt::format("topology '{}' is not alive", shortened(idOrName)));
    return t->id;
  });
}

std::string NimbusSource::topology(const ServerInfo& server, const std::string& id, size_t window,
                                   bool sys) {
  return withNimbus(options_, "read the topology", [&](storm::NimbusClient& c) {
    return nimbusapi::topologyJson(server, topologyData(c, id, options_.actionsEnabled), window,
                                   sys);
  });
}

std::string NimbusSource::component(const ServerInfo& server, const std::string& id,
                                    const std::string& component, size_t window, bool sys) {
  return withNimbus(options_, "read the component", [&](storm::NimbusClient& c) {
    return nimbusapi::componentJson(server, topologyData(c, id, options_.actionsEnabled), component,
                                    window, sys);
  });
}

std::string NimbusSource::visualization(const ServerInfo&, const std::string& id, size_t window,
                                        bool sys) {
  return withNimbus(options_, "read the topology", [&](storm::NimbusClient& c) {
    return nimbusapi::visualizationJson(topologyData(c, id, options_.actionsEnabled), window, sys);
  });
}

std::string NimbusSource::lag(const std::string& id) {
  auto topology = withNimbus(options_, "read the topology", [&](storm::NimbusClient& c) {
    storm::StormTopology t;
    c.getUserTopology(t, id);
    return t;
  });
  // Nimbus's connection is closed by now: the brokers may take their time.
  if (!options_.kafkaLag) return spoutLagJson({});
  return spoutLagJson(options_.kafkaLag(topology));
}

void NimbusSource::act(const std::string& id, const std::string& what, int waitSecs) {
  withNimbus(options_, fmt::format("{} topology '{}'", what, id), [&](storm::NimbusClient& c) {
    // Nimbus's actions take the topology's name.
    auto t = findTopology(c, id);
    if (!t) throw ApiError(404, fmt::format("topology '{}' is not alive", shortened(id)));
    if (what == "activate") {
      c.activate(t->name);
    } else if (what == "deactivate") {
      c.deactivate(t->name);
    } else if (what == "rebalance") {
      storm::RebalanceOptions o;
      o.__set_wait_secs(waitSecs);
      c.rebalance(t->name, o);
    } else {
      storm::KillOptions o;
      o.__set_wait_secs(waitSecs);
      c.killTopologyWithOpts(t->name, o);
    }
    spdlog::info("ui: {} of topology '{}' ({}) asked of nimbus", what, t->name, t->id);
    return 0;
  });
}

std::string NimbusSource::logConfig(const std::string& id, const std::string* body) {
  // The body is checked before nimbus is asked: a bad one changes nothing.
  std::optional<storm::LogConfig> change;
  if (body) change = nimbusapi::logConfigRequest(parseLogConfig(*body));
  return withNimbus(
      options_,
      fmt::format("{} the log levels of topology '{}'", body ? "set" : "read", shortened(id)),
      [&](storm::NimbusClient& c) {
        if (change) {
          c.setLogConfig(id, *change);
          spdlog::info("ui: log levels of topology '{}' set through nimbus: {}", id,
                       shortened(*body));
        }
        storm::LogConfig now;
        c.getLogConfig(now, id);
        return nimbusapi::logConfigJson(now);
      });
}

void NimbusSource::debug(const std::string& id, const std::string& component, bool enable,
                         double percent) {
  withNimbus(options_, fmt::format("set debug of topology '{}'", shortened(id)),
             [&](storm::NimbusClient& c) {
               // Nimbus's debug takes the topology's name.
               auto t = findTopology(c, id);
               if (!t)
                 throw ApiError(404, fmt::format("topology '{}' is not alive", shortened(id)));
               if (!component.empty()) {
                 storm::StormTopology topology;
                 c.getUserTopology(topology, t->id);
                 if (!topology.spouts.count(component) && !topology.bolts.count(component)) {
                   throw ApiError(404, fmt::format("topology '{}' has no component '{}'",
                                                   shortened(id), shortened(component)));
                 }
               }
               c.debug(t->name, component, enable, percent);
               spdlog::info("ui: debug of topology '{}'{} {}d through nimbus ({} %)", t->id,
                            component.empty() ? std::string() : " component '" + component + "'",
                            enable ? "enable" : "disable", percent);
               return 0;
             });
}

std::string NimbusSource::metrics() {
  return withNimbus(options_, "read the cluster summary", [&](storm::NimbusClient& c) {
    storm::ClusterSummary s;
    c.getClusterInfo(s);
    return nimbusapi::prometheusText(s);
  });
}

}  // namespace squall::ui
