#include "ui/nimbus_api.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <set>

#include "ui/json_out.h"
#include "ui/topology_stats.h"

namespace squall::ui::nimbusapi {

namespace {

std::string floatStr(double v) {
  return fmt::format("{:.3f}", v);
}

RowFigures rowOf(const Figures& f) {
  RowFigures r;
  r.emitted = f.emitted;
  r.transferred = f.transferred;
  r.acked = f.acked;
  r.failed = f.failed;
  r.executed = f.executed;
  r.completeMs = f.completeLatencyMs();
  r.executeMs = f.executeLatencyMs();
  r.processMs = f.processLatencyMs();
  return r;
}

template <typename K, typename V>
const std::map<K, V>* windowOf(const std::map<std::string, std::map<K, V>>& m,
                               const std::string& window) {
  auto it = m.find(window);
  return it == m.end() ? nullptr : &it->second;
}

bool visibleInput(const storm::GlobalStreamId& id, bool sys) {
  return sys || (!isSystemName(id.componentId) && !isSystemName(id.streamId));
}

// Sums a bolt's per-input maps (Storm's aggBoltLatAndCount) for the inputs `keep` accepts.
template <typename Keep>
Figures boltInputFigures(const storm::BoltStats& b, const std::string& window, Keep keep) {
  Figures f;
  const auto* acked = windowOf(b.acked, window);
  const auto* failed = windowOf(b.failed, window);
  const auto* executed = windowOf(b.executed, window);
  const auto* exec = windowOf(b.execute_ms_avg, window);
  const auto* proc = windowOf(b.process_ms_avg, window);
  if (acked) {
    for (const auto& [id, n] : *acked) {
      if (keep(id)) f.acked += n;
    }
  }
  if (failed) {
    for (const auto& [id, n] : *failed) {
      if (keep(id)) f.failed += n;
    }
  }
  if (executed) {
    for (const auto& [id, n] : *executed) {
      if (!keep(id)) continue;
      f.executed += n;
      if (exec) {
        if (auto it = exec->find(id); it != exec->end()) f.executeMsTotal += it->second * n;
      }
      if (proc) {
        if (auto it = proc->find(id); it != proc->end()) f.processMsTotal += it->second * n;
      }
    }
  }
  return f;
}

// Sums a spout's per-stream maps (Storm's aggSpoutLatAndCount) for the streams `keep` accepts.
template <typename Keep>
Figures spoutStreamFigures(const storm::SpoutStats& s, const std::string& window, Keep keep) {
  Figures f;
  const auto* acked = windowOf(s.acked, window);
  const auto* failed = windowOf(s.failed, window);
  const auto* complete = windowOf(s.complete_ms_avg, window);
  if (acked) {
    for (const auto& [stream, n] : *acked) {
      if (!keep(stream)) continue;
      f.acked += n;
      if (complete) {
        if (auto it = complete->find(stream); it != complete->end()) {
          f.completeMsTotal += it->second * n;
        }
      }
    }
  }
  if (failed) {
    for (const auto& [stream, n] : *failed) {
      if (keep(stream)) f.failed += n;
    }
  }
  return f;
}

template <typename Keep>
void outputCounts(Figures& f, const storm::ExecutorStats& s, const std::string& window, Keep keep) {
  if (const auto* m = windowOf(s.emitted, window)) {
    for (const auto& [stream, n] : *m) {
      if (keep(stream)) f.emitted += n;
    }
  }
  if (const auto* m = windowOf(s.transferred, window)) {
    for (const auto& [stream, n] : *m) {
      if (keep(stream)) f.transferred += n;
    }
  }
}

bool hasStats(const storm::ExecutorSummary& e) {
  return e.__isset.stats;
}

std::string executorName(const storm::ExecutorSummary& e) {
  return fmt::format("[{}-{}]", e.executor_info.task_start, e.executor_info.task_end);
}

struct ComponentInfo {
  bool spout = false;
  const storm::ComponentCommon* common = nullptr;
};

// The topology's components by id: its spouts and bolts, and any component an executor runs
// that the topology does not name (a bolt then).
std::map<std::string, ComponentInfo> componentsOf(const TopologyData& t) {
  std::map<std::string, ComponentInfo> out;
  for (const auto& [id, s] : t.topology.spouts) out[id] = {true, &s.common};
  for (const auto& [id, b] : t.topology.bolts) out[id] = {false, &b.common};
  for (const auto& e : t.info.executors) out.try_emplace(e.component_id);
  return out;
}

int tasksOf(const storm::TopologyInfo& info, const std::string& component) {
  int n = 0;
  for (const auto& e : info.executors) {
    if (e.component_id == component) n += e.executor_info.task_end - e.executor_info.task_start + 1;
  }
  return n;
}

int executorsOf(const storm::TopologyInfo& info, const std::string& component) {
  int n = 0;
  for (const auto& e : info.executors) n += e.component_id == component;
  return n;
}

double capacityOf(const storm::TopologyInfo& info, const std::string& component) {
  double cap = 0;
  for (const auto& e : info.executors) {
    if (e.component_id == component) cap = std::max(cap, executorCapacity(e));
  }
  return cap;
}

// The component's errors, newest first.
std::vector<const storm::ErrorInfo*> errorsOf(const storm::TopologyInfo& info,
                                              const std::string& component) {
  std::vector<const storm::ErrorInfo*> out;
  auto it = info.errors.find(component);
  if (it == info.errors.end()) return out;
  for (const auto& e : it->second) out.push_back(&e);
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return a->error_time_secs > b->error_time_secs;
  });
  return out;
}

