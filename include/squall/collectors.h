#pragma once
// The collectors a component emits through (Storm's SpoutOutputCollector, OutputCollector and
// BasicOutputCollector). The returned task-id list lives in a per-thread buffer and stays valid
// until the next emit on the same thread: no allocation per emit in the hot path.

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "squall/tuple.h"
#include "squall/value.h"

namespace squall {

using TaskIds = std::vector<int>;

// Spout side. Only the spout's executor thread may use it (as in Storm).
class SpoutOutputCollector {
 public:
  virtual ~SpoutOutputCollector() = default;

  // A null message id emits unreliably: the tuple is never acked or failed.
  virtual const TaskIds& emit(std::string_view stream, Values values, Value messageId = {}) = 0;
  const TaskIds& emit(Values values, Value messageId = {}) {
    return emit(kDefaultStream, std::move(values), std::move(messageId));
  }
  virtual void emitDirect(int taskId, std::string_view stream, Values values,
                          Value messageId = {}) = 0;
  void emitDirect(int taskId, Values values, Value messageId = {}) {
    emitDirect(taskId, kDefaultStream, std::move(values), std::move(messageId));
  }
  // Tuple trees this spout task has in flight.
  virtual int64_t getPendingCount() const = 0;
  virtual void flush() = 0;
  virtual void reportError(const std::string& message) = 0;
  void reportError(const std::exception& e) { reportError(std::string(e.what())); }
};

// Bolt side. Safe to call from any thread (Storm documents OutputCollector as thread-safe).
class OutputCollector {
 public:
  virtual ~OutputCollector() = default;

  virtual const TaskIds& emit(std::string_view stream, std::span<const Tuple> anchors,
                              Values values) = 0;
  virtual void emitDirect(int taskId, std::string_view stream, std::span<const Tuple> anchors,
                          Values values) = 0;
  virtual void ack(const Tuple& input) = 0;
  virtual void fail(const Tuple& input) = 0;
  virtual void resetTimeout(const Tuple& input) = 0;
  virtual void reportError(const std::string& message) = 0;
  virtual void flush() = 0;

  const TaskIds& emit(Values values) {
    return emit(kDefaultStream, std::span<const Tuple>(), std::move(values));
  }
  const TaskIds& emit(const Tuple& anchor, Values values) {
    return emit(kDefaultStream, std::span<const Tuple>(&anchor, 1), std::move(values));
  }
  const TaskIds& emit(std::span<const Tuple> anchors, Values values) {
    return emit(kDefaultStream, anchors, std::move(values));
  }
  const TaskIds& emit(std::initializer_list<Tuple> anchors, Values values) {
    return emit(kDefaultStream, std::span<const Tuple>(anchors.begin(), anchors.size()),
                std::move(values));
  }
  const TaskIds& emit(std::string_view stream, Values values) {
    return emit(stream, std::span<const Tuple>(), std::move(values));
  }
  const TaskIds& emit(std::string_view stream, const Tuple& anchor, Values values) {
    return emit(stream, std::span<const Tuple>(&anchor, 1), std::move(values));
  }
  void emitDirect(int taskId, Values values) {
    emitDirect(taskId, kDefaultStream, std::span<const Tuple>(), std::move(values));
  }
  void emitDirect(int taskId, const Tuple& anchor, Values values) {
    emitDirect(taskId, kDefaultStream, std::span<const Tuple>(&anchor, 1), std::move(values));
  }
  void emitDirect(int taskId, std::string_view stream, Values values) {
    emitDirect(taskId, stream, std::span<const Tuple>(), std::move(values));
  }
  void emitDirect(int taskId, std::string_view stream, const Tuple& anchor, Values values) {
    emitDirect(taskId, stream, std::span<const Tuple>(&anchor, 1), std::move(values));
  }
  void reportError(const std::exception& e) { reportError(std::string(e.what())); }
};

// For basic bolts: every emit is anchored to the input being executed, which is acked when
// execute() returns (Storm's BasicOutputCollector).
class BasicOutputCollector {
 public:
  BasicOutputCollector(OutputCollector& out, const Tuple& input) : out_(out), input_(input) {}

  const TaskIds& emit(Values values) {
    return out_.emit(kDefaultStream, input_, std::move(values));
  }
  const TaskIds& emit(std::string_view stream, Values values) {
    return out_.emit(stream, input_, std::move(values));
  }
  void emitDirect(int taskId, Values values) {
    out_.emitDirect(taskId, kDefaultStream, input_, std::move(values));
  }
  void emitDirect(int taskId, std::string_view stream, Values values) {
    out_.emitDirect(taskId, stream, input_, std::move(values));
  }
  void resetTimeout(const Tuple& t) { out_.resetTimeout(t); }
  void reportError(const std::string& message) { out_.reportError(message); }
  OutputCollector& getOutputter() { return out_; }

 private:
  OutputCollector& out_;
  const Tuple& input_;
};

}  // namespace squall
