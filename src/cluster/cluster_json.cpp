#include "cluster/cluster_json.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cluster/stats_json.h"

namespace squall::cluster {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, const char* k) {
  w.Key(k);
}
void str(Writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void num(Writer& w, const char* k, int64_t v) {
  w.Key(k);
  w.Int64(v);
}
void ints(Writer& w, const char* k, const std::vector<int>& v) {
  w.Key(k);
  w.StartArray();
  for (int x : v) w.Int(x);
  w.EndArray();
}
void intMap(Writer& w, const char* k, const std::map<std::string, int>& m) {
  w.Key(k);
  w.StartObject();
  for (auto& [n, v] : m) {
    w.Key(n.data(), static_cast<rapidjson::SizeType>(n.size()));
    w.Int(v);
  }
  w.EndObject();
}

template <class F>
std::string write(F&& body) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  body(w);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// Typed access to one JSON object, errors naming the node and the field.
class Obj {
 public:
  Obj(const rapidjson::Value& v, std::string where) : v_(v), where_(std::move(where)) {
    if (!v_.IsObject()) fail("", "is not a JSON object");
  }
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw ClusterStateError(field.empty()
                                ? fmt::format("node {}: {}", where_, what)
                                : fmt::format("node {}: field '{}' {}", where_, field, what));
  }
  const rapidjson::Value* find(const char* k) const {
    auto it = v_.FindMember(k);
    return it == v_.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  }
  const rapidjson::Value& need(const char* k) const {
    const auto* v = find(k);
    if (!v) fail(k, "is missing");
    return *v;
  }
  std::string str(const char* k, bool required = true) const {
    const auto* v = required ? &need(k) : find(k);
    if (!v) return {};
    if (!v->IsString()) fail(k, "is not a string");
    return std::string(v->GetString(), v->GetStringLength());
  }
  int64_t i64(const char* k, bool required = true) const {
    const auto* v = required ? &need(k) : find(k);
    if (!v) return 0;
    if (!v->IsInt64()) fail(k, "is not an integer");
    return v->GetInt64();
  }
  int i32(const char* k, bool required = true) const {
    int64_t x = i64(k, required);
    if (x < INT32_MIN || x > INT32_MAX) fail(k, "is out of range");
    return static_cast<int>(x);
  }
  bool boolean(const char* k) const {
    const auto* v = find(k);
    if (!v) return false;
    if (!v->IsBool()) fail(k, "is not a boolean");
    return v->GetBool();
  }
  std::vector<int> ints(const char* k) const {
    std::vector<int> out;
    const auto* v = find(k);
    if (!v) return out;
    if (!v->IsArray()) fail(k, "is not a list");
    for (const auto& x : v->GetArray()) {
      if (!x.IsInt()) fail(k, "holds a non-integer");
      out.push_back(x.GetInt());
    }
    return out;
  }
  std::map<std::string, int> intMap(const char* k) const {
    std::map<std::string, int> out;
    const auto* v = find(k);
    if (!v) return out;
    if (!v->IsObject()) fail(k, "is not an object");
    for (const auto& m : v->GetObject()) {
      if (!m.value.IsInt()) fail(k, "holds a non-integer");
      out[m.name.GetString()] = m.value.GetInt();
    }
    return out;
  }
  const rapidjson::Value& value() const { return v_; }
  const std::string& where() const { return where_; }

 private:
  const rapidjson::Value& v_;
  std::string where_;
};

rapidjson::Document parse(const std::string& json, const std::string& where) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) {
    throw ClusterStateError(fmt::format("node {}: not JSON at offset {}: {}", where,
                                        d.GetErrorOffset(),
                                        rapidjson::GetParseError_En(d.GetParseError())));
  }
  return d;
}

TopologyStatus status(const Obj& o, const char* k) {
  std::string s = o.str(k);
  auto st = parseTopologyStatus(s);
  if (!st) o.fail(k, fmt::format("'{}' is not ACTIVE, INACTIVE, KILLED or REBALANCING", s));
  return *st;
}

// [start, end, ...rest]: an executor's task range and what goes with it.
ExecutorRange range(const Obj& o, const char* k, const rapidjson::Value& row, size_t width) {
  if (!row.IsArray() || row.Size() != width || !row[0].IsInt() || !row[1].IsInt()) {
    o.fail(k, fmt::format("holds an entry that is not [start_task, end_task, ...] of {} items",
                          width));
  }
  return {row[0].GetInt(), row[1].GetInt()};
}

}  // namespace

std::string toJson(const StormBase& v) {
  return write([&](Writer& w) {
    str(w, "name", v.name);
    str(w, "status", topologyStatusName(v.status));
    num(w, "num_workers", v.numWorkers);
    intMap(w, "component_executors", v.componentExecutors);
    num(w, "launch_time_secs", v.launchTimeSecs);
    str(w, "owner", v.owner);
    if (v.prevStatus) str(w, "prev_status", topologyStatusName(*v.prevStatus));
    if (v.actionOptions) {
      const auto& a = *v.actionOptions;
      key(w, "topology_action_options");
      w.StartObject();
      str(w, "action", a.action == TopologyActionOptions::Action::Kill ? "kill" : "rebalance");
      if (a.waitSecs) num(w, "wait_secs", *a.waitSecs);
      if (a.numWorkers) num(w, "num_workers", *a.numWorkers);
      if (!a.numExecutors.empty()) intMap(w, "num_executors", a.numExecutors);
      w.EndObject();
    }
  });
}

