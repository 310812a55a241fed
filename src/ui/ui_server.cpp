#include "ui/ui_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "logs/debug_sampling.h"
#include "logs/log_levels.h"
#include "runtime/local_cluster_impl.h"
#include "ui/bounded_server.h"
#include "ui/log_config_api.h"
#include "ui/prometheus.h"
#include "ui/topology_stats.h"
#include "ui/web_assets.h"

namespace squall::ui {

namespace {

constexpr size_t kMaxSegments = 64;

std::string statusName(TopologyStatus s) {
  switch (s) {
    case TopologyStatus::Active:
      return "ACTIVE";
    case TopologyStatus::Inactive:
      return "INACTIVE";
    case TopologyStatus::Killed:
      return "KILLED";
  }
  return "UNKNOWN";
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// JSONP callbacks are names (Storm's UI passes jQuery's); anything else could inject script.
bool validCallback(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$')) {
      return false;
    }
  }
  return true;
}

std::string shortened(const std::string& s) {
  return validUtf8(s.size() > 200 ? s.substr(0, 200) + "..." : s);
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<std::vector<std::string>> splitPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  std::string seg;
  for (size_t i = 0; i <= target.size(); ++i) {
    if (i == target.size() || target[i] == '/') {
      if (!seg.empty()) {
        if (out.size() >= kMaxSegments) return std::nullopt;
        out.push_back(std::move(seg));
      }
      seg.clear();
      continue;
    }
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return std::nullopt;
      int hi = hexValue(target[i + 1]), lo = hexValue(target[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    seg += c;
  }
  return out;
}

UiServer::UiServer(LocalCluster& cluster, std::string topology, UiOptions options)
    : cluster_(cluster), name_(std::move(topology)), options_(std::move(options)) {
  char buf[256] = {};
  host_ = gethostname(buf, sizeof buf - 1) == 0 ? buf : "localhost";
}

UiServer::~UiServer() {
  stop();
}

void UiServer::start() {
  {
    std::unique_lock lock(topologyMu_);
    internal::RunningTopology* t = cluster_.impl().find(name_);
    if (!t) throw std::runtime_error(fmt::format("no topology named '{}' is running", name_));
    stats_ = std::make_unique<TopologyStats>(*t);
    stormId_ = t->plan().stormId;
  }
  http_ = std::make_unique<BoundedServer>();
  http_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  http_->set_read_timeout(5);
  http_->set_write_timeout(5);
  http_->set_keep_alive_timeout(5);
  http_->set_payload_max_length(64 * 1024);
  auto reply = [this](const httplib::Request& req, httplib::Response& res) {
    auto param = [&](const std::string& k) {
      return req.has_param(k.c_str()) ? req.get_param_value(k.c_str()) : std::string();
    };
    Reply r = handle(req.method, req.target, param, req.body);
    res.status = r.status;
    res.set_content(r.body, r.contentType.c_str());
  };
  // Everything but POST is answered here, before httplib's regex routing (std::regex recurses
  // per character, and paths may be 8 KiB). A POST goes through routing so that its body is
  // read (and bounded) before the reply.
  http_->set_pre_routing_handler([reply](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "POST") return httplib::Server::HandlerResponse::Unhandled;
    reply(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  http_->Post("/.*", reply);
  // httplib's own refusals (400 malformed, 413 body too large, 414 path too long): Storm's shape.
  http_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(errorJson(res.status, "the request was refused by the HTTP layer"),
                      "application/json");
    }
  });
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ < 0) port_ = 0;
  } else if (http_->bind_to_port(options_.host, options_.port)) {
    port_ = options_.port;
  }
  if (port_ <= 0) {
    throw std::runtime_error(
        fmt::format("the UI cannot listen on {}:{} (ui.host, ui.port or --ui): {}", options_.host,
                    options_.port, std::strerror(errno)));
  }
  listener_ = std::thread([this] { http_->listen_after_bind(); });
  sampler_ = std::thread([this] { sampleLoop(); });
}