void errorFields(JsonOut& j, const ServerInfo& server, const storm::ErrorInfo* e) {
  if (!e) {
    j.field("lastError", "").field("errorHost", "").field("errorPort", "");
    j.field("errorWorkerLogLink", "").key("errorTime").null().key("errorLapsedSecs").null();
    return;
  }
  j.field("lastError", e->error).field("errorHost", e->__isset.host ? e->host : "");
  if (e->__isset.port) {
    j.field("errorPort", e->port);
  } else {
    j.field("errorPort", "");
  }
  j.field("errorWorkerLogLink", "").field("errorTime", static_cast<int64_t>(e->error_time_secs));
  j.field("errorLapsedSecs", std::max<int64_t>(0, server.nowSecs - e->error_time_secs));
}

struct Header {
  std::string id, name, owner, status, stormVersion, topologyVersion, schedulerInfo;
  int64_t uptimeSecs = 0;
  int tasks = 0, workers = 0, executors = 0, replication = 1;
};

void topologyHeader(JsonOut& j, const Header& h) {
  j.field("id", h.id).field("encodedId", h.id).field("owner", h.owner).field("name", h.name);
  j.field("status", h.status).field("uptime", prettyUptime(h.uptimeSecs));
  j.field("uptimeSeconds", h.uptimeSecs);
  j.field("tasksTotal", h.tasks).field("workersTotal", h.workers);
  j.field("executorsTotal", h.executors).field("replicationCount", h.replication);
  j.field("schedulerInfo", h.schedulerInfo).field("stormVersion", h.stormVersion);
  j.field("topologyVersion", h.topologyVersion);
  j.field("requestedMemOnHeap", 0.0).field("requestedMemOffHeap", 0.0);
  j.field("requestedTotalMem", 0.0).field("requestedCpu", 0.0);
  j.field("assignedMemOnHeap", 0.0).field("assignedMemOffHeap", 0.0);
  j.field("assignedTotalMem", 0.0).field("assignedCpu", 0.0);
}

Header headerOf(const storm::TopologySummary& s) {
  Header h;
  h.id = s.id;
  h.name = s.name;
  h.owner = s.__isset.owner ? s.owner : "";
  h.status = s.status;
  h.stormVersion = s.__isset.storm_version ? s.storm_version : "";
  h.topologyVersion = s.__isset.topology_version ? s.topology_version : "";
  h.schedulerInfo = s.__isset.sched_status ? s.sched_status : "";
  h.uptimeSecs = s.uptime_secs;
  h.tasks = s.num_tasks;
  h.workers = s.num_workers;
  h.executors = s.num_executors;
  h.replication = s.__isset.replication_count ? s.replication_count : 1;
  return h;
}