StormBase stormBaseFromJson(const std::string& json, const std::string& where) {
  auto d = parse(json, where);
  Obj o(d, where);
  StormBase b;
  b.name = o.str("name");
  b.status = status(o, "status");
  b.numWorkers = o.i32("num_workers");
  b.componentExecutors = o.intMap("component_executors");
  b.launchTimeSecs = o.i64("launch_time_secs");
  b.owner = o.str("owner", false);
  if (o.find("prev_status")) b.prevStatus = status(o, "prev_status");
  if (const auto* a = o.find("topology_action_options")) {
    Obj ao(*a, where + " topology_action_options");
    TopologyActionOptions t;
    std::string action = ao.str("action");
    if (action == "kill") {
      t.action = TopologyActionOptions::Action::Kill;
    } else if (action == "rebalance") {
      t.action = TopologyActionOptions::Action::Rebalance;
    } else {
      ao.fail("action", fmt::format("'{}' is not kill or rebalance", action));
    }
    if (ao.find("wait_secs")) t.waitSecs = ao.i32("wait_secs");
    if (ao.find("num_workers")) t.numWorkers = ao.i32("num_workers");
    t.numExecutors = ao.intMap("num_executors");
    b.actionOptions = t;
  }
  return b;
}

std::string toJson(const Assignment& v) {
  return write([&](Writer& w) {
    str(w, "master_code_dir", v.masterCodeDir);
    key(w, "node_host");
    w.StartObject();
    for (auto& [n, h] : v.nodeHost) {
      w.Key(n.data(), static_cast<rapidjson::SizeType>(n.size()));
      w.String(h.data(), static_cast<rapidjson::SizeType>(h.size()));
    }
    w.EndObject();
    key(w, "executor_node_port");
    w.StartArray();
    for (auto& [e, np] : v.executorNodePort) {
      w.StartArray();
      w.Int(e.startTask);
      w.Int(e.endTask);
      w.String(np.node.data(), static_cast<rapidjson::SizeType>(np.node.size()));
      w.Int(np.port);
      w.EndArray();
    }
    w.EndArray();
    key(w, "executor_start_time_secs");
    w.StartArray();
    for (auto& [e, t] : v.executorStartTimeSecs) {
      w.StartArray();
      w.Int(e.startTask);
      w.Int(e.endTask);
      w.Int64(t);
      w.EndArray();
    }
    w.EndArray();
    str(w, "owner", v.owner);
  });
}

Assignment assignmentFromJson(const std::string& json, const std::string& where) {
  auto d = parse(json, where);
  Obj o(d, where);
  Assignment a;
  a.masterCodeDir = o.str("master_code_dir");
  a.owner = o.str("owner", false);
  if (const auto* nh = o.find("node_host")) {
    if (!nh->IsObject()) o.fail("node_host", "is not an object");
    for (const auto& m : nh->GetObject()) {
      if (!m.value.IsString()) o.fail("node_host", "holds a non-string host");
      a.nodeHost[m.name.GetString()] = m.value.GetString();
    }
  }
  if (const auto* rows = o.find("executor_node_port")) {
    if (!rows->IsArray()) o.fail("executor_node_port", "is not a list");
    for (const auto& row : rows->GetArray()) {
      ExecutorRange e = range(o, "executor_node_port", row, 4);
      if (!row[2].IsString() || !row[3].IsInt()) {
        o.fail("executor_node_port", "holds an entry without a node id and a port");
      }
      a.executorNodePort[e] = NodePort{row[2].GetString(), row[3].GetInt()};
    }
  }
  if (const auto* rows = o.find("executor_start_time_secs")) {
    if (!rows->IsArray()) o.fail("executor_start_time_secs", "is not a list");
    for (const auto& row : rows->GetArray()) {
      ExecutorRange e = range(o, "executor_start_time_secs", row, 3);
      if (!row[2].IsInt64()) o.fail("executor_start_time_secs", "holds a non-integer time");
      a.executorStartTimeSecs[e] = row[2].GetInt64();
    }
  }
  return a;
}

std::string toJson(const SupervisorInfo& v) {
  return write([&](Writer& w) {
    num(w, "time_secs", v.timeSecs);
    str(w, "hostname", v.hostname);
    str(w, "assignment_id", v.assignmentId);
    ints(w, "used_ports", v.usedPorts);
    ints(w, "meta", v.metaPorts);
    num(w, "uptime_secs", v.uptimeSecs);
    str(w, "version", v.version);
    key(w, "resources_map");
    w.StartObject();
    for (auto& [n, x] : v.resources) {
      w.Key(n.data(), static_cast<rapidjson::SizeType>(n.size()));
      w.Double(x);
    }
    w.EndObject();
  });
}

