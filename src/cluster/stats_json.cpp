#include "cluster/stats_json.h"

#include <fmt/format.h>

#include <cmath>

#include "cluster/cluster_json.h"

namespace squall::cluster {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeKey(Writer& w, const std::string& s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void writeString(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void writeValue(Writer& w, int64_t v) {
  w.Int64(v);
}
void writeValue(Writer& w, double v) {
  w.Double(std::isfinite(v) ? v : 0.0);
}

// {WINDOW: {STREAM: v}}
template <class V>
void writeByStream(Writer& w, const char* name, const ByWindow<std::string, V>& m) {
  w.Key(name);
  w.StartObject();
  for (const auto& [window, streams] : m) {
    writeKey(w, window);
    w.StartObject();
    for (const auto& [stream, v] : streams) {
      writeKey(w, stream);
      writeValue(w, v);
    }
    w.EndObject();
  }
  w.EndObject();
}

// {WINDOW: [[COMPONENT, STREAM, v], ...]}
template <class V>
void writeByInput(Writer& w, const char* name, const ByWindow<StreamId, V>& m) {
  w.Key(name);
  w.StartObject();
  for (const auto& [window, inputs] : m) {
    writeKey(w, window);
    w.StartArray();
    for (const auto& [id, v] : inputs) {
      w.StartArray();
      writeString(w, id.componentId);
      writeString(w, id.streamId);
      writeValue(w, v);
      w.EndArray();
    }
    w.EndArray();
  }
  w.EndObject();
}

bool knownWindow(std::string_view w) {
  for (const char* k : kStatWindows) {
    if (w == k) return true;
  }
  return false;
}

template <class V>
V readNumber(const rapidjson::Value& v, const std::string& where) {
  if constexpr (std::is_same_v<V, int64_t>) {
    if (!v.IsInt64() || v.GetInt64() < 0) throwStateError(where, "is not a non-negative integer");
    return v.GetInt64();
  } else {
    if (!v.IsNumber() || !std::isfinite(v.GetDouble()) || v.GetDouble() < 0) {
      throwStateError(where, "is not a non-negative number");
    }
    return v.GetDouble();
  }
}

std::string str(const rapidjson::Value& v, const std::string& where) {
  if (!v.IsString()) throwStateError(where, "is not a string");
  return std::string(v.GetString(), v.GetStringLength());
}

// Checks `v` is {WINDOW: X} with known windows; calls each(window, X, where).
template <class F>
void forWindows(const rapidjson::Value* v, const std::string& where, F&& each) {
  if (!v) return;
  if (!v->IsObject()) throwStateError(where, "is not an object of windows");
  for (const auto& m : v->GetObject()) {
    std::string window(m.name.GetString(), m.name.GetStringLength());
    if (!knownWindow(window)) {
      throwStateError(
          where, fmt::format("has window '{}', not one of 600, 10800, 86400, :all-time", window));
    }
    each(window, m.value, fmt::format("{}[{}]", where, window));
  }
}

const rapidjson::Value* member(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it == o.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

template <class V>
ByWindow<std::string, V> readByStream(const rapidjson::Value& o, const char* name,
                                      const std::string& where) {
  ByWindow<std::string, V> out;
  forWindows(
      member(o, name), fmt::format("{} '{}'", where, name),
      [&](const std::string& window, const rapidjson::Value& streams, const std::string& at) {
        if (!streams.IsObject()) throwStateError(at, "is not an object of streams");
        if (streams.MemberCount() > kMaxStatKeys) {
          throwStateError(at, fmt::format("has more than {} streams", kMaxStatKeys));
        }
        auto& into = out[window];
        for (const auto& s : streams.GetObject()) {
          std::string stream(s.name.GetString(), s.name.GetStringLength());
          into[stream] = readNumber<V>(s.value, fmt::format("{}[{}]", at, stream));
        }
      });
  return out;
}

template <class V>
ByWindow<StreamId, V> readByInput(const rapidjson::Value& o, const char* name,
                                  const std::string& where) {
  ByWindow<StreamId, V> out;
  forWindows(member(o, name), fmt::format("{} '{}'", where, name),
             [&](const std::string& window, const rapidjson::Value& rows, const std::string& at) {
               if (!rows.IsArray())
                 throwStateError(at, "is not a list of [component, stream, value]");
               if (rows.Size() > kMaxStatKeys) {
                 throwStateError(at, fmt::format("has more than {} inputs", kMaxStatKeys));
               }
               auto& into = out[window];
               for (const auto& row : rows.GetArray()) {
                 if (!row.IsArray() || row.Size() != 3) {
                   throwStateError(at, "holds an entry that is not [component, stream, value]");
                 }
                 StreamId id{str(row[0], at + " component"), str(row[1], at + " stream")};
                 into[id] = readNumber<V>(
                     row[2], fmt::format("{}[{}:{}]", at, id.componentId, id.streamId));
               }
             });
  return out;
}

}  // namespace

void writeExecutorStats(Writer& w, const std::map<ExecutorRange, ExecutorStats>& stats) {
  w.StartArray();
  for (const auto& [e, s] : stats) {
    w.StartArray();
    w.Int(e.startTask);
    w.Int(e.endTask);
    w.StartObject();
    writeByStream(w, "emitted", s.emitted);
    writeByStream(w, "transferred", s.transferred);
    w.Key("rate");
    writeValue(w, s.rate);
    if (const auto* spout = std::get_if<SpoutStats>(&s.specific)) {
      w.Key("spout");
      w.StartObject();
      writeByStream(w, "acked", spout->acked);
      writeByStream(w, "failed", spout->failed);
      writeByStream(w, "complete_ms_avg", spout->completeMsAvg);
      w.EndObject();
    } else {
      const auto& bolt = std::get<BoltStats>(s.specific);
      w.Key("bolt");
      w.StartObject();
      writeByInput(w, "acked", bolt.acked);
      writeByInput(w, "failed", bolt.failed);
      writeByInput(w, "process_ms_avg", bolt.processMsAvg);
      writeByInput(w, "executed", bolt.executed);
      writeByInput(w, "execute_ms_avg", bolt.executeMsAvg);
      w.EndObject();
    }
    w.EndObject();
    w.EndArray();
  }
  w.EndArray();
}

std::map<ExecutorRange, ExecutorStats> readExecutorStats(const rapidjson::Value& v,
                                                         const std::string& where) {
  if (!v.IsArray()) throwStateError(where, "is not a list");
  if (v.Size() > kMaxStatExecutors) {
    throwStateError(where, fmt::format("has more than {} executors", kMaxStatExecutors));
  }
  std::map<ExecutorRange, ExecutorStats> out;
  for (const auto& row : v.GetArray()) {
    if (!row.IsArray() || row.Size() != 3 || !row[0].IsInt() || !row[1].IsInt() ||
        !row[2].IsObject()) {
      throwStateError(where, "holds an entry that is not [start_task, end_task, {stats}]");
    }
    ExecutorRange e{row[0].GetInt(), row[1].GetInt()};
    std::string at = fmt::format("{} executor [{}-{}]", where, e.startTask, e.endTask);
    if (e.startTask < 1 || e.endTask < e.startTask) throwStateError(at, "is not a task range");
    if (out.count(e)) throwStateError(at, "appears twice");
    const auto& o = row[2];
    ExecutorStats s;
    s.emitted = readByStream<int64_t>(o, "emitted", at);
    s.transferred = readByStream<int64_t>(o, "transferred", at);
    if (const auto* r = member(o, "rate")) s.rate = readNumber<double>(*r, at + " 'rate'");
    const auto* spout = member(o, "spout");
    const auto* bolt = member(o, "bolt");
    if ((spout == nullptr) == (bolt == nullptr))
      throwStateError(at, "needs exactly one of 'spout', 'bolt'");
    if (spout) {
      if (!spout->IsObject()) throwStateError(at + " 'spout'", "is not an object");
      std::string sat = at + " spout";
      s.specific = SpoutStats{readByStream<int64_t>(*spout, "acked", sat),
                              readByStream<int64_t>(*spout, "failed", sat),
                              readByStream<double>(*spout, "complete_ms_avg", sat)};
    } else {
      if (!bolt->IsObject()) throwStateError(at + " 'bolt'", "is not an object");
      std::string bat = at + " bolt";
      BoltStats b;
      b.acked = readByInput<int64_t>(*bolt, "acked", bat);
      b.failed = readByInput<int64_t>(*bolt, "failed", bat);
      b.processMsAvg = readByInput<double>(*bolt, "process_ms_avg", bat);
      b.executed = readByInput<int64_t>(*bolt, "executed", bat);
      b.executeMsAvg = readByInput<double>(*bolt, "execute_ms_avg", bat);
      s.specific = std::move(b);
    }
    out.emplace(e, std::move(s));
  }
  return out;
}

}  // namespace squall::cluster