Header headerOf(const TopologyData& t) {
  const auto& i = t.info;
  Header h;
  h.id = i.id;
  h.name = i.name;
  h.owner = i.__isset.owner ? i.owner : "";
  h.status = i.status;
  h.stormVersion = i.__isset.storm_version ? i.storm_version : "";
  h.schedulerInfo = i.__isset.sched_status ? i.sched_status : "";
  h.uptimeSecs = i.uptime_secs;
  for (const auto& e : i.executors)
    h.tasks += e.executor_info.task_end - e.executor_info.task_start + 1;
  h.workers = t.workers;
  h.executors = static_cast<int>(i.executors.size());
  h.replication = i.__isset.replication_count ? i.replication_count : 1;
  return h;
}

void windowFields(JsonOut& j, size_t window) {
  j.field("window", kWindows[window].param).field("windowHint", kWindows[window].pretty);
}

// Storm's debug and samplingPct, from TopologyInfo.component_debug (the topology's own entry is
// under its id).
void debugFields(JsonOut& j, const storm::TopologyInfo& info, const std::string& key) {
  bool on = false;
  double pct = 10;
  if (auto it = info.component_debug.find(key); it != info.component_debug.end()) {
    on = it->second.__isset.enable && it->second.enable;
    if (on && it->second.__isset.samplingpct) pct = it->second.samplingpct;
  }
  j.field("debug", on).field("samplingPct", pct);
}

void copyJson(JsonOut& j, const rapidjson::Value& v);

// A configuration object, secrets redacted.
void copyConf(JsonOut& j, const rapidjson::Value& conf) {
  j.startObject();
  for (const auto& m : conf.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    j.key(key);
    if (isSecretKey(key)) {
      j.str(kRedacted);
    } else {
      copyJson(j, m.value);
    }
  }
  j.endObject();
}

void copyJson(JsonOut& j, const rapidjson::Value& v) {
  if (v.IsObject()) {
    j.startObject();
    for (const auto& m : v.GetObject()) {
      j.key(std::string_view(m.name.GetString(), m.name.GetStringLength()));
      copyJson(j, m.value);
    }
    j.endObject();
  } else if (v.IsArray()) {
    j.startArray();
    for (const auto& x : v.GetArray()) copyJson(j, x);
    j.endArray();
  } else if (v.IsString()) {
    j.str(std::string_view(v.GetString(), v.GetStringLength()));
  } else if (v.IsBool()) {
    j.boolean(v.GetBool());
  } else if (v.IsInt64()) {
    j.num(v.GetInt64());
  } else if (v.IsUint64()) {
    j.unum(v.GetUint64());
  } else if (v.IsNumber()) {
    j.dbl(v.GetDouble());
  } else {
    j.null();
  }
}

int64_t confInt(const rapidjson::Document& d, const char* key, int64_t fallback) {
  if (!d.IsObject()) return fallback;
  auto it = d.FindMember(key);
  return it != d.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : fallback;
}

std::string groupingName(const storm::Grouping& g) {
  if (g.__isset.fields) return g.fields.empty() ? "global" : "fields";
  if (g.__isset.shuffle) return "shuffle";
  if (g.__isset.local_or_shuffle) return "local_or_shuffle";
  if (g.__isset.all) return "all";
  if (g.__isset.none) return "none";
  if (g.__isset.direct) return "direct";
  return "custom";
}

std::string supervisorIdOf(const TopologyData& t, const std::string& host) {
  std::string id;
  for (const auto& s : t.supervisors) {
    if (s.host != host) continue;
    if (!id.empty()) return "";  // several supervisors on that host: which one is not known
    id = s.supervisor_id;
  }
  return id;
}

}  // namespace

Figures& Figures::operator+=(const Figures& o) {
  emitted += o.emitted;
  transferred += o.transferred;
  acked += o.acked;
  failed += o.failed;
  executed += o.executed;
  completeMsTotal += o.completeMsTotal;
  executeMsTotal += o.executeMsTotal;
  processMsTotal += o.processMsTotal;
  return *this;
}

bool isSystemName(const std::string& s) {
  return s.size() >= 2 && s[0] == '_' && s[1] == '_';
}

Figures executorFigures(const storm::ExecutorSummary& e, const std::string& window, bool sys) {
  Figures f;
  if (!hasStats(e)) return f;
  auto keepStream = [sys](const std::string& s) { return sys || !isSystemName(s); };
  outputCounts(f, e.stats, window, keepStream);
  const auto& specific = e.stats.specific;
  Figures g;
  if (specific.__isset.spout) {
    g = spoutStreamFigures(specific.spout, window, keepStream);
  } else if (specific.__isset.bolt) {
    g = boltInputFigures(specific.bolt, window,
                         [sys](const storm::GlobalStreamId& id) { return visibleInput(id, sys); });
  }
  g.emitted = f.emitted;
  g.transferred = f.transferred;
  return g;
}

