#include "multilang/shell_context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "squall/errors.h"
#include "squall/tuple.h"

namespace squall::internal {

namespace {

bool systemName(const std::string& s) {
  return s.rfind("__", 0) == 0;
}

List fieldList(const Fields& f) {
  List out;
  for (const auto& n : f.toList()) out.emplace_back(n);
  return out;
}

}  // namespace

Value groupingObject(const GroupingDef& g) {
  Map m;
  switch (g.type) {
    case GroupingType::Fields: {
      m["type"] = "FIELDS";
      List fields;
      for (const auto& f : g.fields) fields.emplace_back(f);
      m["fields"] = Value(std::move(fields));
      break;
    }
    case GroupingType::Global:
      // Storm's global grouping is a fields grouping on no fields.
      m["type"] = "FIELDS";
      m["fields"] = Value(List{});
      break;
    case GroupingType::Shuffle:
      m["type"] = "SHUFFLE";
      break;
    case GroupingType::LocalOrShuffle:
      m["type"] = "LOCAL_OR_SHUFFLE";
      break;
    case GroupingType::All:
      m["type"] = "ALL";
      break;
    case GroupingType::None:
      m["type"] = "NONE";
      break;
    case GroupingType::Direct:
      m["type"] = "DIRECT";
      break;
    case GroupingType::PartialKey:
    case GroupingType::Custom:
      // Both are serialised CustomStreamGrouping objects in Storm.
      m["type"] = "CUSTOM_SERIALIZED";
      break;
  }
  return Value(std::move(m));
}

Map contextMap(const TopologyContext& ctx) {
  Map c;
  Map taskToComponent;
  for (const auto& [task, comp] : ctx.getTaskToComponent()) {
    taskToComponent[std::to_string(task)] = comp;
  }
  c["task->component"] = Value(std::move(taskToComponent));
  c["taskid"] = ctx.getThisTaskId();
  const std::string& self = ctx.getThisComponentId();
  c["componentid"] = self;

  List streams;
  Map outputFields;
  for (const auto& s : ctx.getThisStreams()) {
    if (systemName(s)) continue;
    streams.emplace_back(s);
    outputFields[s] = Value(fieldList(ctx.getThisOutputFields(s)));
  }
  c["streams"] = Value(std::move(streams));
  c["stream->outputfields"] = Value(std::move(outputFields));

  Map targets;
  for (const auto& [stream, consumers] : ctx.getThisTargets()) {
    if (systemName(stream)) continue;
    Map byConsumer;
    for (const auto& [consumer, grouping] : consumers) {
      if (systemName(consumer)) continue;
      byConsumer[consumer] = groupingObject(grouping);
    }
    targets[stream] = Value(std::move(byConsumer));
  }
  c["stream->target->grouping"] = Value(std::move(targets));

  std::map<std::string, Map> sources;
  for (const auto& [gsid, grouping] : ctx.getThisSources()) {
    const auto& [component, stream] = gsid;
    if (systemName(component) || systemName(stream)) continue;
    sources[component][stream] = groupingObject(grouping);
  }
  Map sourceGroupings;
  Map sourceFields;
  for (auto& [component, byStream] : sources) {
    Map fields;
    for (const auto& s : ctx.getComponentStreams(component)) {
      if (systemName(s)) continue;
      fields[s] = Value(fieldList(ctx.getComponentOutputFields(component, s)));
    }
    sourceFields[component] = Value(std::move(fields));
    sourceGroupings[component] = Value(std::move(byStream));
  }
  c["source->stream->grouping"] = Value(std::move(sourceGroupings));
  c["source->stream->fields"] = Value(std::move(sourceFields));
  return c;
}

Map confMap(const Config& conf) {
  Map m;
  for (const auto& key : configKeys()) m[key.name] = conf.get(key.name);
  for (const auto& [k, v] : conf.values()) m.insert_or_assign(k, v);
  return m;
}

std::string pidDirFor(const TopologyContext& ctx) {
  std::string dir = ctx.getPIDDir();
  if (dir.empty()) {
    std::string id = ctx.getStormId();
    for (char& ch : id) {
      if (ch == '/') ch = '_';
    }
    dir = fmt::format("/tmp/squall-pids/{}/worker-{}", id, ::getpid());
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw SquallError(fmt::format("cannot create the pid directory '{}': {}", dir, ec.message()));
  }
  return dir;
}

void removePidDirIfEmpty(bool ours, const std::string& dir) {
  if (!ours) return;
  // rmdir only removes empty directories: other tasks' pid files keep theirs alive.
  if (::rmdir(dir.c_str()) == 0) {
    ::rmdir(std::filesystem::path(dir).parent_path().c_str());
  }
}

}  // namespace squall::internal
