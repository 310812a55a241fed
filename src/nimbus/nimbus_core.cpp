#include "nimbus/nimbus_core.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "nimbus/json_conf.h"
#include "nimbus/log_config_thrift.h"
#include "nimbus/storm_topology_translation.h"

namespace squall::nimbus {
namespace {

template <class E>
[[noreturn]] void fail(const std::string& msg) {
  E e;
  e.msg = msg;
  throw e;
}

int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const Value* confValue(const Map& conf, const char* key) {
  auto it = conf.find(key);
  return it == conf.end() ? nullptr : &it->second;
}

int confInt(const Map& conf, const char* key, int fallback) {
  const Value* v = confValue(conf, key);
  if (v && v->isInt()) return static_cast<int>(std::clamp<int64_t>(v->asInt(), 0, 1 << 30));
  return fallback;
}

Map parseConf(const std::string& json, const std::string& what) {
  if (json.empty()) return {};
  Value v;
  try {
    v = parseJson(json);
  } catch (const std::exception& e) {
    fail<storm::InvalidTopologyException>(fmt::format("{}: {}", what, e.what()));
  }
  if (v.isNull()) return {};
  if (!v.isMap()) fail<storm::InvalidTopologyException>(what + " is not a JSON object");
  return v.asMap();
}

// Tasks of one component: its topology.tasks when set, else its executors (Storm).
int tasksOf(const ComponentDef& c, int executors) {
  int tasks = confInt(c.conf, "topology.tasks", 0);
  return tasks > 0 ? tasks : executors;
}

// The topology's ackers, fixed at submit: normalizeAckers() writes them into the conf nimbus
// keeps. A conf without them (kept before that) counts the workers it was submitted with,
// never the current ones, so a rebalance -n changes no task ids.
int ackersOf(const Map& conf) {
  const Value* v = confValue(conf, "topology.acker.executors");
  if (v && v->isInt()) return static_cast<int>(std::clamp<int64_t>(v->asInt(), 0, 1 << 20));
  return std::max(1, confInt(conf, "topology.workers", 1));
}

// Storm's normalized conf: topology.acker.executors unset (or null) means one acker per worker
// at submit, written down so that every planner (nimbus's scheduler, each worker, later
// rebalances with other worker counts) makes the same acker tasks.
void normalizeAckers(Map& conf, int workers) {
  const Value* v = confValue(conf, "topology.acker.executors");
  if (!v || v->isNull()) conf["topology.acker.executors"] = Value(int64_t{workers});
}

}  // namespace

NimbusCore::NimbusCore(NimbusCoreOptions options, std::shared_ptr<TopologyStore> store)
    : options_(std::move(options)),
      store_(std::move(store)),
      artifacts_((std::filesystem::path(options_.localDir) / "nimbus").string()) {
  if (!options_.nowMs) options_.nowMs = systemNowMs;
  startedMs_ = now();
  timer_ = std::thread([this] { timerLoop(); });
}

NimbusCore::~NimbusCore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  timer_.join();
}

int64_t NimbusCore::now() const {
  return options_.nowMs();
}

void NimbusCore::save(const TopologyRecord& r) {
  store_->put(r);
  if (options_.onChange) options_.onChange(r, false);
}

TopologyRecord NimbusCore::liveByName(const std::string& name) {
  for (auto& r : store_->list()) {
    if (r.name == name) return r;
  }
  fail<storm::NotAliveException>(name + " is not alive");
}

TopologyRecord NimbusCore::byId(const std::string& id) {
  auto r = store_->get(id);
  if (!r) fail<storm::NotAliveException>(id);
  return *r;
}

int64_t NimbusCore::waitMs(const TopologyRecord& r, bool hasWait, int waitSecs) const {
  if (hasWait) return int64_t{std::max(waitSecs, 0)} * 1000;
  Map conf = parseConf(r.jsonConf, "topology conf");
  return int64_t{confInt(conf, "topology.message.timeout.secs", 30)} * 1000;
}

