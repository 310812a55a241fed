#pragma once
// OutputFieldsDeclarer: how a component names its output streams and their fields.

#include <map>
#include <string>

#include "squall/fields.h"
#include "squall/tuple.h"

namespace squall {

struct StreamInfo {
  Fields fields;
  bool direct = false;
};

class OutputFieldsDeclarer {
 public:
  void declare(const Fields& fields) { declareStream(kDefaultStream, false, fields); }
  void declare(bool direct, const Fields& fields) { declareStream(kDefaultStream, direct, fields); }
  void declareStream(const std::string& streamId, const Fields& fields) {
    declareStream(streamId, false, fields);
  }
  // Declaring a stream twice is an IllegalArgumentException (as in Storm).
  void declareStream(const std::string& streamId, bool direct, const Fields& fields);

  const std::map<std::string, StreamInfo>& streams() const { return streams_; }

 private:
  std::map<std::string, StreamInfo> streams_;
};

}  // namespace squall
