#include "ui/storm_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "logs/debug_sampling.h"
#include "ui/json_out.h"

namespace squall::ui {

using internal::Totals;

namespace {

bool isSystemName(const std::string& s) {
  return s.size() >= 2 && s[0] == '_' && s[1] == '_';
}

std::string floatStr(double v) {
  return fmt::format("{:.3f}", v);
}

std::string executorName(int start, int end) {
  return fmt::format("[{}-{}]", start, end);
}

// What Storm shows for one component, task or stream in one window.
struct Figures {
  Totals out;  // emitted, transferred; spouts' acked, failed, complete latency
  Totals in;   // bolts' executed, acked, failed, execute and process latencies
  uint64_t acked(bool spout) const { return spout ? out.acked : in.acked; }
  uint64_t failed(bool spout) const { return spout ? out.failed : in.failed; }
};

RowFigures rowOf(const Totals& t) {
  RowFigures r;
  r.emitted = static_cast<int64_t>(t.emitted);
  r.transferred = static_cast<int64_t>(t.transferred);
  r.acked = static_cast<int64_t>(t.acked);
  r.failed = static_cast<int64_t>(t.failed);
  r.executed = static_cast<int64_t>(t.executed);
  r.completeMs = t.completeLatencyMs();
  r.executeMs = t.executeLatencyMs();
  r.processMs = t.processLatencyMs();
  return r;
}

// An executor's row: what it sent from `out`, what it executed from `in`.
RowFigures rowOf(const Figures& f, bool spout) {
  RowFigures r = rowOf(f.in);
  r.emitted = static_cast<int64_t>(f.out.emitted);
  r.transferred = static_cast<int64_t>(f.out.transferred);
  r.acked = static_cast<int64_t>(f.acked(spout));
  r.failed = static_cast<int64_t>(f.failed(spout));
  r.completeMs = f.out.completeLatencyMs();
  return r;
}

void addTask(Figures& f, const TaskSample& s, bool sys) {
  for (size_t i = 0; i < s.totals.outputs.size() && i < s.outputStreams->size(); ++i) {
    if (sys || !isSystemName((*s.outputStreams)[i])) f.out += s.totals.outputs[i];
  }
  for (size_t i = 0; i < s.totals.inputs.size() && i < s.inputs->size(); ++i) {
    const auto& [comp, stream] = (*s.inputs)[i];
    if (sys || (!isSystemName(comp) && !isSystemName(stream))) f.in += s.totals.inputs[i];
  }
}

Figures componentFigures(const std::vector<TaskSample>& tasks, const std::string& component,
                         bool sys) {
  Figures f;
  for (const auto& s : tasks) {
    if (s.component == component) addTask(f, s, sys);
  }
  return f;
}

// Storm: the fraction of the last 10 minutes (or the uptime, if shorter) spent in execute().
double executorCapacity(const std::vector<TaskSample>& tasks, int start, double uptimeSecs) {
  uint64_t busy = 0;
  for (const auto& s : tasks) {
    if (s.executorStart == start) busy += s.busyNsTenMinutes;
  }
  double secs = std::min(std::max(uptimeSecs, 1.0), 600.0);
  return static_cast<double>(busy) / 1e9 / secs;
}

// The samples holding busyNsTenMinutes: any filled window has it.
const std::vector<TaskSample>& anyFilled(const TopologySnapshot& t) {
  for (const auto& w : t.windows) {
    if (!w.empty()) return w;
  }
  return t.windows[kAllTime];
}

double capacityOf(const TopologySnapshot& t, const std::string& component) {
  double cap = 0;
  for (const auto& ep : t.executors) {
    if (ep.componentId == component) {
      cap = std::max(cap, executorCapacity(anyFilled(t), ep.startTask, t.uptimeSecs));
    }
  }
  return cap;
}

const ReportedError* lastErrorOf(const TopologySnapshot& t, const std::string& component) {
  for (auto it = t.errors.rbegin(); it != t.errors.rend(); ++it) {
    if (it->component == component) return &*it;
  }
  return nullptr;
}

void errorFields(JsonOut& j, const ServerInfo& server, const ReportedError* e) {
  if (!e) {
    j.field("lastError", "").field("errorHost", "").field("errorPort", "");
    j.field("errorWorkerLogLink", "").key("errorTime").null().key("errorLapsedSecs").null();
    return;
  }
  j.field("lastError", e->message).field("errorHost", server.host).field("errorPort", server.port);
  j.field("errorWorkerLogLink", "").field("errorTime", e->timeSecs);
  j.field("errorLapsedSecs", std::max<int64_t>(0, server.nowSecs - e->timeSecs));
}

int componentTasks(const internal::ComponentPlan& cp) {
  return static_cast<int>(cp.tasks.size());
}
int componentExecutors(const internal::ComponentPlan& cp) {
  return static_cast<int>(cp.executors.size());
}

void topologyHeader(JsonOut& j, const ServerInfo& server, const TopologySnapshot& t) {
  j.field("id", t.id).field("encodedId", t.id).field("owner", "").field("name", t.name);
  j.field("status", t.status).field("uptime", prettyUptime(static_cast<int64_t>(t.uptimeSecs)));
  j.field("uptimeSeconds", static_cast<int64_t>(t.uptimeSecs));
  j.field("tasksTotal", t.tasksTotal).field("workersTotal", 1);
  j.field("executorsTotal", t.executorsTotal).field("replicationCount", 1);
  j.field("schedulerInfo", "").field("stormVersion", server.version);
  j.field("topologyVersion", "");
  j.field("requestedMemOnHeap", 0.0).field("requestedMemOffHeap", 0.0);
  j.field("requestedTotalMem", 0.0).field("requestedCpu", 0.0);
  j.field("assignedMemOnHeap", 0.0).field("assignedMemOffHeap", 0.0);
  j.field("assignedTotalMem", 0.0).field("assignedCpu", 0.0);
}

void windowFields(JsonOut& j, size_t window) {
  j.field("window", kWindows[window].param).field("windowHint", kWindows[window].pretty);
}

}  // namespace

std::string shortened(const std::string& s) {
  return validUtf8(s.size() > 200 ? s.substr(0, 200) + "..." : s);
}

std::string validUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    if (ok && len > 1) {
      // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
      uint32_t cp = c & (0x7F >> len);
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

JsonOut& JsonOut::value(const Value& v) {
  switch (v.type()) {
    case ValueType::Null:
      return null();
    case ValueType::Bool:
      return boolean(v.asBool());
    case ValueType::Int:
      return num(v.asInt());
    case ValueType::Double:
      return dbl(v.asDouble());
    case ValueType::String:
      return str(v.asString());
    case ValueType::Bytes:
      return str(v.asBytes().data);
    case ValueType::BigInt:
      return dbl(v.asDouble());
    case ValueType::List:
      startArray();
      for (const auto& x : v.asList()) value(x);
      return endArray();
    case ValueType::Map:
      startObject();
      for (const auto& [k, x] : v.asMap()) {
        key(k);
        value(x);
      }
      return endObject();
  }
  return null();
}

void writeOutputStatRow(JsonOut& j, const std::string& stream, const RowFigures& f, bool spout) {
  j.startObject().field("stream", stream).field("emitted", f.emitted);
  j.field("transferred", f.transferred);
  if (spout) {
    j.field("acked", f.acked).field("failed", f.failed);
    j.field("completeLatency", floatStr(f.completeMs));
  }
  j.endObject();
}

void writeInputStatRow(JsonOut& j, const std::string& component, const std::string& stream,
                       const RowFigures& f) {
  j.startObject().field("component", component).field("encodedComponentId", component);
  j.field("stream", stream).field("executed", f.executed);
  j.field("acked", f.acked).field("failed", f.failed);
  j.field("executeLatency", floatStr(f.executeMs));
  j.field("processLatency", floatStr(f.processMs));
  j.endObject();
}

void writeExecutorRow(JsonOut& j, const ExecutorPlace& where, const RowFigures& f, bool spout,
                      double capacity) {
  j.startObject().field("id", where.name).field("encodedId", where.name);
  j.field("uptime", prettyUptime(where.uptimeSecs));
  j.field("uptimeSeconds", where.uptimeSecs);
  j.field("host", where.host).field("port", where.port).field("workerLogLink", "");
  j.field("emitted", f.emitted).field("transferred", f.transferred);
  j.field("acked", f.acked).field("failed", f.failed);
  if (spout) {
    j.field("completeLatency", floatStr(f.completeMs));
  } else {
    j.field("executed", f.executed);
    j.field("executeLatency", floatStr(f.executeMs));
    j.field("processLatency", floatStr(f.processMs));
    j.field("capacity", floatStr(capacity));
  }
  j.endObject();
}

std::string prettyUptime(int64_t secs) {
  if (secs < 0) secs = 0;
  int64_t d = secs / 86400, h = secs % 86400 / 3600, m = secs % 3600 / 60, s = secs % 60;
  if (d > 0) return fmt::format("{}d {}h {}m {}s", d, h, m, s);
  if (h > 0) return fmt::format("{}h {}m {}s", h, m, s);
  if (m > 0) return fmt::format("{}m {}s", m, s);
  return fmt::format("{}s", s);
}

const char* statusReason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    default:
      return "Server Error";
  }
}