double executorCapacity(const storm::ExecutorSummary& e) {
  if (!hasStats(e) || !e.stats.specific.__isset.bolt || e.uptime_secs <= 0) return 0;
  // Storm counts every input here, system streams included: time in execute is time spent.
  Figures f = boltInputFigures(e.stats.specific.bolt, kWindows[kTenMinutes].param,
                               [](const storm::GlobalStreamId&) { return true; });
  double secs = std::min<double>(e.uptime_secs, 600);
  return static_cast<double>(f.executed) * f.executeLatencyMs() / (secs * 1000);
}

Figures componentFigures(const storm::TopologyInfo& info, const std::string& component,
                         const std::string& window, bool sys) {
  Figures f;
  for (const auto& e : info.executors) {
    if (e.component_id == component) f += executorFigures(e, window, sys);
  }
  return f;
}

std::string clusterSummaryJson(const ServerInfo& server, const storm::ClusterSummary& c) {
  int executors = 0, tasks = 0, slots = 0, used = 0;
  for (const auto& t : c.topologies) {
    executors += t.num_executors;
    tasks += t.num_tasks;
  }
  for (const auto& s : c.supervisors) {
    slots += s.num_workers;
    used += s.num_used_workers;
  }
  // The leader's uptime: Storm 0.9's fields, still in Storm 2.8's UI fixtures, and printed by
  // `sparse stats`.
  int64_t leaderUptime = 0;
  for (const auto& n : c.nimbuses) {
    if (n.isLeader) leaderUptime = n.uptime_secs;
  }
  JsonOut j;
  j.startObject();
  j.field("stormVersion", server.version).field("user", "");
  j.field("nimbusUptime", prettyUptime(leaderUptime));
  j.field("nimbusUptimeSeconds", leaderUptime);
  j.field("supervisors", static_cast<int>(c.supervisors.size()));
  j.field("topologies", static_cast<int>(c.topologies.size()));
  j.field("slotsTotal", slots).field("slotsUsed", used).field("slotsFree", slots - used);
  j.field("executorsTotal", executors).field("tasksTotal", tasks);
  j.field("schedulerDisplayResource", false);
  j.field("totalMem", 0.0).field("totalCpu", 0.0).field("availMem", 0.0).field("availCpu", 0.0);
  j.field("fragmentedMem", 0.0).field("fragmentedCpu", 0.0);
  j.field("memAssignedPercentUtil", "0.0").field("cpuAssignedPercentUtil", "0.0");
  j.key("bugtracker-url").null().key("central-log-url").null();
  j.endObject();
  return j.take();
}

std::string nimbusSummaryJson(const storm::ClusterSummary& c,
                              const std::vector<std::pair<std::string, int>>& seeds) {
  JsonOut j;
  j.startObject().key("nimbuses").startArray();
  for (const auto& n : c.nimbuses) {
    j.startObject().field("host", n.host).field("port", n.port);
    j.field("status", n.isLeader ? "Leader" : "Not a Leader").field("version", n.version);
    j.field("nimbusUpTime", prettyUptime(n.uptime_secs));
    j.field("nimbusUpTimeSeconds", static_cast<int64_t>(n.uptime_secs));
    j.field("nimbusLogLink", "").endObject();
  }
  for (const auto& seed : seeds) {
    const auto& host = seed.first;  // not a structured binding: clang 14 cannot capture one
    const auto port = seed.second;
    bool live = std::any_of(c.nimbuses.begin(), c.nimbuses.end(),
                            [&](const auto& n) { return n.host == host && n.port == port; });
    if (live) continue;
    j.startObject().field("host", host).field("port", port).field("status", "Offline");
    j.field("version", "Not applicable").field("nimbusUpTime", "Not applicable");
    j.field("nimbusUpTimeSeconds", "Not applicable").field("nimbusLogLink", "").endObject();
  }
  j.endArray().endObject();
  return j.take();
}

