#pragma once
// Tuple: what a bolt receives (Storm's Tuple). A cheap handle: copying it shares the body,
// so a bolt may keep tuples past execute() (to ack or anchor later) without copying values.

#include <cstdint>
#include <string>
#include <string_view>

#include "squall/detail/tuple_data.h"
#include "squall/fields.h"
#include "squall/value.h"

namespace squall {

inline constexpr const char* kDefaultStream = "default";
inline constexpr const char* kSystemComponent = "__system";
inline constexpr const char* kTickStream = "__tick";
inline constexpr int kSystemTaskId = -1;

class Tuple {
 public:
  Tuple() = default;
  // Takes ownership of one reference.
  explicit Tuple(detail::TupleData* d) : d_(d) {}
  Tuple(const Tuple& o) : d_(o.d_) {
    if (d_) detail::retain(d_);
  }
  Tuple(Tuple&& o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  Tuple& operator=(Tuple o) noexcept {
    std::swap(d_, o.d_);
    return *this;
  }
  ~Tuple() {
    if (d_) detail::release(d_);
  }

  bool valid() const { return d_ != nullptr; }
  size_t size() const { return d_->values.size(); }
  const Values& getValues() const { return d_->values; }
  const Fields& getFields() const { return d_->meta->fields; }
  bool contains(std::string_view field) const { return getFields().contains(field); }
  size_t fieldIndex(std::string_view field) const { return getFields().fieldIndex(field); }
  Values select(const Fields& selector) const { return getFields().select(selector, getValues()); }

  // By position; IllegalArgumentException naming the stream when out of range.
  const Value& getValue(size_t i) const;
  const std::string& getString(size_t i) const { return getValue(i).asString(); }
  int64_t getLong(size_t i) const { return getValue(i).asInt(); }
  int32_t getInteger(size_t i) const;
  double getDouble(size_t i) const { return getValue(i).asDouble(); }
  bool getBoolean(size_t i) const { return getValue(i).asBool(); }
  const Bytes& getBinary(size_t i) const { return getValue(i).asBytes(); }

  // By field name; IllegalArgumentException naming the field and the stream's fields.
  const Value& getValueByField(std::string_view field) const;
  const std::string& getStringByField(std::string_view f) const {
    return getValueByField(f).asString();
  }
  int64_t getLongByField(std::string_view f) const { return getValueByField(f).asInt(); }
  int32_t getIntegerByField(std::string_view f) const;
  double getDoubleByField(std::string_view f) const { return getValueByField(f).asDouble(); }
  bool getBooleanByField(std::string_view f) const { return getValueByField(f).asBool(); }
  const Bytes& getBinaryByField(std::string_view f) const { return getValueByField(f).asBytes(); }

  const std::string& getSourceComponent() const { return d_->meta->componentId; }
  const std::string& getSourceStreamId() const { return d_->meta->streamId; }
  int getSourceTask() const { return d_->sourceTask; }
  const MessageId& getMessageId() const { return d_->messageId; }

  // A tick tuple (Storm's TupleUtils.isTick).
  bool isTick() const;
  std::string toString() const;

  detail::TupleData* data() const { return d_; }
  bool operator==(const Tuple& o) const { return d_ == o.d_; }

 private:
  detail::TupleData* d_ = nullptr;
};

}  // namespace squall
