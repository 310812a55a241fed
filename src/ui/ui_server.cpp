#include "ui/ui_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "logs/log_levels.h"
#include "ui/bounded_server.h"
#include "ui/json_out.h"
#include "ui/local_source.h"
#include "ui/web_assets.h"

namespace squall::ui {

namespace {

constexpr size_t kMaxSegments = 64;

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
    : UiServer(std::make_unique<LocalSource>(cluster, std::move(topology), options.actionsEnabled,
                                             options.kafkaPartitions),
               options) {
  local_ = static_cast<LocalSource*>(source_.get());
}

UiServer::UiServer(std::unique_ptr<UiSource> source, UiOptions options)
    : source_(std::move(source)), options_(std::move(options)) {
  char buf[256] = {};
  host_ = gethostname(buf, sizeof buf - 1) == 0 ? buf : "localhost";
}

UiServer::~UiServer() {
  stop();
}

void UiServer::start() {
  source_->start();
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
  listener_ = http_->listenInBackground();
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
    try {
      source_->tick();
    } catch (const std::exception& e) {
      spdlog::warn("ui: {}", e.what());
    }
    logs::LogLevels::global().expire();  // levels set with a timeout go back on time
    lock.lock();
    samplerCv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

std::optional<int> UiServer::takeKillRequest() {
  return local_ ? local_->takeKillRequest() : std::nullopt;
}

void UiServer::detach() {
  if (local_) local_->detach();
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
    return Reply{200, source_->metrics(), "text/plain; version=0.0.4; charset=utf-8"};
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
    if (rest[0] == "cluster") return Reply{200, source_->clusterSummary(server)};
    if (rest[0] == "nimbus") return Reply{200, source_->nimbusSummary(server)};
    if (rest[0] == "supervisor") return Reply{200, source_->supervisorSummary(server)};
    return Reply{200, source_->topologySummary(server)};
  }
  if (rest.size() == 2 && rest[0] == "cluster" && rest[1] == "configuration") {
    requireGet();
    return Reply{200, source_->clusterConfiguration()};
  }
  if (rest[0] == "topology" && rest.size() >= 2) return topologyRoute(method, rest, param, body);
  throw ApiError(404, fmt::format("no such path: /api/v1/{}",
                                  shortened(fmt::format("{}", fmt::join(rest, "/")))));
}

UiServer::Reply UiServer::topologyRoute(const std::string& method,
                                        const std::vector<std::string>& rest,
                                        const std::function<std::string(const std::string&)>& param,
                                        const std::string& body) {
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
  // The topology first: an unknown one is 404 whatever is asked of it.
  std::string id = source_->resolve(rest[1]);
  ServerInfo server = serverInfo();
  if (rest.size() == 2) {
    expect(true);
    return Reply{200, source_->topology(server, id, parseWindow(param("window")), sys)};
  }
  const std::string& what = rest[2];
  if (what == "component" && rest.size() == 4) {
    expect(true);
    return Reply{200, source_->component(server, id, rest[3], parseWindow(param("window")), sys)};
  }
  if ((what == "visualization" || what == "visualization-init") && rest.size() == 3) {
    expect(true);
    return Reply{200, source_->visualization(server, id, parseWindow(param("window")), sys)};
  }
  if (what == "lag" && rest.size() == 3) {
    expect(true);
    return Reply{200, source_->lag(id)};
  }
  if (what == "logconfig" && rest.size() == 3) {
    if (!get && !options_.actionsEnabled) {
      throw ApiError(403, fmt::format("cannot change the log levels of topology '{}': actions "
                                      "are disabled (ui.actions.enabled is false)",
                                      id));
    }
    return Reply{200, source_->logConfig(id, get ? nullptr : &body)};
  }
  // Storm's debug/enable|disable/:percent for the topology, or for one component.
  bool componentDebug = what == "component" && rest.size() == 7 && rest[4] == "debug";
  if ((what == "debug" && rest.size() == 5) || componentDebug) {
    expect(false);
    if (!options_.actionsEnabled) {
      throw ApiError(403, fmt::format("cannot change debug of topology '{}': actions are "
                                      "disabled (ui.actions.enabled is false)",
                                      id));
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
    source_->debug(id, componentDebug ? rest[3] : std::string(), action == "enable", pct);
    return Reply{200, actionJson("debug", id)};
  }
  bool isAction = ((what == "activate" || what == "deactivate") && rest.size() == 3) ||
                  ((what == "rebalance" || what == "kill") && rest.size() == 4);
  if (!isAction) {
    throw ApiError(404, fmt::format("no such path: /api/v1/topology/{}/{}", shortened(rest[1]),
                                    shortened(what)));
  }
  expect(false);
  if (!options_.actionsEnabled) {
    throw ApiError(403, fmt::format("cannot {} topology '{}': actions are disabled "
                                    "(ui.actions.enabled is false)",
                                    what, id));
  }
  int wait = rest.size() == 4 ? waitArg(rest[3]) : 0;
  source_->act(id, what, wait);
  return Reply{200, actionJson(what, id)};
}

}  // namespace squall::ui