std::string supervisorSummaryJson(const storm::ClusterSummary& c) {
  JsonOut j;
  j.startObject().key("supervisors").startArray();
  for (const auto& s : c.supervisors) {
    j.startObject().field("id", s.supervisor_id).field("host", s.host);
    j.field("uptime", prettyUptime(s.uptime_secs));
    j.field("uptimeSeconds", static_cast<int64_t>(s.uptime_secs));
    j.field("slotsTotal", s.num_workers).field("slotsUsed", s.num_used_workers);
    j.field("slotsFree", s.num_workers - s.num_used_workers);
    j.field("totalMem", 0.0).field("totalCpu", 0.0);
    j.field("usedMem", s.__isset.used_mem ? s.used_mem : 0.0);
    j.field("usedCpu", s.__isset.used_cpu ? s.used_cpu : 0.0);
    j.field("availMem", 0.0).field("availCpu", 0.0);
    j.field("blacklisted", s.__isset.blacklisted && s.blacklisted);
    j.field("version", s.version).field("logLink", "").endObject();
  }
  j.endArray().field("schedulerDisplayResource", false).endObject();
  return j.take();
}

std::string topologySummaryJson(const storm::ClusterSummary& c) {
  JsonOut j;
  j.startObject().key("topologies").startArray();
  for (const auto& t : c.topologies) {
    j.startObject();
    topologyHeader(j, headerOf(t));
    j.endObject();
  }
  j.endArray().field("schedulerDisplayResource", false).endObject();
  return j.take();
}

std::string configurationJson(const std::string& nimbusConf) {
  rapidjson::Document conf;
  conf.Parse(nimbusConf.c_str(), nimbusConf.size());
  if (conf.HasParseError() || !conf.IsObject()) {
    throw ApiError(500, "nimbus's configuration (getNimbusConf) is not a JSON object");
  }
  JsonOut j;
  copyConf(j, conf);
  return j.take();
}

std::string topologyJson(const ServerInfo& server, const TopologyData& t, size_t window, bool sys) {
  const auto& info = t.info;
  auto components = componentsOf(t);
  rapidjson::Document conf;
  conf.Parse(t.conf.c_str(), t.conf.size());
  JsonOut j;
  j.startObject();
  topologyHeader(j, headerOf(t));
  windowFields(j, window);
  j.field("msgTimeout", confInt(conf, "topology.message.timeout.secs", 30));
  debugFields(j, info, info.id);
  j.field("user", "").field("host", server.host).field("actionsEnabled", t.actionsEnabled);

  j.key("topologyStats").startArray();
  for (const auto& w : kWindows) {
    // Storm's topology totals: emitted and transferred of every component; acks of spouts.
    Figures all, spouts;
    for (const auto& [id, c] : components) {
      if (!sys && isSystemName(id)) continue;
      Figures f = componentFigures(info, id, w.param, sys);
      all.emitted += f.emitted;
      all.transferred += f.transferred;
      if (c.spout) spouts += f;
    }
    j.startObject().field("window", w.param).field("windowPretty", w.pretty);
    j.field("emitted", all.emitted).field("transferred", all.transferred);
    j.field("acked", spouts.acked).field("failed", spouts.failed);
    j.field("completeLatency", floatStr(spouts.completeLatencyMs())).endObject();
  }
  j.endArray();

  const char* param = kWindows[window].param;
  j.key("spouts").startArray();
  for (const auto& [id, c] : components) {
    if (!c.spout || (!sys && isSystemName(id))) continue;
    Figures f = componentFigures(info, id, param, sys);
    j.startObject().field("spoutId", id).field("encodedSpoutId", id);
    j.field("executors", executorsOf(info, id)).field("tasks", tasksOf(info, id));
    j.field("emitted", f.emitted).field("transferred", f.transferred);
    j.field("acked", f.acked).field("failed", f.failed);
    j.field("completeLatency", floatStr(f.completeLatencyMs()));
    auto errors = errorsOf(info, id);
    errorFields(j, server, errors.empty() ? nullptr : errors.front());
    j.endObject();
  }
  j.endArray();

  j.key("bolts").startArray();
  for (const auto& [id, c] : components) {
    if (c.spout || (!sys && isSystemName(id))) continue;
    Figures f = componentFigures(info, id, param, sys);
    j.startObject().field("boltId", id).field("encodedBoltId", id);
    j.field("executors", executorsOf(info, id)).field("tasks", tasksOf(info, id));
    j.field("emitted", f.emitted).field("transferred", f.transferred);
    j.field("acked", f.acked).field("failed", f.failed).field("executed", f.executed);
    j.field("executeLatency", floatStr(f.executeLatencyMs()));
    j.field("processLatency", floatStr(f.processLatencyMs()));
    j.field("capacity", floatStr(capacityOf(info, id)));
    auto errors = errorsOf(info, id);
    errorFields(j, server, errors.empty() ? nullptr : errors.front());
    j.endObject();
  }
  j.endArray();

  // The workers: the executors grouped by where they run (port 0: not assigned yet).
  std::map<std::pair<std::string, int>, std::vector<const storm::ExecutorSummary*>> workers;
  for (const auto& e : info.executors) {
    if (e.port > 0) workers[{e.host, e.port}].push_back(&e);
  }
  j.key("workers").startArray();
  for (const auto& [where, executors] : workers) {
    std::map<std::string, int> tasks;
    int32_t uptime = 0;
    for (const auto* e : executors) {
      if (sys || !isSystemName(e->component_id)) {
        tasks[e->component_id] += e->executor_info.task_end - e->executor_info.task_start + 1;
      }
      uptime = std::max(uptime, e->uptime_secs);
    }
    j.startObject().field("topologyId", info.id).field("topologyName", info.name);
    j.field("host", where.first).field("port", where.second);
    j.field("supervisorId", supervisorIdOf(t, where.first));
    j.field("executorsTotal", static_cast<int>(executors.size()));
    j.field("uptime", prettyUptime(uptime)).field("uptimeSeconds", static_cast<int64_t>(uptime));
    j.field("workerLogLink", "").key("componentNumTasks").startObject();
    for (const auto& [component, n] : tasks) j.field(component, n);
    j.endObject().endObject();
  }
  j.endArray();

  j.key("configuration");
  if (conf.HasParseError() || !conf.IsObject()) {
    j.startObject().endObject();
  } else {
    copyConf(j, conf);
  }
  j.field("visualizationTable", "").endObject();
  return j.take();
}