SupervisorInfo supervisorInfoFromJson(const std::string& json, const std::string& where) {
  auto d = parse(json, where);
  Obj o(d, where);
  SupervisorInfo s;
  s.timeSecs = o.i64("time_secs");
  s.hostname = o.str("hostname");
  s.assignmentId = o.str("assignment_id", false);
  s.usedPorts = o.ints("used_ports");
  s.metaPorts = o.ints("meta");
  s.uptimeSecs = o.i64("uptime_secs", false);
  s.version = o.str("version", false);
  if (const auto* r = o.find("resources_map")) {
    if (!r->IsObject()) o.fail("resources_map", "is not an object");
    for (const auto& m : r->GetObject()) {
      if (!m.value.IsNumber()) o.fail("resources_map", "holds a non-number");
      s.resources[m.name.GetString()] = m.value.GetDouble();
    }
  }
  return s;
}

std::string toJson(const WorkerHeartbeat& v) {
  return write([&](Writer& w) {
    str(w, "storm_id", v.stormId);
    key(w, "executors");
    w.StartArray();
    for (auto& e : v.executors) {
      w.StartArray();
      w.Int(e.startTask);
      w.Int(e.endTask);
      w.EndArray();
    }
    w.EndArray();
    num(w, "time_secs", v.timeSecs);
    num(w, "uptime_secs", v.uptimeSecs);
    if (!v.executorStats.empty()) {
      key(w, "executor_stats");
      writeExecutorStats(w, v.executorStats);
    }
  });
}

WorkerHeartbeat workerHeartbeatFromJson(const std::string& json, const std::string& where) {
  auto d = parse(json, where);
  Obj o(d, where);
  WorkerHeartbeat h;
  h.stormId = o.str("storm_id");
  h.timeSecs = o.i64("time_secs");
  h.uptimeSecs = o.i64("uptime_secs", false);
  if (const auto* rows = o.find("executors")) {
    if (!rows->IsArray()) o.fail("executors", "is not a list");
    for (const auto& row : rows->GetArray()) h.executors.push_back(range(o, "executors", row, 2));
  }
  if (const auto* stats = o.find("executor_stats")) {
    h.executorStats =
        readExecutorStats(*stats, fmt::format("node {}: field 'executor_stats'", where));
  }
  return h;
}

std::string toJson(const ErrorInfo& v) {
  return write([&](Writer& w) {
    str(w, "error", v.error);
    num(w, "error_time_secs", v.errorTimeSecs);
    str(w, "host", v.host);
    num(w, "port", v.port);
  });
}

ErrorInfo errorInfoFromJson(const std::string& json, const std::string& where) {
  auto d = parse(json, where);
  Obj o(d, where);
  return ErrorInfo{o.str("error"), o.i64("error_time_secs"), o.str("host", false),
                   o.i32("port", false)};
}

std::string toJson(const NimbusSummary& v) {
  return write([&](Writer& w) {
    str(w, "host", v.host);
    num(w, "port", v.port);
    num(w, "uptime_secs", v.uptimeSecs);
    w.Key("is_leader");
    w.Bool(v.isLeader);
    str(w, "version", v.version);
  });
}

NimbusSummary nimbusSummaryFromJson(const std::string& json, const std::string& where) {
  auto d = parse(json, where);
  Obj o(d, where);
  return NimbusSummary{o.str("host"), o.i32("port"), o.i64("uptime_secs", false),
                       o.boolean("is_leader"), o.str("version", false)};
}

std::string toJson(const BlobReplica& v) {
  return write([&](Writer& w) {
    str(w, "sha256", v.sha256);
    num(w, "size", v.size);
  });
}

void blobReplicaFromJson(const std::string& json, const std::string& where, BlobReplica& into) {
  auto d = parse(json, where);
  Obj o(d, where);
  into.sha256 = o.str("sha256");
  into.size = o.i64("size");
}

std::string toJson(const Credentials& v) {
  return write([&](Writer& w) {
    key(w, "creds");
    w.StartObject();
    for (auto& [k, x] : v.creds) {
      w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      w.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
    }
    w.EndObject();
  });
}

Credentials credentialsFromJson(const std::string& json, const std::string& where) {
  auto d = parse(json, where);
  Obj o(d, where);
  Credentials c;
  const auto& m = o.need("creds");
  if (!m.IsObject()) o.fail("creds", "is not an object");
  for (const auto& e : m.GetObject()) {
    if (!e.value.IsString()) o.fail("creds", "holds a non-string");
    c.creds[e.name.GetString()] = std::string(e.value.GetString(), e.value.GetStringLength());
  }
  return c;
}

[[noreturn]] void throwStateError(const std::string& where, const std::string& what) {
  throw ClusterStateError(fmt::format("{}: {}", where, what));
}

}  // namespace squall::cluster
