#pragma once
// UiSource: what the UI server reads and acts on. UiServer (ui_server.h) owns HTTP, paths,
// methods, `?window=`, `?sys=`, JSONP, the read-only mode and the web UI's files; a source
// answers each REST request with Storm's JSON. Two sources: LocalSource (local_source.h), the
// topology a `squall run` process runs, and NimbusSource (nimbus_source.h), a cluster read
// through nimbus's Thrift API for `squall ui`. Each method may throw ApiError (storm_api.h),
// which the server renders in Storm's error shape; any other exception becomes a 500.
// Methods are called from the server's request threads at once: a source is thread-safe.

#include <string>

#include "ui/storm_api.h"

namespace squall::ui {

class UiSource {
 public:
  virtual ~UiSource() = default;

  // Before the server binds; throws when the source cannot serve (no such topology).
  virtual void start() {}
  // About once a second on the server's thread (LocalSource samples its statistics).
  virtual void tick() {}

  virtual std::string clusterSummary(const ServerInfo& server) = 0;
  virtual std::string nimbusSummary(const ServerInfo& server) = 0;
  virtual std::string supervisorSummary(const ServerInfo& server) = 0;
  virtual std::string topologySummary(const ServerInfo& server) = 0;
  // Storm's /cluster/configuration: the configuration nimbus runs with.
  virtual std::string clusterConfiguration() = 0;

  // The id of the live topology whose id or name is `idOrName`; ApiError 404 when none.
  virtual std::string resolve(const std::string& idOrName) = 0;
  // `id` as resolve() returned it; `window` a kWindows index.
  virtual std::string topology(const ServerInfo& server, const std::string& id, size_t window,
                               bool sys) = 0;
  virtual std::string component(const ServerInfo& server, const std::string& id,
                                const std::string& component, size_t window, bool sys) = 0;
  virtual std::string visualization(const ServerInfo& server, const std::string& id, size_t window,
                                    bool sys) = 0;
  virtual std::string lag(const std::string& id) = 0;
  // activate, deactivate, rebalance or kill (the last two after waitSecs); the server has
  // checked the method and the read-only mode.
  virtual void act(const std::string& id, const std::string& operation, int waitSecs) = 0;
  // Storm's logconfig: the levels, after applying `body` when given (a POST).
  virtual std::string logConfig(const std::string& id, const std::string* body) = 0;
  // Storm's debug sampling for the topology (`component` empty) or one component.
  virtual void debug(const std::string& id, const std::string& component, bool enable,
                     double percent) = 0;
  // The Prometheus text of /metrics.
  virtual std::string metrics() = 0;
};

}  // namespace squall::ui