std::string componentJson(const ServerInfo& server, const TopologyData& t,
                          const std::string& component, size_t window, bool sys) {
  const auto& info = t.info;
  auto components = componentsOf(t);
  auto found = components.find(component);
  if (found == components.end()) {
    throw ApiError(
        404, fmt::format("topology '{}' has no component '{}'", info.id, shortened(component)));
  }
  bool spout = found->second.spout;
  JsonOut j;
  j.startObject();
  j.field("id", component).field("encodedId", component).field("name", info.name);
  j.field("topologyId", info.id).field("encodedTopologyId", info.id);
  j.field("topologyStatus", info.status).field("componentType", spout ? "spout" : "bolt");
  j.field("executors", executorsOf(info, component)).field("tasks", tasksOf(info, component));
  windowFields(j, window);
  debugFields(j, info, component);
  j.field("eventLogLink", "").field("profilingAndDebuggingCapable", false);
  j.field("profileActionEnabled", false).key("profilerActive").startArray().endArray();
  j.field("user", "").field("host", server.host).field("actionsEnabled", t.actionsEnabled);

  j.key(spout ? "spoutSummary" : "boltStats").startArray();
  for (const auto& w : kWindows) {
    Figures f = componentFigures(info, component, w.param, sys);
    j.startObject().field("window", w.param).field("windowPretty", w.pretty);
    j.field("emitted", f.emitted).field("transferred", f.transferred);
    j.field("acked", f.acked).field("failed", f.failed);
    if (spout) {
      j.field("completeLatency", floatStr(f.completeLatencyMs()));
    } else {
      j.field("executed", f.executed);
      j.field("executeLatency", floatStr(f.executeLatencyMs()));
      j.field("processLatency", floatStr(f.processLatencyMs()));
      j.field("capacity", floatStr(capacityOf(info, component)));
    }
    j.endObject();
  }
  j.endArray();

  // Output stats by stream, input stats by (component, stream), summed over the executors.
  const std::string param = kWindows[window].param;
  // The streams it declares and the inputs it subscribes to, with zeros before any stats (as
  // the local page lists them), and whatever else the stats name.
  std::set<std::string> streams;
  std::set<storm::GlobalStreamId> inputs;
  if (const auto* common = found->second.common) {
    for (const auto& [stream, info] : common->streams) {
      if (sys || !isSystemName(stream)) streams.insert(stream);
    }
    for (const auto& [id, grouping] : common->inputs) {
      if (visibleInput(id, sys)) inputs.insert(id);
    }
  }
  for (const auto& e : info.executors) {
    if (e.component_id != component || !hasStats(e)) continue;
    for (const auto* m : {windowOf(e.stats.emitted, param), windowOf(e.stats.transferred, param)}) {
      if (!m) continue;
      for (const auto& [stream, n] : *m) {
        if (sys || !isSystemName(stream)) streams.insert(stream);
      }
    }
    if (e.stats.specific.__isset.bolt) {
      if (const auto* m = windowOf(e.stats.specific.bolt.executed, param)) {
        for (const auto& [id, n] : *m) {
          if (visibleInput(id, sys)) inputs.insert(id);
        }
      }
    }
  }
  j.key("outputStats").startArray();
  for (const auto& stream : streams) {
    Figures o;
    for (const auto& e : info.executors) {
      if (e.component_id != component || !hasStats(e)) continue;
      auto only = [&stream](const std::string& s) { return s == stream; };
      Figures f;
      outputCounts(f, e.stats, param, only);
      if (e.stats.specific.__isset.spout) {
        Figures a = spoutStreamFigures(e.stats.specific.spout, param, only);
        f.acked = a.acked;
        f.failed = a.failed;
        f.completeMsTotal = a.completeMsTotal;
      }
      o += f;
    }
    writeOutputStatRow(j, stream, rowOf(o), spout);
  }
  j.endArray();
  if (!spout) {
    j.key("inputStats").startArray();
    for (const auto& input : inputs) {
      Figures in;
      for (const auto& e : info.executors) {
        if (e.component_id != component || !hasStats(e) || !e.stats.specific.__isset.bolt) continue;
        in += boltInputFigures(e.stats.specific.bolt, param,
                               [&input](const storm::GlobalStreamId& id) { return id == input; });
      }
      writeInputStatRow(j, input.componentId, input.streamId, rowOf(in));
    }
    j.endArray();
  }

  j.key("executorStats").startArray();
  for (const auto& e : info.executors) {
    if (e.component_id != component) continue;
    Figures f = executorFigures(e, param, sys);
    ExecutorPlace where{executorName(e), static_cast<int64_t>(e.uptime_secs), e.host, e.port};
    writeExecutorRow(j, where, rowOf(f), spout, spout ? 0.0 : executorCapacity(e));
  }
  j.endArray();

  // Newest first, as Storm lists them; each message whole (a Python traceback keeps its lines).
  auto errors = errorsOf(info, component);
  j.key("componentErrors").startArray();
  for (const auto* e : errors) {
    j.startObject().field("error", e->error);
    j.field("errorTime", static_cast<int64_t>(e->error_time_secs));
    j.field("errorHost", e->__isset.host ? e->host : "");
    if (e->__isset.port) {
      j.field("errorPort", e->port);
    } else {
      j.field("errorPort", "");
    }
    j.field("errorLapsedSecs", std::max<int64_t>(0, server.nowSecs - e->error_time_secs));
    j.field("errorWorkerLogLink", "").endObject();
  }
  j.endArray();
  errorFields(j, server, errors.empty() ? nullptr : errors.front());
  j.endObject();
  return j.take();
}

