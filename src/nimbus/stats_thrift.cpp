#include "nimbus/stats_thrift.h"

#include <algorithm>
#include <climits>

namespace squall::nimbus {

namespace {

template <class V>
std::map<std::string, std::map<std::string, V>> byStream(
    const cluster::ByWindow<std::string, V>& m) {
  return {m.begin(), m.end()};
}

template <class V>
std::map<std::string, std::map<storm::GlobalStreamId, V>> byInput(
    const cluster::ByWindow<cluster::StreamId, V>& m) {
  std::map<std::string, std::map<storm::GlobalStreamId, V>> out;
  for (const auto& [window, inputs] : m) {
    auto& into = out[window];
    for (const auto& [id, v] : inputs) {
      storm::GlobalStreamId g;
      g.componentId = id.componentId;
      g.streamId = id.streamId;
      into.emplace(std::move(g), v);
    }
  }
  return out;
}

}  // namespace

storm::ExecutorStats toThrift(const cluster::ExecutorStats& s) {
  storm::ExecutorStats out;
  out.emitted = byStream(s.emitted);
  out.transferred = byStream(s.transferred);
  out.rate = s.rate;
  if (const auto* spout = std::get_if<cluster::SpoutStats>(&s.specific)) {
    storm::SpoutStats x;
    x.acked = byStream(spout->acked);
    x.failed = byStream(spout->failed);
    x.complete_ms_avg = byStream(spout->completeMsAvg);
    out.specific.__set_spout(std::move(x));
  } else {
    const auto& bolt = std::get<cluster::BoltStats>(s.specific);
    storm::BoltStats x;
    x.acked = byInput(bolt.acked);
    x.failed = byInput(bolt.failed);
    x.process_ms_avg = byInput(bolt.processMsAvg);
    x.executed = byInput(bolt.executed);
    x.execute_ms_avg = byInput(bolt.executeMsAvg);
    out.specific.__set_bolt(std::move(x));
  }
  return out;
}

storm::ErrorInfo toThrift(const cluster::ErrorInfo& e) {
  storm::ErrorInfo out;
  out.error = e.error;
  out.error_time_secs = static_cast<int32_t>(std::clamp<int64_t>(e.errorTimeSecs, 0, INT32_MAX));
  if (!e.host.empty()) out.__set_host(e.host);
  if (e.port > 0) out.__set_port(e.port);
  return out;
}

}  // namespace squall::nimbus
