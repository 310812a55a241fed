#include "flux/yaml_limits.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "flux/names.h"
#include "flux/topology_file.h"

namespace squall::flux {

namespace {

// Counts each node's expanded size (itself plus everything under it, an alias counting as the
// expanded size of its anchor) as the events stream by, so the bound is crossed at the line
// of the alias or node that makes the file too big, without building anything.
class LimitChecker : public YAML::EventHandler {
 public:
  LimitChecker(const std::string& display, const YamlLimits& limits)
      : display_(display), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchorSize_.find(anchor);
    if (it == anchorSize_.end()) {
      // yaml-cpp lets an alias name a list or map that is still open: a cycle.
      fail(mark, "an alias refers to a list or map that contains it");
    }
    add(mark, it->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    uint64_t size;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    throw FluxError({display_, mark.line >= 0 ? mark.line + 1 : 0, {}}, message);
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor) anchorSize_[anchor] = 1;
    add(mark, 1);
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(stack_.size()) >= limits_.maxDepth) {
      fail(mark, fmt::format("lists and maps are nested more than {} deep", limits_.maxDepth));
    }
    stack_.push_back({anchor, 1});
    total_ += 1;
    check(mark);
  }
  void close() {
    Open done = stack_.back();
    stack_.pop_back();
    if (done.anchor) anchorSize_[done.anchor] = done.size;
    if (!stack_.empty()) {
      stack_.back().size = std::min(stack_.back().size + done.size, limits_.maxValues + 1);
    }
  }
  // `total_` is the expanded size of everything read so far. Sizes saturate just above the
  // bound, so no sum can overflow.
  void add(const YAML::Mark& mark, uint64_t size) {
    uint64_t cap = limits_.maxValues + 1;
    size = std::min(size, cap);
    total_ = std::min(total_ + size, cap);
    if (!stack_.empty()) stack_.back().size = std::min(stack_.back().size + size, cap);
    check(mark);
  }
  void check(const YAML::Mark& mark) const {
    if (total_ > limits_.maxValues) {
      fail(mark, fmt::format("the file expands to more than {} values (scalars, lists and maps, "
                             "each alias counted as what it repeats); a topology file may hold "
                             "at most {}",
                             limits_.maxValues, limits_.maxValues));
    }
  }

  const std::string& display_;
  const YamlLimits& limits_;
  std::vector<Open> stack_;
  std::unordered_map<YAML::anchor_t, uint64_t> anchorSize_;
  uint64_t total_ = 0;
};

}  // namespace

void checkYamlLimits(const std::string& text, const std::string& display,
                     const YamlLimits& limits) {
  if (text.size() > limits.maxBytes) {
    throw FluxError({display, 0, {}},
                    fmt::format("the file is {} bytes; a topology file may be at most {} bytes",
                                text.size(), limits.maxBytes));
  }
  // YAML is Unicode text (SnakeYAML refuses other bytes); yaml-cpp would pass them on into
  // names and values.
  if (auto at = invalidUtf8At(text)) {
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + *at, '\n'));
    throw FluxError({display, line, {}}, fmt::format("the file is not valid UTF-8 (byte 0x{:02x})",
                                                     static_cast<unsigned char>(text[*at])));
  }
  std::istringstream in(text);
  YAML::Parser parser(in);
  LimitChecker checker(display, limits);
  parser.HandleNextDocument(checker);  // YAML::Load reads only the first document too
}

}  // namespace squall::flux