size_t parseWindow(const std::string& param) {
  if (param.empty()) return kAllTime;
  for (size_t i = 0; i < kWindows.size(); ++i) {
    if (param == kWindows[i].param) return i;
  }
  throw ApiError(400, fmt::format("unknown window '{}': expected 600, 10800, 86400 or :all-time",
                                  param.substr(0, 100)));
}

std::string errorJson(int status, const std::string& message) {
  JsonOut j;
  j.startObject();
  j.field("error", fmt::format("{} {}", status, statusReason(status)));
  j.field("errorMessage", message);
  j.endObject();
  return j.take();
}

bool isSecretKey(std::string_view key) {
  for (std::string_view word : {"auth.payload", "password", "secret"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  return false;
}

std::string configurationJson(const Config& conf) {
  JsonOut j;
  j.startObject();
  for (const auto& [k, v] : conf.values()) {
    j.key(k);
    if (isSecretKey(k)) {
      j.str(kRedacted);
    } else {
      j.value(v);
    }
  }
  j.endObject();
  return j.take();
}

std::string actionJson(const std::string& operation, const std::string& topologyId) {
  JsonOut j;
  j.startObject().field("topologyOperation", operation).field("topologyId", topologyId);
  j.field("status", "success").endObject();
  return j.take();
}

std::string clusterSummaryJson(const ServerInfo& server,
                               const std::vector<TopologySnapshot>& topologies) {
  int executors = 0, tasks = 0;
  for (const auto& t : topologies) {
    executors += t.executorsTotal;
    tasks += t.tasksTotal;
  }
  int slots = topologies.empty() ? 0 : 1;
  JsonOut j;
  j.startObject();
  j.field("stormVersion", server.version).field("user", "");
  // Storm 0.9's fields, still in Storm 2.8's UI fixtures, and printed by `sparse stats`.
  j.field("nimbusUptime", prettyUptime(static_cast<int64_t>(server.uptimeSecs)));
  j.field("nimbusUptimeSeconds", static_cast<int64_t>(server.uptimeSecs));
  j.field("supervisors", 1).field("topologies", static_cast<int>(topologies.size()));
  j.field("slotsTotal", 1).field("slotsUsed", slots).field("slotsFree", 1 - slots);
  j.field("executorsTotal", executors).field("tasksTotal", tasks);
  j.field("schedulerDisplayResource", false);
  j.field("totalMem", 0.0).field("totalCpu", 0.0).field("availMem", 0.0).field("availCpu", 0.0);
  j.field("fragmentedMem", 0.0).field("fragmentedCpu", 0.0);
  j.field("memAssignedPercentUtil", "0.0").field("cpuAssignedPercentUtil", "0.0");
  j.key("bugtracker-url").null().key("central-log-url").null();
  j.endObject();
  return j.take();
}

std::string nimbusSummaryJson(const ServerInfo& server) {
  JsonOut j;
  j.startObject().key("nimbuses").startArray().startObject();
  j.field("host", server.host).field("port", server.port).field("status", "Leader");
  j.field("version", server.version);
  j.field("nimbusUpTime", prettyUptime(static_cast<int64_t>(server.uptimeSecs)));
  j.field("nimbusUpTimeSeconds", static_cast<int64_t>(server.uptimeSecs));
  j.field("nimbusLogLink", "");
  j.endObject().endArray().endObject();
  return j.take();
}

std::string supervisorSummaryJson(const ServerInfo& server,
                                  const std::vector<TopologySnapshot>& topologies) {
  int used = topologies.empty() ? 0 : 1;
  JsonOut j;
  j.startObject().key("supervisors").startArray().startObject();
  j.field("id", server.host + "-local").field("host", server.host);
  j.field("uptime", prettyUptime(static_cast<int64_t>(server.uptimeSecs)));
  j.field("uptimeSeconds", static_cast<int64_t>(server.uptimeSecs));
  j.field("slotsTotal", 1).field("slotsUsed", used).field("slotsFree", 1 - used);
  j.field("totalMem", 0.0).field("totalCpu", 0.0).field("usedMem", 0.0).field("usedCpu", 0.0);
  j.field("availMem", 0.0).field("availCpu", 0.0).field("blacklisted", false);
  j.field("version", server.version).field("logLink", "");
  j.endObject().endArray();
  j.field("schedulerDisplayResource", false).endObject();
  return j.take();
}

std::string topologySummaryJson(const ServerInfo& server,
                                const std::vector<TopologySnapshot>& topologies) {
  JsonOut j;
  j.startObject().key("topologies").startArray();
  for (const auto& t : topologies) {
    j.startObject();
    topologyHeader(j, server, t);
    j.endObject();
  }
  j.endArray().field("schedulerDisplayResource", false).endObject();
  return j.take();
}

std::string topologyJson(const ServerInfo& server, const TopologySnapshot& t, size_t window,
                         bool sys) {
  const auto& plan = *t.plan;
  JsonOut j;
  j.startObject();
  topologyHeader(j, server, t);
  windowFields(j, window);
  j.field("msgTimeout", plan.conf.getInt(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS));
  int pct = logs::DebugSampling::global().topologyPercent();  // Storm's default shown is 10
  j.field("debug", pct > 0).field("samplingPct", pct > 0 ? pct : 10);
  j.field("user", "").field("host", server.host).field("actionsEnabled", t.actionsEnabled);

  j.key("topologyStats").startArray();
  for (size_t w = 0; w < kWindows.size(); ++w) {
    Totals out;
    for (const auto& [id, cp] : plan.components) {
      if (cp.kind != ComponentKind::Spout) continue;
      out += componentFigures(t.windows[w], id, sys).out;
    }
    // Storm's topology totals: emitted and transferred of every component; acks of spouts.
    Totals all;
    for (const auto& [id, cp] : plan.components) {
      if (cp.system && !sys) continue;
      all += componentFigures(t.windows[w], id, sys).out;
    }
    j.startObject().field("window", kWindows[w].param).field("windowPretty", kWindows[w].pretty);
    j.field("emitted", all.emitted).field("transferred", all.transferred);
    j.field("acked", out.acked).field("failed", out.failed);
    j.field("completeLatency", floatStr(out.completeLatencyMs()));
    j.endObject();
  }
  j.endArray();

  const auto& samples = t.windows[window];
  j.key("spouts").startArray();
  for (const auto& [id, cp] : plan.components) {
    if (cp.kind != ComponentKind::Spout || (cp.system && !sys)) continue;
    Figures f = componentFigures(samples, id, sys);
    j.startObject().field("spoutId", id).field("encodedSpoutId", id);
    j.field("executors", componentExecutors(cp)).field("tasks", componentTasks(cp));
    j.field("emitted", f.out.emitted).field("transferred", f.out.transferred);
    j.field("acked", f.out.acked).field("failed", f.out.failed);
    j.field("completeLatency", floatStr(f.out.completeLatencyMs()));
    errorFields(j, server, lastErrorOf(t, id));
    j.endObject();
  }
  j.endArray();

  j.key("bolts").startArray();
  for (const auto& [id, cp] : plan.components) {
    if (cp.kind != ComponentKind::Bolt || (cp.system && !sys)) continue;
    Figures f = componentFigures(samples, id, sys);
    j.startObject().field("boltId", id).field("encodedBoltId", id);
    j.field("executors", componentExecutors(cp)).field("tasks", componentTasks(cp));
    j.field("emitted", f.out.emitted).field("transferred", f.out.transferred);
    j.field("acked", f.in.acked).field("failed", f.in.failed).field("executed", f.in.executed);
    j.field("executeLatency", floatStr(f.in.executeLatencyMs()));
    j.field("processLatency", floatStr(f.in.processLatencyMs()));
    j.field("capacity", floatStr(capacityOf(t, id)));
    errorFields(j, server, lastErrorOf(t, id));
    j.endObject();
  }
  j.endArray();

  j.key("workers").startArray().startObject();
  j.field("topologyId", t.id).field("topologyName", t.name).field("host", server.host);
  j.field("port", server.port).field("supervisorId", server.host + "-local");
  j.field("executorsTotal", t.executorsTotal);
  j.field("uptime", prettyUptime(static_cast<int64_t>(t.uptimeSecs)));
  j.field("uptimeSeconds", static_cast<int64_t>(t.uptimeSecs)).field("workerLogLink", "");
  j.key("componentNumTasks").startObject();
  for (const auto& [id, cp] : plan.components) {
    if (!cp.system || sys) j.field(id, componentTasks(cp));
  }
  j.endObject().endObject().endArray();

  j.key("configuration").startObject();
  for (const auto& [k, v] : plan.conf.values()) {
    j.key(k);
    if (isSecretKey(k)) {
      j.str(kRedacted);
    } else {
      j.value(v);
    }
  }
  j.endObject();
  j.field("visualizationTable", "").endObject();
  return j.take();
}

namespace {

// Squall's addition to the component page (Storm's UI shows no user metrics): each task's
// metrics by name, as the registry has them.
void taskMetricsField(JsonOut& j, const std::vector<MetricSample>& metrics,
                      const std::string& component) {
  j.key("taskMetrics").startArray();
  for (const auto& m : metrics) {
    if (m.component != component) continue;
    j.startObject().field("task", m.task).field("name", m.name);
    j.field("type", metricKindName(m.kind));
    j.key("value").value(m.value);
    if (m.kind == MetricKind::Reported) {
      j.field("updates", m.updates).field("time", m.timeSecs);
    } else if (m.kind == MetricKind::Histogram) {
      const auto& h = m.histogram;
      j.field("count", h.count).field("min", h.min).field("max", h.max).field("mean", h.mean);
      j.field("p50", h.p50).field("p75", h.p75).field("p95", h.p95).field("p98", h.p98);
      j.field("p99", h.p99).field("p999", h.p999);
    } else if (m.kind == MetricKind::Meter) {
      j.field("count", m.meter.count).field("m1Rate", m.meter.m1Rate);
      j.field("m5Rate", m.meter.m5Rate).field("m15Rate", m.meter.m15Rate);
      j.field("meanRate", m.meter.meanRate);
    }
    j.endObject();
  }
  j.endArray();
}

}  // namespace

std::string componentJson(const ServerInfo& server, const TopologySnapshot& t,
                          const std::string& component, size_t window, bool sys) {
  const auto& plan = *t.plan;
  const internal::ComponentPlan* cp = plan.findComponent(component);
  if (!cp) {
    throw ApiError(404, fmt::format("topology '{}' has no component '{}'", t.id,
                                    validUtf8(component.substr(0, 200))));
  }
  bool spout = cp->kind == ComponentKind::Spout;
  JsonOut j;
  j.startObject();
  j.field("id", cp->id).field("encodedId", cp->id).field("name", t.name);
  j.field("topologyId", t.id).field("encodedTopologyId", t.id);
  j.field("topologyStatus", t.status).field("componentType", spout ? "spout" : "bolt");
  j.field("executors", componentExecutors(*cp)).field("tasks", componentTasks(*cp));
  windowFields(j, window);
  int pct = logs::DebugSampling::global().componentPercent(cp->id);
  j.field("debug", pct > 0).field("samplingPct", pct > 0 ? pct : 10);
  j.field("eventLogLink", "").field("profilingAndDebuggingCapable", false);
  j.field("profileActionEnabled", false).key("profilerActive").startArray().endArray();
  j.field("user", "").field("host", server.host).field("actionsEnabled", t.actionsEnabled);

  // Per window: Storm's spoutSummary or boltStats.
  j.key(spout ? "spoutSummary" : "boltStats").startArray();
  for (size_t w = 0; w < kWindows.size(); ++w) {
    Figures f = componentFigures(t.windows[w], cp->id, sys);
    j.startObject().field("window", kWindows[w].param).field("windowPretty", kWindows[w].pretty);
    j.field("emitted", f.out.emitted).field("transferred", f.out.transferred);
    j.field("acked", f.acked(spout)).field("failed", f.failed(spout));
    if (spout) {
      j.field("completeLatency", floatStr(f.out.completeLatencyMs()));
    } else {
      j.field("executed", f.in.executed);
      j.field("executeLatency", floatStr(f.in.executeLatencyMs()));
      j.field("processLatency", floatStr(f.in.processLatencyMs()));
      j.field("capacity", floatStr(capacityOf(t, cp->id)));
    }
    j.endObject();
  }
  j.endArray();

  const auto& samples = t.windows[window];
  // Output stats by stream, input stats by (component, stream), summed over the tasks.
  std::map<std::string, Totals> outputs;
  std::map<std::pair<std::string, std::string>, Totals> inputs;
  for (const auto& s : samples) {
    if (s.component != cp->id) continue;
    for (size_t i = 0; i < s.totals.outputs.size() && i < s.outputStreams->size(); ++i) {
      const auto& stream = (*s.outputStreams)[i];
      if (sys || !isSystemName(stream)) outputs[stream] += s.totals.outputs[i];
    }
    for (size_t i = 0; i < s.totals.inputs.size() && i < s.inputs->size(); ++i) {
      const auto& key = (*s.inputs)[i];
      if (sys || (!isSystemName(key.first) && !isSystemName(key.second))) {
        inputs[key] += s.totals.inputs[i];
      }
    }
  }
  j.key("outputStats").startArray();
  for (const auto& [stream, o] : outputs) writeOutputStatRow(j, stream, rowOf(o), spout);
  j.endArray();
  if (!spout) {
    j.key("inputStats").startArray();
    for (const auto& [key, in] : inputs) writeInputStatRow(j, key.first, key.second, rowOf(in));
    j.endArray();
  }

  j.key("executorStats").startArray();
  for (const auto& ep : t.executors) {
    if (ep.componentId != cp->id) continue;
    Figures f;
    for (const auto& s : samples) {
      if (s.executorStart == ep.startTask && s.component == cp->id) addTask(f, s, sys);
    }
    ExecutorPlace where{executorName(ep.startTask, ep.endTask), static_cast<int64_t>(t.uptimeSecs),
                        server.host, server.port};
    writeExecutorRow(j, where, rowOf(f, spout), spout,
                     spout ? 0.0 : executorCapacity(anyFilled(t), ep.startTask, t.uptimeSecs));
  }
  j.endArray();

  // Newest first, as Storm lists them; each message whole (a Python traceback keeps its lines).
  j.key("componentErrors").startArray();
  for (auto it = t.errors.rbegin(); it != t.errors.rend(); ++it) {
    if (it->component != cp->id) continue;
    j.startObject().field("error", it->message).field("errorTime", it->timeSecs);
    j.field("errorHost", server.host).field("errorPort", server.port);
    j.field("errorLapsedSecs", std::max<int64_t>(0, server.nowSecs - it->timeSecs));
    j.field("errorWorkerLogLink", "").field("task", it->task).endObject();
  }
  j.endArray();
  errorFields(j, server, lastErrorOf(t, cp->id));
  taskMetricsField(j, t.metrics, cp->id);
  j.endObject();
  return j.take();
}

std::string visualizationJson(const ServerInfo& server, const TopologySnapshot& t, size_t window,
                              bool sys) {
  const auto& plan = *t.plan;
  const auto& samples = t.windows[window];
  JsonOut j;
  j.startObject();
  for (const auto& [id, cp] : plan.components) {
    if (cp.system && !sys) continue;
    bool spout = cp.kind == ComponentKind::Spout;
    Figures f = componentFigures(samples, id, sys);
    j.key(id).startObject();
    j.field(":type", spout ? "spout" : "bolt");
    j.field(":capacity", spout ? 0.0 : capacityOf(t, id));
    j.field(":latency", spout ? f.out.completeLatencyMs() : f.in.processLatencyMs());
    j.field(":transferred", f.out.transferred);
    j.key(":stats").startArray().startObject();
    j.field(":host", server.host).field(":port", server.port);
    j.field(":uptime_secs", static_cast<int64_t>(t.uptimeSecs));
    j.field(":transferred", f.out.transferred).endObject().endArray();
    j.field(":link", fmt::format("/component.html?topology_id={}&id={}", t.id, id));
    j.key(":inputs").startArray();
    for (const auto& in : cp.inputs) {
      if (!sys && (isSystemName(in.component) || isSystemName(in.stream))) continue;
      j.startObject().field(":component", in.component).field(":stream", in.stream);
      j.field(":sani-stream", in.stream).field(":grouping", groupingTypeName(in.grouping.type));
      j.endObject();
    }
    j.endArray().endObject();
  }
  j.endObject();
  return j.take();
}

std::string spoutLagJson(const std::vector<SpoutLag>& spouts) {
  JsonOut j;
  j.startObject();
  for (const auto& s : spouts) {
    j.key(s.spout).startObject().field("spoutId", s.spout).field("spoutType", "KAFKA");
    if (!s.error.empty()) {
      j.field("errorInfo", validUtf8(s.error)).endObject();
      continue;
    }
    std::map<std::string, std::map<int, const KafkaPartitionSample*>> byTopic;
    for (const auto& p : s.partitions) byTopic[p.topic][p.partition] = &p;
    j.key("spoutLagResult").startObject();
    for (const auto& [topic, parts] : byTopic) {
      j.key(topic).startObject();
      for (const auto& [partition, p] : parts) {
        j.key(std::to_string(partition)).startObject();
        j.field("consumerCommittedOffset", p->committedOffset);
        j.field("logHeadOffset", p->logEndOffset).field("lag", p->lag).endObject();
      }
      j.endObject();
    }
    j.endObject().endObject();
  }
  j.endObject();
  return j.take();
}

std::string lagJson(const TopologySnapshot& t, const std::vector<KafkaPartitionSample>& kafka) {
  // Partitions are dealt among a spout's tasks: merge them per spout.
  std::map<std::string, std::map<std::pair<std::string, int>, KafkaPartitionSample>> bySpout;
  for (const auto& p : kafka) bySpout[p.component][{p.topic, p.partition}] = p;
  std::vector<SpoutLag> spouts;
  for (auto& [spout, parts] : bySpout) {
    if (!t.plan->findComponent(spout)) continue;
    SpoutLag& s = spouts.emplace_back();
    s.spout = spout;
    for (auto& [tp, p] : parts) s.partitions.push_back(std::move(p));
  }
  return spoutLagJson(spouts);
}

}  // namespace squall::ui
