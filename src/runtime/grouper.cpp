#include "runtime/grouper.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "runtime/fast_random.h"
#include "squall/errors.h"

namespace squall::internal {

namespace {

// Shuffled once, then strict round-robin: perfectly balanced (Storm's ShuffleGrouping).
class ShuffleGrouper : public Grouper {
 public:
  explicit ShuffleGrouper(std::vector<int> targets) : ring_(std::move(targets)) {
    std::shuffle(ring_.begin(), ring_.end(), std::mt19937_64(rng_.next()));
  }
  void choose(int, const Values&, std::vector<int>& out) override {
    out.push_back(ring_[next_]);
    if (++next_ == ring_.size()) next_ = 0;
  }

 private:
  FastRandom rng_;
  std::vector<int> ring_;
  size_t next_ = 0;
};

// Storm's LoadAwareShuffleGrouping: a ring of slots filled in proportion to per-target
// weights, which drift towards the least-loaded queues; rebuilt about once a second.
// In one process every target is worker-local, so locality scopes collapse to one.
class LoadAwareShuffleGrouper : public Grouper {
 public:
  LoadAwareShuffleGrouper(std::vector<int> targets, TaskLoad load)
      : targets_(std::move(targets)), weights_(targets_.size(), 100), load_(std::move(load)) {
    rebuild();
  }
  void choose(int, const Values&, std::vector<int>& out) override {
    out.push_back(ring_[next_]);
    if (++next_ == ring_.size()) {
      next_ = 0;
      auto now = std::chrono::steady_clock::now();
      if (now >= nextRefresh_) {
        refreshWeights();
        rebuild();
      }
    }
  }

 private:
  void refreshWeights() {
    std::vector<double> loads(targets_.size());
    double minLoad = 1.0;
    for (size_t i = 0; i < targets_.size(); ++i) {
      loads[i] = load_(targets_[i]);
      minLoad = std::min(minLoad, loads[i]);
    }
    for (size_t i = 0; i < targets_.size(); ++i) {
      weights_[i] = loads[i] <= minLoad + 0.05 ? std::min(100, weights_[i] + 1)
                                               : std::max(0, weights_[i] - 10);
    }
  }
  void rebuild() {
    ring_.clear();
    int total = 0;
    for (int w : weights_) total += w;
    size_t slots = targets_.size() == 1 ? 1 : std::max<size_t>(1000, 5 * targets_.size());
    if (total == 0) {
      std::fill(weights_.begin(), weights_.end(), 1);
      total = static_cast<int>(weights_.size());
    }
    for (size_t i = 0; i < targets_.size(); ++i) {
      size_t n = static_cast<size_t>(static_cast<double>(slots) * weights_[i] / total + 0.5);
      ring_.insert(ring_.end(), std::max<size_t>(n, weights_[i] > 0 ? 1 : 0), targets_[i]);
    }
    std::shuffle(ring_.begin(), ring_.end(), std::mt19937_64(rng_.next()));
    next_ = 0;
    nextRefresh_ =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(900 + rng_.below(200));
  }

  FastRandom rng_;
  std::vector<int> targets_;
  std::vector<int> weights_;
  TaskLoad load_;
  std::vector<int> ring_;
  size_t next_ = 0;
  std::chrono::steady_clock::time_point nextRefresh_;
};

std::vector<size_t> positionsOf(const std::vector<std::string>& fields, const Fields& output) {
  std::vector<size_t> pos;
  for (const auto& f : fields) pos.push_back(output.fieldIndex(f));
  return pos;
}

uint64_t keyHash(const std::vector<size_t>& positions, const Values& values) {
  uint64_t h = 0x2545f4914f6cdd1dULL;
  for (size_t p : positions) {
    h = (h ^ values.at(p).hash()) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 32;
  }
  return h;
}

// The same key always reaches the same task.
class FieldsGrouper : public Grouper {
 public:
  FieldsGrouper(std::vector<size_t> positions, std::vector<int> targets)
      : positions_(std::move(positions)), targets_(std::move(targets)) {}
  void choose(int, const Values& values, std::vector<int>& out) override {
    out.push_back(targets_[keyHash(positions_, values) % targets_.size()]);
  }