std::string visualizationJson(const TopologyData& t, size_t window, bool sys) {
  const auto& info = t.info;
  const char* param = kWindows[window].param;
  JsonOut j;
  j.startObject();
  for (const auto& [id, c] : componentsOf(t)) {
    if (!sys && isSystemName(id)) continue;
    Figures f = componentFigures(info, id, param, sys);
    j.key(id).startObject();
    j.field(":type", c.spout ? "spout" : "bolt");
    j.field(":capacity", c.spout ? 0.0 : capacityOf(info, id));
    j.field(":latency", c.spout ? f.completeLatencyMs() : f.processLatencyMs());
    j.field(":transferred", f.transferred);
    j.key(":stats").startArray();
    for (const auto& e : info.executors) {
      if (e.component_id != id) continue;
      j.startObject().field(":host", e.host).field(":port", e.port);
      j.field(":uptime_secs", static_cast<int64_t>(e.uptime_secs));
      j.field(":transferred", executorFigures(e, param, sys).transferred).endObject();
    }
    j.endArray();
    j.field(":link", fmt::format("/component.html?topology_id={}&id={}", info.id, id));
    j.key(":inputs").startArray();
    if (c.common) {
      for (const auto& [in, grouping] : c.common->inputs) {
        if (!visibleInput(in, sys)) continue;
        j.startObject().field(":component", in.componentId).field(":stream", in.streamId);
        j.field(":sani-stream", in.streamId).field(":grouping", groupingName(grouping));
        j.endObject();
      }
    }
    j.endArray().endObject();
  }
  j.endObject();
  return j.take();
}