void NimbusCore::submitTopology(const std::string& name, const std::string& uploadedJarLocation,
                                const std::string& jsonConf, const storm::StormTopology& topology,
                                const storm::SubmitOptions& options) {
  if (!isValidTopologyName(name)) {
    fail<storm::InvalidTopologyException>(fmt::format(
        "Topology name '{}' is not valid: it must be non-empty and contain none of / . : \\",
        name));
  }
  Map conf = parseConf(jsonConf, "jsonConf");
  TranslateOptions translate;
  TopologyDef def = toTopologyDef(topology, translate);
  std::string artifact;
  if (!uploadedJarLocation.empty()) {
    auto hash = artifacts_.artifactOf(uploadedJarLocation);
    if (!hash) {
      fail<storm::InvalidTopologyException>(fmt::format(
          "uploadedJarLocation '{}' is not a finished upload of this nimbus (beginFileUpload, "
          "uploadChunk, finishFileUpload)",
          uploadedJarLocation));
    }
    artifact = *hash;
  }
  conf["topology.name"] = name;
  int workers = std::max(1, confInt(conf, "topology.workers", 1));
  normalizeAckers(conf, workers);
  if (options_.validate) {
    try {
      options_.validate(name, def, conf);
    } catch (const storm::InvalidTopologyException&) {
      throw;
    } catch (const std::exception& e) {
      fail<storm::InvalidTopologyException>(e.what());
    }
  }

  std::lock_guard lock(mu_);
  for (const auto& r : store_->list()) {
    if (r.name == name) fail<storm::AlreadyAliveException>(name + " is already alive");
  }
  TopologyRecord r;
  int64_t nowSecs = now() / 1000;
  r.id = fmt::format("{}-{}-{}", name, ++submitted_, nowSecs);
  r.name = name;
  bool inactive = options.initial_status == storm::TopologyInitialStatus::INACTIVE;
  r.status = inactive ? "INACTIVE" : "ACTIVE";
  r.launchTimeSecs = nowSecs;
  r.numWorkers = workers;
  for (const auto& c : def.components) r.componentExecutors[c.id] = c.parallelism;
  if (const Value* user = confValue(conf, "topology.submitter.user"); user && user->isString()) {
    r.owner = user->asString();
  }
  r.artifact = artifact;
  r.jsonConf = toJson(Value(conf));
  r.topology = serializeTopology(topology);
  save(r);
  spdlog::info("Received topology submission for {} ({}), status {}", name, r.id, r.status);
}

void NimbusCore::killTopology(const std::string& name, const storm::KillOptions& options) {
  std::lock_guard lock(mu_);
  TopologyRecord r = liveByName(name);
  // From any status, a kill (again) starts the wait anew; spouts are inactive meanwhile.
  r.status = "KILLED";
  r.action = TopologyRecord::Action::Kill;
  int64_t wait = waitMs(r, options.__isset.wait_secs, options.wait_secs);
  r.actionDueMs = now() + wait;
  save(r);
  wake_.notify_all();
  spdlog::info("Killing topology {} ({}) in {} ms", name, r.id, wait);
}

void NimbusCore::activate(const std::string& name) {
  std::lock_guard lock(mu_);
  TopologyRecord r = liveByName(name);
  if (r.status == "INACTIVE") {
    r.status = "ACTIVE";
    save(r);
  } else if (r.status != "ACTIVE") {
    spdlog::info("activate {}: no transition from {}", name, r.status);  // as Storm: ignored
  }
}

void NimbusCore::deactivate(const std::string& name) {
  std::lock_guard lock(mu_);
  TopologyRecord r = liveByName(name);
  if (r.status == "ACTIVE") {
    r.status = "INACTIVE";
    save(r);
  } else if (r.status != "INACTIVE") {
    spdlog::info("deactivate {}: no transition from {}", name, r.status);
  }
}

void NimbusCore::rebalance(const std::string& name, const storm::RebalanceOptions& options) {
  std::lock_guard lock(mu_);
  TopologyRecord r = liveByName(name);
  if (r.status == "KILLED" || r.status == "REBALANCING") {
    fail<storm::InvalidTopologyException>(
        fmt::format("Topology {} is {}; it cannot be rebalanced now", name, r.status));
  }
  if (options.__isset.num_workers && options.num_workers <= 0) {
    fail<storm::InvalidTopologyException>("Number of workers must be greater than 0");
  }
  if (options.__isset.num_executors) {
    TopologyDef def = toTopologyDef(deserializeTopology(r.topology),
                                    {.shellCwd = {}, .requireRegisteredClasses = false});
    std::set<std::string> ids;  // sorted, as Storm lists them
    for (const auto& c : def.components) ids.insert(c.id);
    std::string valid;
    for (const auto& id : ids) valid += (valid.empty() ? "" : ",") + id;
    for (const auto& [component, n] : options.num_executors) {
      const ComponentDef* c = def.find(component);
      if (!c) {  // Storm's words
        fail<storm::InvalidTopologyException>(fmt::format(
            "Invalid component {} for topology {}, valid values are {}", component, name, valid));
      }
      if (n <= 0) {
        fail<storm::InvalidTopologyException>(
            fmt::format("Number of executors must be greater than 0 (component '{}')", component));
      }
      // Tasks are fixed at submit; an executor runs at least one of them.
      if (int tasks = tasksOf(*c, c->parallelism); n > tasks) {
        fail<storm::InvalidTopologyException>(fmt::format(
            "Number of executors of component '{}' ({}) is more than its number of tasks ({}); "
            "tasks are fixed at submit (topology.tasks, setNumTasks)",
            component, n, tasks));
      }
    }
  }
  r.prevStatus = r.status;
  r.status = "REBALANCING";
  r.action = TopologyRecord::Action::Rebalance;
  r.actionDueMs = now() + waitMs(r, options.__isset.wait_secs, options.wait_secs);
  r.rebalanceWorkers = options.__isset.num_workers ? options.num_workers : 0;
  r.rebalanceExecutors.clear();
  if (options.__isset.num_executors) {
    r.rebalanceExecutors.insert(options.num_executors.begin(), options.num_executors.end());
  }
  save(r);
  wake_.notify_all();
}

