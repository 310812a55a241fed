#include "ui/metrics_server.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ui/bounded_server.h"

namespace squall::ui {

MetricsServer::MetricsServer(MetricsServerOptions options, std::function<std::string()> render)
    : options_(std::move(options)), render_(std::move(render)) {}

MetricsServer::~MetricsServer() {
  stop();
}

MetricsServer::Reply MetricsServer::handle(const std::string& method, const std::string& path) {
  // The query string (Prometheus sends none, a browser may) does not change the answer.
  std::string p = path.substr(0, path.find('?'));
  if (p != "/metrics") return {404, "not found: this port serves /metrics only\n", "text/plain"};
  if (method != "GET" && method != "HEAD") return {405, "use GET\n", "text/plain"};
  try {
    return {200, render_()};
  } catch (const std::exception& e) {
    return {500, fmt::format("metrics: {}\n", e.what()), "text/plain"};
  }
}

void MetricsServer::start() {
  http_ = std::make_unique<BoundedServer>();
  http_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  http_->set_read_timeout(5);
  http_->set_write_timeout(5);
  http_->set_payload_max_length(4 * 1024);
  // Answered before httplib's regex routing, as UiServer does (no body is read).
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    Reply r = handle(req.method, req.target);
    res.status = r.status;
    res.set_content(r.body, r.contentType.c_str());
    return httplib::Server::HandlerResponse::Handled;
  });
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ < 0) port_ = 0;
  } else if (http_->bind_to_port(options_.host, options_.port)) {
    port_ = options_.port;
  }
  if (port_ <= 0) {
    std::string why = std::strerror(errno);
    http_.reset();
    throw std::runtime_error(
        fmt::format("/metrics cannot listen on {}:{}{}: {}", options_.host, options_.port,
                    options_.setBy.empty() ? "" : " (" + options_.setBy + ")", why));
  }
  listener_ = http_->listenInBackground();
}

void MetricsServer::stop() {
  if (http_) http_->stopAll();
  if (listener_.joinable()) listener_.join();
}

}  // namespace squall::ui
