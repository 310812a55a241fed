#include "multilang/shell_setup.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "multilang/shell_context.h"
#include "multilang/shell_process.h"

namespace squall::internal {

ShellSetup makeShellSetup(const char* kind, const ShellCommand& spec, const Config& conf,
                          const TopologyContext& context) {
  ShellSetup s;
  s.kind = kind;
  s.component = context.getThisComponentId();
  s.task = context.getThisTaskId();
  s.command = spec.command;
  s.serializer =
      makeSerializer(spec.serializer.empty() ? conf.getString(Config::TOPOLOGY_MULTILANG_SERIALIZER)
                                             : spec.serializer);
  auto timeout = conf.getOptionalInt(Config::TOPOLOGY_SUBPROCESS_TIMEOUT_SECS);
  int64_t secs = timeout ? *timeout : conf.getInt(Config::SUPERVISOR_WORKER_TIMEOUT_SECS);
  s.timeoutNs = secs * 1'000'000'000;
  s.maxMessageBytes =
      static_cast<size_t>(conf.getInt(Config::TOPOLOGY_MULTILANG_MAX_MESSAGE_BYTES));
  s.readCoalesceNs = conf.getInt(Config::SQUALL_MULTILANG_READ_COALESCE_MICROS) * 1000;
  s.replyPollNs = conf.getInt(Config::SQUALL_MULTILANG_REPLY_POLL_MICROS) * 1000;
  s.readerFollowsChild = conf.getBool(Config::SQUALL_MULTILANG_READER_FOLLOWS_CHILD);
  s.conf = confMap(conf);
  s.context = contextMap(context);
  s.topologyContext = &context;
  s.pidDir = pidDirFor(context);
  s.pidDirOwned = context.getPIDDir().empty();
  s.cwd = spec.cwd;
  if (s.cwd.empty() && !context.getCodeDir().empty()) {
    // Storm runs children in the topology's resources directory.
    std::error_code ec;
    std::filesystem::path resources = std::filesystem::path(context.getCodeDir()) / "resources";
    s.cwd =
        std::filesystem::is_directory(resources, ec) ? resources.string() : context.getCodeDir();
  }
  auto env = spec.env;
  env["SQUALL_SERIALIZER"] = s.serializer->name();
  s.env = childEnvironment(env);
  return s;
}

void recordMetric(const ShellSetup& setup, const std::string& name, const Value& params) {
  spdlog::debug("{}: metric '{}' = {}", setup.label(), name, params.toString());
  if (setup.topologyContext) setup.topologyContext->reportMetric(name, params);
}

void declareShellStreams(const ShellCommand& spec, OutputFieldsDeclarer& declarer) {
  for (const auto& [id, info] : spec.streams) declarer.declareStream(id, info.direct, info.fields);
}

}  // namespace squall::internal
