#include "cluster/worker_report.h"

#include <fmt/format.h>
#include <rapidjson/error/en.h>

#include "cluster/cluster_json.h"
#include "cluster/stats_json.h"

namespace squall::cluster {

std::string boundedErrorText(const std::string& text) {
  if (text.size() <= kMaxErrorChars) return text;
  static const std::string cut = "\n... (cut: the error was longer than 16 KiB)";
  std::string out = text.substr(0, kMaxErrorChars - cut.size());
  // Never end inside a UTF-8 sequence: drop continuation bytes and their lead byte.
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
  return out + cut;
}

std::string toJson(const WorkerReport& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("pid");
  w.Int64(v.pid);
  w.Key("executor_stats");
  writeExecutorStats(w, v.executorStats);
  w.Key("errors");
  w.StartArray();
  for (const auto& e : v.errors) {
    std::string text = boundedErrorText(e.error);
    w.StartObject();
    w.Key("seq");
    w.Uint64(e.seq);
    w.Key("component");
    w.String(e.component.data(), static_cast<rapidjson::SizeType>(e.component.size()));
    w.Key("error");
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    w.Key("error_time_secs");
    w.Int64(e.timeSecs);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

WorkerReport workerReportFromJson(const std::string& json, const std::string& where) {
  if (json.size() > kMaxReportBytes) {
    throwStateError(
        where, fmt::format("is {} bytes, more than a report's {}", json.size(), kMaxReportBytes));
  }
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) {
    throwStateError(where, fmt::format("not JSON at offset {}: {}", d.GetErrorOffset(),
                                       rapidjson::GetParseError_En(d.GetParseError())));
  }
  if (!d.IsObject()) throwStateError(where, "is not a JSON object");
  const rapidjson::Value& doc = d;  // const lookups: C++20 finds == of mutable iterators ambiguous
  WorkerReport r;
  auto pid = doc.FindMember("pid");
  if (pid == doc.MemberEnd() || !pid->value.IsInt64() || pid->value.GetInt64() <= 0) {
    throwStateError(where, "field 'pid' is missing or not a process id");
  }
  r.pid = pid->value.GetInt64();
  if (auto s = doc.FindMember("executor_stats"); s != doc.MemberEnd()) {
    r.executorStats = readExecutorStats(s->value, where + " field 'executor_stats'");
  }
  if (auto errs = doc.FindMember("errors"); errs != doc.MemberEnd()) {
    std::string at = where + " field 'errors'";
    if (!errs->value.IsArray()) throwStateError(at, "is not a list");
    if (errs->value.Size() > kMaxReportErrors) {
      throwStateError(at, fmt::format("has more than {} errors", kMaxReportErrors));
    }
    uint64_t last = 0;
    for (const auto& e : errs->value.GetArray()) {
      if (!e.IsObject()) throwStateError(at, "holds an entry that is not an object");
      auto seq = e.FindMember("seq");
      auto component = e.FindMember("component");
      auto error = e.FindMember("error");
      auto time = e.FindMember("error_time_secs");
      if (seq == e.MemberEnd() || !seq->value.IsUint64() || component == e.MemberEnd() ||
          !component->value.IsString() || error == e.MemberEnd() || !error->value.IsString() ||
          time == e.MemberEnd() || !time->value.IsInt64()) {
        throwStateError(at, "holds an entry without seq, component, error and error_time_secs");
      }
      ReportedComponentError x;
      x.seq = seq->value.GetUint64();
      if (x.seq <= last) throwStateError(at, fmt::format("seq {} does not follow {}", x.seq, last));
      last = x.seq;
      x.component.assign(component->value.GetString(), component->value.GetStringLength());
      if (error->value.GetStringLength() > kMaxErrorChars) {
        throwStateError(at, fmt::format("error {} is longer than {} bytes", x.seq, kMaxErrorChars));
      }
      x.error.assign(error->value.GetString(), error->value.GetStringLength());
      x.timeSecs = time->value.GetInt64();
      r.errors.push_back(std::move(x));
    }
  }
  return r;
}

}  // namespace squall::cluster
