#include "flux/describe.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace squall::flux {

namespace {

std::string groupingText(const GroupingDef& g) {
  switch (g.type) {
    case GroupingType::Fields:
    case GroupingType::PartialKey:
      return fmt::format("{} [{}]", groupingTypeName(g.type), fmt::join(g.fields, ", "));
    case GroupingType::Custom:
      return g.customArgs.empty()
                 ? fmt::format("custom {}", g.customClass)
                 : fmt::format("custom {} {}", g.customClass, toString(g.customArgs));
    default:
      return groupingTypeName(g.type);
  }
}

std::string outputsText(const std::map<std::string, StreamInfo>& streams) {
  if (streams.empty()) return "-";
  std::vector<std::string> parts;
  for (const auto& [name, info] : streams) {
    parts.push_back(
        fmt::format("{}{} {}", name, info.direct ? " (direct)" : "", info.fields.toString()));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

// Left-aligned columns, two spaces apart, indented by two.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = "  ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string dotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

const std::map<std::string, StreamInfo>& outputsOf(const CheckedTopology& checked,
                                                   const std::string& id) {
  static const std::map<std::string, StreamInfo> none;
  auto it = checked.outputs.find(id);
  return it == checked.outputs.end() ? none : it->second;
}

}  // namespace

std::string describeTopology(const TopologyFile& file, const CheckedTopology& checked) {
  std::string out = fmt::format("Topology '{}' ({})\n", file.name, file.path);
  std::vector<std::vector<std::string>> rows = {{"ID", "KIND", "PAR", "TASKS", "CLASS", "OUTPUTS"}};
  for (const auto& def : file.topology.def.components) {
    auto tasks = checked.tasks.find(def.id);
    rows.push_back({def.id, def.kind == ComponentKind::Spout ? "spout" : "bolt",
                    std::to_string(def.parallelism),
                    tasks == checked.tasks.end() ? "?" : std::to_string(tasks->second),
                    file.source(def.id).displayClass.empty() ? def.className
                                                             : file.source(def.id).displayClass,
                    outputsText(outputsOf(checked, def.id))});
  }
  out += "\nComponents:\n" + table(rows);

  std::vector<std::vector<std::string>> streams = {{"FROM", "STREAM", "TO", "GROUPING"}};
  for (const auto& def : file.topology.def.components) {
    for (const auto& in : def.inputs) {
      streams.push_back({in.component, in.stream, def.id, groupingText(in.grouping)});
    }
  }
  out += "\nStreams:\n" + (streams.size() > 1 ? table(streams) : "  (none)\n");

  if (!file.conf.values().empty()) {
    std::vector<std::vector<std::string>> conf;
    for (const auto& [key, value] : file.conf.values()) conf.push_back({key, value.toString()});
    out += "\nConfig:\n" + table(conf);
  }
  bool anyComponentConf = false;
  std::vector<std::vector<std::string>> componentConf;
  for (const auto& def : file.topology.def.components) {
    for (const auto& [key, value] : def.conf) {
      anyComponentConf = true;
      componentConf.push_back({def.id, key, value.toString()});
    }
  }
  if (anyComponentConf) out += "\nComponent config:\n" + table(componentConf);
  if (!checked.runnable()) {
    out += fmt::format(
        "\nNote: this squall was built without the multilang engine, so {} cannot run.\n",
        fmt::join(checked.unavailable, ", "));
  }
  return out;
}

std::string topologyDot(const TopologyFile& file, const CheckedTopology& checked) {
  std::string out = fmt::format("digraph {} {{\n", dotQuote(file.name));
  out += "  rankdir=LR;\n";
  out += "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  for (const auto& def : file.topology.def.components) {
    bool spout = def.kind == ComponentKind::Spout;
    const ComponentSource& src = file.source(def.id);
    std::string cls = src.displayClass.empty() ? def.className : src.displayClass;
    std::string label = fmt::format("{}\n{}\nparallelism {}", def.id, cls, def.parallelism);
    out += fmt::format("  {} [shape={}, label={}];\n", dotQuote(def.id),
                       spout ? "box, style=\"rounded,filled\", fillcolor=\"#dde8f5\"" : "ellipse",
                       dotQuote(label));
  }
  for (const auto& def : file.topology.def.components) {
    for (const auto& in : def.inputs) {
      std::string label = groupingText(in.grouping);
      if (in.stream != "default") label = fmt::format("{}\n{}", in.stream, label);
      const auto& streams = outputsOf(checked, in.component);
      if (auto s = streams.find(in.stream); s != streams.end()) {
        label += fmt::format("\n{}", s->second.fields.toString());
      }
      out += fmt::format("  {} -> {} [label={}];\n", dotQuote(in.component), dotQuote(def.id),
                         dotQuote(label));
    }
  }
  out += "}\n";
  return out;
}

}  // namespace squall::flux
