#pragma once
// MessageBuilder: turns parse events (RapidJSON's SAX reader, msgpack-cxx's visitor) into a
// ShellMsg without a DOM. Depth 1 is the message object; containers below it are built on a
// stack that keeps its capacity from message to message; the top-level "tuple" array goes
// straight into ShellMsg::tuple, and the top-level "anchors" array straight into
// ShellMsg::anchors, whose strings are recycled from message to message (a tuple id is
// longer than a short string: building a List and copying it cost five allocations per emit).
// Used by one reader, on one thread.
// Nesting is bounded (kMaxMessageDepth): the Values built here are recursive, and so are their
// destructors and writers. A value that decodes but cannot be carried is recorded with
// poison(): the message still completes, and the component fails only that tuple.

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "multilang/message_fields.h"
#include "multilang/serializer.h"

namespace squall::internal {

class MessageBuilder {
 public:
  void begin(ShellMsg& m) {
    m_ = &m;
    key_ = {};
    for (auto& a : m.anchors) {
      if (spare_.size() < kMaxSpareAnchors) spare_.push_back(std::move(a));
    }
    m.reset();
    depth_ = 0;
    used_ = 0;
    done_ = false;
    error_.clear();
  }

  bool value(Value v) {
    if (depth_ == 0) return notAnObject(valueTypeName(v.type()));
    if (used_ == 0) {
      try {
        assignField(*m_, key_, std::move(v));
      } catch (const ProtocolError& e) {
        error_ = e.what();
        return false;
      }
      return true;
    }
    Frame& f = stack_[used_ - 1];
    if (f.intoTuple) {
      m_->tuple.push_back(std::move(v));
    } else if (f.intoAnchors) {
      try {
        appendAnchor(*m_, std::move(v));
      } catch (const ProtocolError& e) {
        error_ = e.what();
        return false;
      }
    } else if (f.isMap) {
      f.map.insert_or_assign(std::move(f.key), std::move(v));
      f.key.clear();
    } else {
      f.list.push_back(std::move(v));
    }
    return true;
  }

  // A string value that is valid UTF-8 (the readers check): a tuple's string is built in
  // place, a tuple id in "anchors" lands in a recycled string, and the command is set straight
  // from the text (every message has one; through a Value and assignField it cost about 150
  // instructions); anything else becomes a Value.
  bool text(std::string_view s) {
    if (used_ > 0) {
      const Frame& f = stack_[used_ - 1];
      if (f.intoTuple) {
        m_->tuple.emplace_back(std::string(s));
        return true;
      }
      if (f.intoAnchors) {
        if (spare_.empty()) {
          m_->anchors.emplace_back(s);
        } else {
          m_->anchors.push_back(std::move(spare_.back()));
          spare_.pop_back();
          m_->anchors.back().assign(s);
        }
        return true;
      }
    } else if (depth_ == 1 && key_ == "command") {
      setCommand(*m_, s);
      return true;
    }
    return value(Value(std::string(s)));
  }

  // Records the first value that cannot be carried, naming the field it is in.
  void poison(std::string_view problem, bool isKey = false) {
    if (!m_->poison.empty()) return;
    if (used_ > 0 && stack_[0].intoTuple) {
      m_->poison = fmt::format("field {} of the tuple: {}", m_->tuple.size(), problem);
    } else if (isKey && depth_ <= 1) {
      m_->poison = fmt::format("a key of the message: {}", problem);
    } else {
      m_->poison = fmt::format("field '{}' of the message: {}", key_, problem);
    }
  }

  bool startMap() {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (!deeper()) return false;
    Frame& f = push();
    f.isMap = true;
    return true;
  }
  // `k` points into the reader's input, which holds it until the message is complete (the
  // JSON reader parses in place and writes each string into its own bytes); a key made by
  // the reader (an integer key's text) goes through ownedKey().
  bool key(std::string_view k) {
    if (depth_ == 1) {
      key_ = k;
    } else {
      stack_[used_ - 1].key.assign(k);
    }
    return true;
  }
  bool ownedKey(std::string k) {
    if (depth_ != 1) return key(k);
    ownedKey_ = std::move(k);
    key_ = ownedKey_;
    return true;
  }
  bool endMap() {
    if (--depth_ == 0) {
      done_ = true;
      return true;
    }
    Map m = std::move(stack_[used_ - 1].map);
    --used_;
    return value(Value(std::move(m)));
  }
  bool startArray() {
    if (depth_ == 0) return notAnObject("an array");
    if (!deeper()) return false;
    Frame& f = push();
    if (depth_ == 2 && key_ == "tuple") {
      m_->tuple.clear();
      f.intoTuple = true;
    } else if (depth_ == 2 && key_ == "anchors") {
      m_->anchors.clear();
      f.intoAnchors = true;
    }
    return true;
  }
  bool endArray() {
    --depth_;
    Frame& f = stack_[--used_];
    if (f.intoTuple) {
      m_->hasTuple = true;
      return true;
    }
    if (f.intoAnchors) return true;
    return value(Value(std::move(f.list)));
  }

  bool done() const { return done_; }
  int depth() const { return depth_; }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    bool isMap = false;
    bool intoTuple = false;
    bool intoAnchors = false;
    List list;
    Map map;
    std::string key;
  };

  bool deeper() {
    if (depth_ >= kMaxMessageDepth) {
      error_ = fmt::format("lists and maps nested deeper than {} levels", kMaxMessageDepth);
      return false;
    }
    ++depth_;
    return true;
  }

  Frame& push() {
    if (used_ == stack_.size()) stack_.emplace_back();
    Frame& f = stack_[used_++];
    f.isMap = false;
    f.intoTuple = false;
    f.intoAnchors = false;
    f.list.clear();
    f.map.clear();
    f.key.clear();
    return f;
  }
  bool notAnObject(const char* what) {
    error_ = std::string("expected an object (a map), got ") + what;
    return false;
  }

  ShellMsg* m_ = nullptr;
  int depth_ = 0;
  size_t used_ = 0;
  bool done_ = false;
  std::string_view key_;  // the message's field being decoded (see key())
  std::string ownedKey_;
  std::vector<Frame> stack_;
  std::string error_;
  // Anchor strings of earlier messages, kept for their capacity.
  static constexpr size_t kMaxSpareAnchors = 64;
  std::vector<std::string> spare_;
};

}  // namespace squall::internal
