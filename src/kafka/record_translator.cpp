// The record translators: default fields, a wrapped function, by-topic dispatch.

#include <fmt/format.h>

#include "squall/errors.h"
#include "squall/kafka_spout.h"

namespace squall::kafka {

namespace {

Value payload(const std::optional<std::string>& s, bool bytes) {
  if (!s) return Value();
  if (bytes) return Value(Bytes{*s});
  return Value(*s);
}

Value payload(std::optional<std::string>&& s, bool bytes) {
  if (!s) return Value();
  if (bytes) return Value(Bytes{std::move(*s)});
  return Value(std::move(*s));
}

}  // namespace

const Fields& DefaultRecordTranslator::fields() {
  static const Fields f{"topic", "partition", "offset", "key", "value"};
  return f;
}

std::optional<KafkaTuple> DefaultRecordTranslator::apply(const ConsumerRecord& r) const {
  KafkaTuple t;
  t.values.reserve(5);
  t.values.emplace_back(r.topic);
  t.values.emplace_back(static_cast<int64_t>(r.partition));
  t.values.emplace_back(r.offset);
  t.values.push_back(payload(r.key, bytesKey_));
  t.values.push_back(payload(r.value, bytesValue_));
  t.stream = stream_;
  return t;
}

std::optional<KafkaTuple> DefaultRecordTranslator::take(ConsumerRecord&& r) const {
  KafkaTuple t;
  t.values.reserve(5);
  t.values.emplace_back(std::move(r.topic));
  t.values.emplace_back(static_cast<int64_t>(r.partition));
  t.values.emplace_back(r.offset);
  t.values.push_back(payload(std::move(r.key), bytesKey_));
  t.values.push_back(payload(std::move(r.value), bytesValue_));
  t.stream = stream_;
  return t;
}

Fields DefaultRecordTranslator::getFieldsFor(const std::string& stream) const {
  return stream == stream_ ? fields() : Fields{};
}

std::optional<KafkaTuple> SimpleRecordTranslator::apply(const ConsumerRecord& r) const {
  std::optional<Values> v = func_(r);
  if (!v) return std::nullopt;
  return KafkaTuple{std::move(*v), stream_};
}

Fields SimpleRecordTranslator::getFieldsFor(const std::string& stream) const {
  return stream == stream_ ? fields_ : Fields{};
}

ByTopicRecordTranslator::ByTopicRecordTranslator(
    std::shared_ptr<const RecordTranslator> defaultTranslator)
    : default_(std::move(defaultTranslator)) {
  if (!default_) throw IllegalArgumentException("ByTopicRecordTranslator: null default translator");
  addStreams(*default_);
}

ByTopicRecordTranslator::ByTopicRecordTranslator(SimpleRecordTranslator::Func func, Fields fields,
                                                 std::string stream)
    : ByTopicRecordTranslator(std::make_shared<SimpleRecordTranslator>(
          std::move(func), std::move(fields), std::move(stream))) {}

ByTopicRecordTranslator& ByTopicRecordTranslator::forTopic(
    const std::string& topic, std::shared_ptr<const RecordTranslator> translator) {
  if (!translator) throw IllegalArgumentException("ByTopicRecordTranslator: null translator");
  if (byTopic_.count(topic)) {
    throw IllegalArgumentException(
        fmt::format("ByTopicRecordTranslator: topic '{}' is already registered", topic));
  }
  addStreams(*translator);
  byTopic_.emplace(topic, std::move(translator));
  return *this;
}

ByTopicRecordTranslator& ByTopicRecordTranslator::forTopic(const std::string& topic,
                                                           SimpleRecordTranslator::Func func,
                                                           Fields fields, std::string stream) {
  return forTopic(topic, std::make_shared<SimpleRecordTranslator>(std::move(func),
                                                                  std::move(fields),
                                                                  std::move(stream)));
}

void ByTopicRecordTranslator::addStreams(const RecordTranslator& t) {
  for (const auto& s : t.streams()) {
    Fields f = t.getFieldsFor(s);
    auto [it, fresh] = streamFields_.emplace(s, f);
    if (!fresh && it->second != f) {
      throw IllegalArgumentException(fmt::format(
          "ByTopicRecordTranslator: stream '{}' is declared with fields {} and {}", s,
          it->second.toString(), f.toString()));
    }
  }
}

std::optional<KafkaTuple> ByTopicRecordTranslator::apply(const ConsumerRecord& r) const {
  auto it = byTopic_.find(r.topic);
  return (it == byTopic_.end() ? default_ : it->second)->apply(r);
}

std::optional<KafkaTuple> ByTopicRecordTranslator::take(ConsumerRecord&& r) const {
  auto it = byTopic_.find(r.topic);
  return (it == byTopic_.end() ? default_ : it->second)->take(std::move(r));
}

Fields ByTopicRecordTranslator::getFieldsFor(const std::string& stream) const {
  auto it = streamFields_.find(stream);
  return it == streamFields_.end() ? Fields{} : it->second;
}

std::vector<std::string> ByTopicRecordTranslator::streams() const {
  std::vector<std::string> out;
  for (const auto& [s, f] : streamFields_) out.push_back(s);
  return out;
}

}  // namespace squall::kafka