std::string prometheusText(const storm::ClusterSummary& c) {
  metrics::PrometheusText out;
  prometheusText(c, out);
  return out.text();
}

void prometheusText(const storm::ClusterSummary& c, metrics::PrometheusText& out) {
  int slots = 0, used = 0;
  for (const auto& s : c.supervisors) {
    slots += s.num_workers;
    used += s.num_used_workers;
  }
  out.add("squall_cluster_supervisors", "gauge", "Supervisors nimbus knows.", "",
          static_cast<double>(c.supervisors.size()));
  out.add("squall_cluster_slots", "gauge", "Worker slots of the supervisors.", "", slots);
  out.add("squall_cluster_slots_used", "gauge", "Worker slots running a worker.", "", used);
  out.add("squall_cluster_nimbuses", "gauge", "Nimbuses nimbus knows.", "",
          static_cast<double>(c.nimbuses.size()));
  struct Gauge {
    const char* name;
    const char* help;
    int64_t (*value)(const storm::TopologySummary&);
  };
  static const Gauge gauges[] = {
      {"squall_topology_uptime_seconds", "Seconds since the topology started.",
       [](const storm::TopologySummary& t) -> int64_t { return t.uptime_secs; }},
      {"squall_topology_active", "1 when the topology's spouts are active.",
       [](const storm::TopologySummary& t) -> int64_t { return t.status == "ACTIVE"; }},
      {"squall_topology_workers", "Workers assigned to the topology.",
       [](const storm::TopologySummary& t) -> int64_t { return t.num_workers; }},
      {"squall_topology_executors", "Executors of the topology.",
       [](const storm::TopologySummary& t) -> int64_t { return t.num_executors; }},
      {"squall_topology_tasks", "Tasks of the topology.",
       [](const storm::TopologySummary& t) -> int64_t { return t.num_tasks; }},
  };
  for (const auto& g : gauges) {
    for (const auto& t : c.topologies) {
      out.add(g.name, "gauge", g.help,
              fmt::format("topology=\"{}\",id=\"{}\"", metrics::prometheusEscape(validUtf8(t.name)),
                          metrics::prometheusEscape(validUtf8(t.id))),
              std::to_string(g.value(t)));
    }
  }
}

std::string logConfigJson(const storm::LogConfig& config) {
  std::map<std::string, logs::NamedLoggerLevel> levels;
  for (const auto& [name, l] : config.named_logger_level) {
    logs::NamedLoggerLevel& out = levels[name];
    out.targetLevel = l.target_log_level;
    out.resetLevel = l.reset_log_level;
    out.timeoutSecs = l.reset_log_level_timeout_secs;
    out.timeoutEpochMs = l.reset_log_level_timeout_epoch;
  }
  return ui::logConfigJson(levels);
}

storm::LogConfig logConfigRequest(const std::vector<LogConfigChange>& changes) {
  std::map<std::string, storm::LogLevel> named;
  for (const auto& c : changes) {
    storm::LogLevel l;
    if (c.target) {
      l.action = storm::LogLevelAction::UPDATE;
      l.__set_target_log_level(logs::levelName(*c.target));
      l.__set_reset_log_level_timeout_secs(c.timeoutSecs);
    } else {
      l.action = storm::LogLevelAction::REMOVE;
    }
    named[c.logger] = std::move(l);
  }
  storm::LogConfig out;
  out.__set_named_logger_level(std::move(named));
  return out;
}

}  // namespace squall::ui::nimbusapi