void NimbusCore::debug(const std::string& name, const std::string& component, bool enable,
                       double samplingPercentage) {
  std::lock_guard lock(mu_);
  TopologyRecord r = liveByName(name);
  // As Storm's: the topology's own switch under its id, a component's under its name.
  debug_[r.id][component.empty() ? r.id : component] = debugOption(enable, samplingPercentage);
}

std::string NimbusCore::liveId(const std::string& name) {
  std::lock_guard lock(mu_);
  return liveByName(name).id;
}

void NimbusCore::setLogConfig(const std::string& id, const storm::LogConfig& config) {
  std::lock_guard lock(mu_);
  byId(id);
  logConfigs_[id] = logs::mergeLogConfig(logConfigs_[id], fromThrift(config), now());
}

storm::LogConfig NimbusCore::getLogConfig(const std::string& id) {
  std::lock_guard lock(mu_);
  byId(id);
  auto it = logConfigs_.find(id);
  return toThrift(it == logConfigs_.end() ? logs::LogConfig{} : it->second);
}

void NimbusCore::runDueActions() {
  if (options_.mayAct && !options_.mayAct()) return;
  std::lock_guard lock(mu_);
  int64_t t = now();
  for (auto r : store_->list()) {
    if (r.action == TopologyRecord::Action::None || r.actionDueMs > t) continue;
    if (r.action == TopologyRecord::Action::Kill) {
      store_->remove(r.id);
      logConfigs_.erase(r.id);
      debug_.erase(r.id);
      if (options_.onChange) options_.onChange(r, true);
      spdlog::info("Removed topology {} ({})", r.name, r.id);
      continue;
    }
    if (r.rebalanceWorkers > 0) r.numWorkers = r.rebalanceWorkers;
    for (const auto& [component, n] : r.rebalanceExecutors) r.componentExecutors[component] = n;
    r.status = r.prevStatus.empty() ? "ACTIVE" : r.prevStatus;
    r.prevStatus.clear();
    r.action = TopologyRecord::Action::None;
    r.rebalanceWorkers = 0;
    r.rebalanceExecutors.clear();
    save(r);
    spdlog::info("Rebalanced topology {} ({}): {} workers", r.name, r.id, r.numWorkers);
  }
}

void NimbusCore::timerLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    int64_t due = INT64_MAX;
    for (const auto& r : store_->list()) {
      if (r.action != TopologyRecord::Action::None) due = std::min(due, r.actionDueMs);
    }
    int64_t t = now();
    bool act = !options_.mayAct || options_.mayAct();
    if (act && due <= t) {
      lock.unlock();
      runDueActions();
      lock.lock();
      continue;
    }
    // Bounded, so a clock the caller moves (tests) or a leadership won is noticed too.
    int64_t sleepMs = act ? std::clamp<int64_t>(due - t, 1, 1000) : 1000;
    wake_.wait_for(lock, std::chrono::milliseconds(sleepMs));
  }
}

std::string NimbusCore::beginFileUpload() {
  return artifacts_.begin();
}

void NimbusCore::uploadChunk(const std::string& location, const std::string& chunk) {
  artifacts_.append(location, chunk);
}

void NimbusCore::finishFileUpload(const std::string& location) {
  artifacts_.finish(location);
}

