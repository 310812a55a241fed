#include "squall/tuple.h"

#include <fmt/format.h>

#include <limits>

#include "squall/errors.h"

namespace squall {

const Value& Tuple::getValue(size_t i) const {
  if (i >= d_->values.size()) {
    throw IllegalArgumentException(
        fmt::format("index {} is out of range: tuple from {}:{} has {} values", i,
                    getSourceComponent(), getSourceStreamId(), d_->values.size()));
  }
  return d_->values[i];
}

const Value& Tuple::getValueByField(std::string_view field) const {
  int i = getFields().indexOf(field);
  if (i < 0) {
    throw IllegalArgumentException(
        fmt::format("field '{}' does not exist in stream {}:{}; its fields are {}", field,
                    getSourceComponent(), getSourceStreamId(), getFields().toString()));
  }
  return getValue(static_cast<size_t>(i));
}

namespace {
int32_t narrow(int64_t v) {
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    throw ClassCastException(fmt::format("value {} does not fit an integer", v));
  }
  return static_cast<int32_t>(v);
}
}  // namespace

int32_t Tuple::getInteger(size_t i) const {
  return narrow(getLong(i));
}
int32_t Tuple::getIntegerByField(std::string_view f) const {
  return narrow(getLongByField(f));
}

bool Tuple::isTick() const {
  return d_->sourceTask == kSystemTaskId && d_->meta->streamId == kTickStream &&
         d_->meta->componentId == kSystemComponent;
}

std::string Tuple::toString() const {
  return fmt::format("source: {}:{}, stream: {}, id: {}, {}", getSourceComponent(), getSourceTask(),
                     getSourceStreamId(), d_->messageId.anchors().size(),
                     squall::toString(getValues()));
}

}  // namespace squall