 private:
  std::vector<size_t> positions_;
  std::vector<int> targets_;
};

// Each key goes to one of two tasks fixed by the key, whichever this producer has sent fewer
// tuples to (Storm's PartialKeyGrouping). No fields: the first value is the key.
class PartialKeyGrouper : public Grouper {
 public:
  PartialKeyGrouper(std::vector<size_t> positions, std::vector<int> targets)
      : positions_(std::move(positions)), targets_(std::move(targets)), sent_(targets_.size()) {
    if (positions_.empty()) positions_.push_back(0);
  }
  void choose(int, const Values& values, std::vector<int>& out) override {
    size_t n = targets_.size();
    uint64_t h = keyHash(positions_, values);
    size_t first = h % n;
    size_t second = (h * 0xff51afd7ed558ccdULL >> 17) % n;
    if (second == first) second = (second + 1) % n;
    size_t pick = sent_[second] < sent_[first] ? second : first;
    ++sent_[pick];
    out.push_back(targets_[pick]);
  }

 private:
  std::vector<size_t> positions_;
  std::vector<int> targets_;
  std::vector<uint64_t> sent_;
};

class AllGrouper : public Grouper {
 public:
  explicit AllGrouper(std::vector<int> targets) : targets_(std::move(targets)) {}
  void choose(int, const Values&, std::vector<int>& out) override {
    out.insert(out.end(), targets_.begin(), targets_.end());
  }

 private:
  std::vector<int> targets_;
};

// The task with the lowest id.
class GlobalGrouper : public Grouper {
 public:
  explicit GlobalGrouper(int target) : target_(target) {}
  void choose(int, const Values&, std::vector<int>& out) override { out.push_back(target_); }

 private:
  int target_;
};

// A uniformly random task.
class NoneGrouper : public Grouper {
 public:
  explicit NoneGrouper(std::vector<int> targets) : targets_(std::move(targets)) {}
  void choose(int, const Values&, std::vector<int>& out) override {
    out.push_back(targets_[rng_.below(static_cast<uint32_t>(targets_.size()))]);
  }

 private:
  FastRandom rng_;
  std::vector<int> targets_;
};

class CustomGrouper : public Grouper {
 public:
  CustomGrouper(std::unique_ptr<CustomStreamGrouping> g, std::vector<int> targets,
                std::string where)
      : g_(std::move(g)), targets_(std::move(targets)), where_(std::move(where)) {}
  void choose(int sourceTask, const Values& values, std::vector<int>& out) override {
    size_t before = out.size();
    g_->chooseTasks(sourceTask, values, out);
    for (size_t i = before; i < out.size(); ++i) {
      if (!std::binary_search(targets_.begin(), targets_.end(), out[i])) {
        throw IllegalArgumentException(fmt::format(
            "custom grouping on {} chose task {}, which does not consume it", where_, out[i]));
      }
    }
  }

 private:
  std::unique_ptr<CustomStreamGrouping> g_;
  std::vector<int> targets_;
  std::string where_;
};

}  // namespace

int fixedChoice(GroupingType type, const std::vector<int>& targets) {
  bool builtIn = type != GroupingType::Direct && type != GroupingType::Custom;
  return builtIn && targets.size() == 1 ? targets.front() : -1;
}

std::unique_ptr<Grouper> makeGrouper(GrouperSpec spec) {
  auto& targets = spec.targets;
  switch (spec.grouping.type) {
    case GroupingType::Shuffle:
    case GroupingType::LocalOrShuffle:
      if (spec.loadAware && spec.load && targets.size() > 1) {
        return std::make_unique<LoadAwareShuffleGrouper>(std::move(targets), std::move(spec.load));
      }
      return std::make_unique<ShuffleGrouper>(std::move(targets));
    case GroupingType::Fields:
      return std::make_unique<FieldsGrouper>(positionsOf(spec.grouping.fields, spec.outputFields),
                                             std::move(targets));
    case GroupingType::PartialKey:
      return std::make_unique<PartialKeyGrouper>(
          positionsOf(spec.grouping.fields, spec.outputFields), std::move(targets));
    case GroupingType::All:
      return std::make_unique<AllGrouper>(std::move(targets));
    case GroupingType::Global:
      return std::make_unique<GlobalGrouper>(targets.front());
    case GroupingType::None:
      return std::make_unique<NoneGrouper>(std::move(targets));
    case GroupingType::Direct:
      return nullptr;
    case GroupingType::Custom:
      spec.custom->prepare(*spec.context, spec.sourceComponent, spec.stream, targets);
      return std::make_unique<CustomGrouper>(std::move(spec.custom), std::move(targets),
                                             spec.sourceComponent + ":" + spec.stream);
  }
  return nullptr;
}

}  // namespace squall::internal