storm::BeginDownloadResult NimbusCore::beginBlobDownload(const std::string& key) {
  // Storm's per-topology keys: the id (itself name-N-secs) and what the blob holds.
  static constexpr std::string_view kJar = "-stormjar.jar", kCode = "-stormcode.ser",
                                    kConf = "-stormconf.ser";
  auto notFound = [&] {
    storm::KeyNotFoundException e;
    e.msg = key.substr(0, 256);
    return e;
  };
  auto split = [&](std::string_view suffix) -> std::optional<std::string> {
    if (key.size() > suffix.size() && key.ends_with(suffix))
      return key.substr(0, key.size() - suffix.size());
    return std::nullopt;
  };
  std::optional<std::string> id;
  std::string_view kind;
  for (std::string_view suffix : {kJar, kCode, kConf})
    if ((id = split(suffix))) {
      kind = suffix;
      break;
    }
  if (!id) throw notFound();
  std::optional<TopologyRecord> r;
  {
    std::lock_guard lock(mu_);
    r = store_->get(*id);
  }
  if (!r) throw notFound();
  storm::BeginDownloadResult out;
  out.version = r->launchTimeSecs * 1000;
  if (kind == kJar) {
    if (r->artifact.empty()) throw notFound();  // submitted without an upload
    std::string path = artifacts_.pathOf(r->artifact);
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    out.session = downloads_.openFile(path);
    if (!ec) out.__set_data_size(static_cast<int64_t>(size));
  } else {
    std::string bytes = kind == kCode ? r->topology : r->jsonConf;
    out.__set_data_size(static_cast<int64_t>(bytes.size()));
    out.session = downloads_.openBytes(std::move(bytes));
  }
  return out;
}

std::string NimbusCore::downloadBlobChunk(const std::string& session) {
  return downloads_.next(session);
}

std::string NimbusCore::getNimbusConf() {
  // Any client that reaches the Thrift port may ask; the cluster's ZooKeeper digest (which
  // guards the topologies' secrets) and other credentials are not for it.
  Map shown = options_.conf;
  for (auto& [key, value] : shown) {
    for (std::string_view word : {"auth.payload", "password", "secret"}) {
      if (key.find(word) != std::string::npos) value = Value("########");
    }
  }
  return toJson(Value(shown));
}

