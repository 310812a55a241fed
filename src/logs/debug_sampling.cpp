#include "logs/debug_sampling.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <utility>

namespace squall::logs {

namespace {

int clampPercent(bool enabled, double percent) {
  if (!enabled || !std::isfinite(percent)) return 0;
  return static_cast<int>(std::lround(std::clamp(percent, 0.0, 100.0)));
}

}  // namespace

DebugSampling& DebugSampling::global() {
  static DebugSampling sampling;
  return sampling;
}

void DebugSampling::setTopology(bool enabled, double percent) {
  topology_.store(clampPercent(enabled, percent), std::memory_order_relaxed);
}

void DebugSampling::setComponent(const std::string& component, bool enabled, double percent) {
  entry(component).store(clampPercent(enabled, percent), std::memory_order_relaxed);
}

void DebugSampling::unsetComponent(const std::string& component) {
  entry(component).store(kUnset, std::memory_order_relaxed);
}

std::atomic<int>& DebugSampling::entry(const std::string& component) {
  std::lock_guard lock(mu_);
  auto& s = components_[component];
  if (!s) s = std::make_unique<std::atomic<int>>(kUnset);
  return *s;
}

const std::atomic<int>* DebugSampling::slot(const std::string& component) {
  return &entry(component);
}

int DebugSampling::componentPercent(const std::string& component) {
  int own = slot(component)->load(std::memory_order_relaxed);
  return own == kUnset ? topologyPercent() : own;
}

bool DebugSampling::sample(const std::atomic<int>* slot) {
  int p = slot ? slot->load(std::memory_order_relaxed) : kUnset;
  if (p == kUnset) p = topology_.load(std::memory_order_relaxed);
  if (p <= 0) return false;
  if (p >= 100) return true;
  thread_local std::minstd_rand rng{std::random_device{}()};
  return static_cast<int>(rng() % 100) < p;
}

void DebugSampling::apply(const DebugOptions& options, const std::string& topologyId) {
  for (const auto& [key, o] : options) {
    if (key == topologyId) {
      setTopology(o.enable, o.samplingPct);
    } else {
      setComponent(key, o.enable, o.samplingPct);
    }
  }
}

std::string debugOptionsToJson(const DebugOptions& options) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [key, o] : options) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.StartObject();
    w.Key("enable");
    w.Bool(o.enable);
    w.Key("samplingpct");
    w.Double(o.samplingPct);
    w.EndObject();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

DebugOptions debugOptionsFromJson(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) {
    throw std::invalid_argument(fmt::format("debug options are not JSON: {} at offset {}",
                                            rapidjson::GetParseError_En(d.GetParseError()),
                                            d.GetErrorOffset()));
  }
  if (!d.IsObject()) throw std::invalid_argument("debug options must be a JSON object");
  DebugOptions out;
  // A const object's members: comparing rapidjson's non-const member iterators is ambiguous in
  // C++20 (clang's -Wambiguous-reversed-operator).
  for (const auto& member : std::as_const(d).GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    const auto& v = member.value;
    if (!v.IsObject() || !v.HasMember("enable") || !v["enable"].IsBool() ||
        !v.HasMember("samplingpct") || !v["samplingpct"].IsNumber()) {
      throw std::invalid_argument(fmt::format(
          "debug options of '{}': expected {{\"enable\": BOOL, \"samplingpct\": NUMBER}}", key));
    }
    out[key] = DebugOption{v["enable"].GetBool(), v["samplingpct"].GetDouble()};
  }
  return out;
}

void DebugSampling::clear() {
  topology_.store(0);
  std::lock_guard lock(mu_);
  for (auto& [name, s] : components_) s->store(kUnset);
}

}  // namespace squall::logs