void UiServer::stop() {
  {
    std::lock_guard lock(samplerMu_);
    if (stopping_) return;
    stopping_ = true;
  }
  samplerCv_.notify_all();
  if (sampler_.joinable()) sampler_.join();
  if (http_) http_->stopAll();
  if (listener_.joinable()) listener_.join();
}

void UiServer::sampleLoop() {
  std::unique_lock lock(samplerMu_);
  while (!stopping_) {
    lock.unlock();
    {
      std::shared_lock t(topologyMu_);
      if (!detached_ && stats_) stats_->sample();
    }
    logs::LogLevels::global().expire();  // levels set with a timeout go back on time
    lock.lock();
    samplerCv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

std::optional<int> UiServer::takeKillRequest() {
  if (!killRequested_.load() || killTaken_.exchange(true)) return std::nullopt;
  return killWaitSecs_.load();
}

void UiServer::detach() {
  std::unique_lock lock(topologyMu_);
  detached_ = true;
}

ServerInfo UiServer::serverInfo() const {
  ServerInfo s;
  s.host = host_;
  s.port = port_;
  s.version = options_.version;
  s.uptimeSecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  s.nowSecs = unixNow();
  return s;
}

// Callers hold topologyMu_ shared.
bool UiServer::snapshot(TopologySnapshot& out, std::initializer_list<size_t> windows) {
  if (detached_ || !stats_) return false;
  internal::RunningTopology* t = cluster_.impl().find(name_);
  if (!t) return false;
  TopologySummary sum = t->summary();
  out.plan = &t->plan();
  out.id = sum.id;
  out.name = sum.name;
  out.status = killRequested_.load() ? "KILLED" : statusName(sum.status);
  out.uptimeSecs = sum.uptimeSecs;
  out.tasksTotal = sum.tasks;
  out.executorsTotal = sum.executors;
  for (const auto& ex : t->executors()) out.executors.push_back(ex->plan());
  out.errors = t->errors();
  out.actionsEnabled = options_.actionsEnabled;
  for (size_t w : windows) out.windows[w] = stats_->window(w);
  return true;
}

UiServer::Reply UiServer::handle(const std::string& method, const std::string& target,
                                 const std::function<std::string(const std::string&)>& param,
                                 const std::string& body) {
  Reply r;
  try {
    auto path = splitPath(target);
    if (!path) throw ApiError(400, "malformed path: a bad %-escape, a NUL or too many segments");
    r = route(method, *path, param, body);
  } catch (const ApiError& e) {
    r = Reply{e.status(), errorJson(e.status(), e.what())};
  } catch (const std::exception& e) {
    r = Reply{500, errorJson(500, e.what())};
  }
  std::string callback = param("callback");
  if (!callback.empty() && r.contentType == "application/json") {
    if (!validCallback(callback)) {
      return Reply{400, errorJson(400, "callback must be a JavaScript name")};
    }
    r.body = fmt::format("{}({});", callback, r.body);
    r.contentType = "application/javascript";
  }
  return r;
}

UiServer::Reply UiServer::route(const std::string& method, const std::vector<std::string>& path,
                                const std::function<std::string(const std::string&)>& param,
                                const std::string& body) {
  bool get = method == "GET" || method == "HEAD";
  auto requireGet = [&] {
    if (!get) throw ApiError(405, fmt::format("{} is not allowed here; use GET", method));
  };
  // The web UI: its page at / and its files under /ui/, all from the binary.
  if (path.empty() || (path.size() == 2 && path[0] == "ui")) {
    requireGet();
    const WebAsset* a = findWebAsset(path.empty() ? "/ui/index.html" : "/ui/" + path[1]);
    if (!a) throw ApiError(404, fmt::format("no such file: /ui/{}", shortened(path[1])));
    return Reply{200, std::string(a->body), std::string(a->contentType)};
  }
  if (path.size() == 1 && path[0] == "metrics") {
    requireGet();
    std::vector<PrometheusInput> inputs;
    std::shared_lock lock(topologyMu_);
    TopologySnapshot t;
    if (snapshot(t, {kAllTime})) {
      PrometheusInput in;
      in.topology = &t;
      in.metrics = t.plan->metrics.snapshot();
      in.metricsDropped = t.plan->metrics.dropped();
      if (options_.kafkaPartitions) in.kafka = options_.kafkaPartitions(t.id);
      inputs.push_back(std::move(in));
    }
    return Reply{200, prometheusText(inputs), "text/plain; version=0.0.4; charset=utf-8"};
  }
  if (path.size() < 3 || path[0] != "api" || path[1] != "v1") {
    throw ApiError(
        404, fmt::format("no such path: /{}", shortened(fmt::format("{}", fmt::join(path, "/")))));
  }
  std::vector<std::string> rest(path.begin() + 2, path.end());
  ServerInfo server = serverInfo();
  if (rest.size() == 2 && rest[1] == "summary" &&
      (rest[0] == "cluster" || rest[0] == "nimbus" || rest[0] == "supervisor" ||
       rest[0] == "topology")) {
    requireGet();
    std::shared_lock lock(topologyMu_);
    std::vector<TopologySnapshot> all(1);
    if (!snapshot(all[0], {})) all.clear();
    if (rest[0] == "cluster") return Reply{200, clusterSummaryJson(server, all)};
    if (rest[0] == "nimbus") return Reply{200, nimbusSummaryJson(server)};
    if (rest[0] == "supervisor") return Reply{200, supervisorSummaryJson(server, all)};
    return Reply{200, topologySummaryJson(server, all)};
  }
  if (rest[0] == "topology" && rest.size() >= 2) return topologyRoute(method, rest, param, body);
  throw ApiError(404, fmt::format("no such path: /api/v1/{}",
                                  shortened(fmt::format("{}", fmt::join(rest, "/")))));
}

UiServer::Reply UiServer::topologyRoute(const std::string& method,
                                        const std::vector<std::string>& rest,
                                        const std::function<std::string(const std::string&)>& param,
                                        const std::string& body) {
  const std::string& id = rest[1];
  bool get = method == "GET" || method == "HEAD";
  auto expect = [&](bool wantGet) {
    if (get != wantGet) {
      throw ApiError(
          405, fmt::format("{} is not allowed here; use {}", method, wantGet ? "GET" : "POST"));
    }
  };
  auto waitArg = [&](const std::string& s) {
    int v = -1;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > 86400) {
      throw ApiError(
          400, fmt::format("wait time '{}' must be whole seconds from 0 to 86400", shortened(s)));
    }
    return v;
  };
  std::string sysParam = param("sys");
  bool sys = sysParam == "1" || sysParam == "true";
  std::shared_lock lock(topologyMu_);
  TopologySnapshot t;
  bool alive = snapshot(t, {});
  if (!alive || (id != t.id && id != t.name)) {
    throw ApiError(404, fmt::format("topology '{}' is not alive", shortened(id)));
  }
  ServerInfo server = serverInfo();
  if (rest.size() == 2) {
    expect(true);
    size_t w = parseWindow(param("window"));
    for (size_t i = 0; i < kWindows.size(); ++i) t.windows[i] = stats_->window(i);
    return Reply{200, topologyJson(server, t, w, sys)};
  }
  const std::string& what = rest[2];
  if (what == "component" && rest.size() == 4) {
    expect(true);
    size_t w = parseWindow(param("window"));
    for (size_t i = 0; i < kWindows.size(); ++i) t.windows[i] = stats_->window(i);
    t.metrics = t.plan->metrics.snapshot();
    return Reply{200, componentJson(server, t, rest[3], w, sys)};
  }
  if ((what == "visualization" || what == "visualization-init") && rest.size() == 3) {
    expect(true);
    size_t w = parseWindow(param("window"));
    t.windows[w] = stats_->window(w);
    if (t.windows[kTenMinutes].empty()) t.windows[kTenMinutes] = stats_->window(kTenMinutes);
    return Reply{200, visualizationJson(server, t, w, sys)};
  }
  if (what == "lag" && rest.size() == 3) {
    expect(true);
    std::vector<KafkaPartitionSample> kafka;
    if (options_.kafkaPartitions) kafka = options_.kafkaPartitions(t.id);
    return Reply{200, lagJson(t, kafka)};
  }
  if (what == "logconfig" && rest.size() == 3) {
    if (!get) {
      if (!options_.actionsEnabled) {
        throw ApiError(403, fmt::format("cannot change the log levels of topology '{}': actions "
                                        "are disabled (ui.actions.enabled is false)",
                                        t.id));
      }
      applyLogConfig(body, logs::LogLevels::global());
      spdlog::info("topology '{}': log levels changed over HTTP: {}", t.name, shortened(body));
    }
    return Reply{200, logConfigJson(logs::LogLevels::global().config())};
  }
  // Storm's debug/enable|disable/:percent for the topology, or for one component.
  bool componentDebug = what == "component" && rest.size() == 7 && rest[4] == "debug";
  if ((what == "debug" && rest.size() == 5) || componentDebug) {
    expect(false);
    if (!options_.actionsEnabled) {
      throw ApiError(403, fmt::format("cannot change debug of topology '{}': actions are "
                                      "disabled (ui.actions.enabled is false)",
                                      t.id));
    }
    const std::string& action = rest[rest.size() - 2];
    const std::string& pctText = rest.back();
    if (action != "enable" && action != "disable") {
      throw ApiError(404,
                     fmt::format("no such path: debug/{} (enable or disable)", shortened(action)));
    }
    char* end = nullptr;
    double pct = std::strtod(pctText.c_str(), &end);
    if (pctText.empty() || *end != '\0' || !(pct >= 0 && pct <= 100)) {
      throw ApiError(400, fmt::format("sampling percentage '{}' must be a number from 0 to 100",
                                      shortened(pctText)));
    }
    auto& sampling = logs::DebugSampling::global();
    if (componentDebug) {
      if (!t.plan->findComponent(rest[3])) {
        throw ApiError(
            404, fmt::format("topology '{}' has no component '{}'", t.id, shortened(rest[3])));
      }
      sampling.setComponent(rest[3], action == "enable", pct);
    } else {
      sampling.setTopology(action == "enable", pct);
    }
    spdlog::info("topology '{}'{}: debug {}d over HTTP ({} % of tuples)", t.name,
                 componentDebug ? fmt::format(" component '{}'", rest[3]) : std::string(), action,
                 action == "enable" ? pct : 0.0);
    return Reply{200, actionJson("debug", t.id)};
  }
  bool isAction = ((what == "activate" || what == "deactivate") && rest.size() == 3) ||
                  ((what == "rebalance" || what == "kill") && rest.size() == 4);
  if (!isAction) {
    throw ApiError(
        404, fmt::format("no such path: /api/v1/topology/{}/{}", shortened(id), shortened(what)));
  }
  expect(false);
  if (!options_.actionsEnabled) {
    throw ApiError(403, fmt::format("cannot {} topology '{}': actions are disabled "
                                    "(ui.actions.enabled is false)",
                                    what, t.id));
  }
  int wait = rest.size() == 4 ? waitArg(rest[3]) : 0;
  if (killRequested_.load()) {
    throw ApiError(500, fmt::format("cannot {} topology '{}': it is being killed", what, t.id));
  }
  if (what == "activate") {
    cluster_.activate(name_);
  } else if (what == "deactivate") {
    cluster_.deactivate(name_);
  } else if (what == "rebalance") {
    throw ApiError(500, fmt::format("cannot rebalance topology '{}': `squall run` holds every "
                                    "executor in one process, so there is nothing to move",
                                    t.id));
  } else {
    killWaitSecs_.store(wait);
    killRequested_.store(true);
    spdlog::info("topology '{}': kill asked for over HTTP, waiting {} s", t.name, wait);
  }
  return Reply{200, actionJson(what, t.id)};
}

}  // namespace squall::ui