storm::ClusterSummary NimbusCore::getClusterInfo() {
  std::lock_guard lock(mu_);
  storm::ClusterSummary out;
  int64_t nowSecs = now() / 1000;
  for (const auto& r : store_->list()) {
    storm::TopologySummary s;
    s.id = r.id;
    s.name = r.name;
    Map conf = parseConf(r.jsonConf, "topology conf");
    storm::StormTopology topology = deserializeTopology(r.topology);
    TopologyDef def = toTopologyDef(topology, {.shellCwd = {}, .requireRegisteredClasses = false});
    int ackers = ackersOf(conf);
    int tasks = ackers, executors = ackers;
    for (const auto& c : def.components) {
      int n = r.componentExecutors.count(c.id) ? r.componentExecutors.at(c.id) : c.parallelism;
      tasks += tasksOf(c, c.parallelism);
      executors += n;
    }
    s.num_tasks = tasks;
    s.num_executors = executors;
    s.num_workers = r.numWorkers;
    s.uptime_secs = static_cast<int32_t>(std::max<int64_t>(0, nowSecs - r.launchTimeSecs));
    s.status = r.status;
    s.__set_owner(r.owner);
    s.__set_storm_version(options_.version);
    s.__set_sched_status("");
    out.topologies.push_back(std::move(s));
  }
  std::sort(out.topologies.begin(), out.topologies.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  out.nimbuses.push_back(getLeader());
  return out;
}

storm::NimbusSummary NimbusCore::getLeader() {
  // Without ZooKeeper this nimbus is the only one, so it leads.
  storm::NimbusSummary s;
  s.host = options_.host;
  s.port = options_.port;
  s.uptime_secs = static_cast<int32_t>((now() - startedMs_) / 1000);
  s.isLeader = true;
  s.version = options_.version;
  return s;
}

bool NimbusCore::isTopologyNameAllowed(const std::string& name) {
  if (!isValidTopologyName(name)) return false;
  std::lock_guard lock(mu_);
  for (const auto& r : store_->list()) {
    if (r.name == name) return false;
  }
  return true;
}

storm::TopologyInfo NimbusCore::getTopologyInfo(const std::string& id) {
  std::lock_guard lock(mu_);
  TopologyRecord r = byId(id);
  Map conf = parseConf(r.jsonConf, "topology conf");
  TopologyDef def = toTopologyDef(deserializeTopology(r.topology),
                                  {.shellCwd = {}, .requireRegisteredClasses = false});
  storm::TopologyInfo info;
  info.id = r.id;
  info.name = r.name;
  int64_t uptime = std::max<int64_t>(0, now() / 1000 - r.launchTimeSecs);
  info.uptime_secs = static_cast<int32_t>(uptime);
  info.status = r.status;
  info.__set_owner(r.owner);
  info.__set_storm_version(options_.version);
  info.__set_sched_status("");
  if (auto d = debug_.find(r.id); d != debug_.end()) {
    info.__set_component_debug(componentDebugThrift(d->second));
  }
  // Executors as Storm numbers them: components sorted by id, task ids from 1, each
  // component's tasks split into contiguous ranges (the first ranges one longer). Where they
  // run is the scheduler's to say; until then host is this nimbus and port 0.
  std::vector<std::pair<std::string, std::pair<int, int>>> components;  // id -> tasks, executors
  for (const auto& c : def.components) {
    int executors =
        r.componentExecutors.count(c.id) ? r.componentExecutors.at(c.id) : c.parallelism;
    components.push_back({c.id, {tasksOf(c, c.parallelism), executors}});
  }
  int ackers = ackersOf(conf);
  if (ackers > 0) components.push_back({"__acker", {ackers, ackers}});
  std::sort(components.begin(), components.end());
  int task = 1;
  for (const auto& [component, counts] : components) {
    auto [tasks, executors] = counts;
    executors = std::max(1, std::min(executors, tasks));
    for (int e = 0; e < executors; ++e) {
      int n = tasks / executors + (e < tasks % executors ? 1 : 0);
      storm::ExecutorSummary s;
      s.executor_info.task_start = task;
      s.executor_info.task_end = task + n - 1;
      task += n;
      s.component_id = component;
      s.host = options_.host;
      s.port = 0;
      s.uptime_secs = info.uptime_secs;
      info.executors.push_back(std::move(s));
    }
  }
  return info;
}

std::string NimbusCore::getTopologyConf(const std::string& id) {
  std::lock_guard lock(mu_);
  return byId(id).jsonConf;
}

storm::StormTopology NimbusCore::getUserTopology(const std::string& id) {
  std::lock_guard lock(mu_);
  return deserializeTopology(byId(id).topology);
}

storm::StormTopology NimbusCore::getTopology(const std::string& id) {
  std::lock_guard lock(mu_);
  TopologyRecord r = byId(id);
  storm::StormTopology t = deserializeTopology(r.topology);
  int ackers = ackersOf(parseConf(r.jsonConf, "topology conf"));
  if (ackers == 0) return t;
  // The system topology adds Storm's acker bolt, subscribed to every component's acking
  // streams (fields grouping on "id"), as Storm's StormCommon.systemTopology does.
  storm::Bolt acker;
  acker.bolt_object.__set_java_object(storm::JavaObject());
  acker.bolt_object.java_object.full_class_name = "org.apache.storm.daemon.Acker";
  storm::Grouping onId;
  onId.__set_fields({"id"});
  auto subscribe = [&](const std::string& component, const char* stream) {
    storm::GlobalStreamId g;
    g.componentId = component;
    g.streamId = stream;
    acker.common.inputs[g] = onId;
  };
  for (const auto& [id, spout] : t.spouts) subscribe(id, "__ack_init");
  for (const auto& [id, bolt] : t.bolts) {
    subscribe(id, "__ack_ack");
    subscribe(id, "__ack_fail");
  }
  for (const char* stream : {"__ack_ack", "__ack_fail"}) {
    storm::StreamInfo info;
    info.output_fields = {"id", "time-delta-ms"};
    info.direct = true;
    acker.common.streams[stream] = info;
  }
  acker.common.__set_parallelism_hint(ackers);
  acker.common.__set_json_conf(fmt::format("{{\"topology.tasks\":{}}}", ackers));
  t.bolts["__acker"] = std::move(acker);
  return t;
}

TopologyDef NimbusCore::topologyDef(const std::string& id) {
  std::lock_guard lock(mu_);
  return topologyDefOf(byId(id));
}

Map topologyConfOf(const TopologyRecord& r) {
  return parseConf(r.jsonConf, "topology conf");
}

TopologyDef topologyDefOf(const TopologyRecord& r) {
  TopologyDef def = toTopologyDef(deserializeTopology(r.topology));
  withExecutors(def, r.componentExecutors);
  return def;
}

void withExecutors(TopologyDef& def, const std::map<std::string, int>& executors) {
  for (auto& c : def.components) {
    auto it = executors.find(c.id);
    if (it == executors.end() || it->second == c.parallelism) continue;
    // The task count stays what the submission made it (Storm: tasks are fixed for the
    // topology's life); only how many executors share those tasks changes.
    c.conf.try_emplace("topology.tasks", Value(int64_t{tasksOf(c, c.parallelism)}));
    c.parallelism = it->second;
  }
}

}  // namespace squall::nimbus
