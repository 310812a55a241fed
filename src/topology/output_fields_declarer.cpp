#include "squall/output_fields_declarer.h"

#include "squall/errors.h"

namespace squall {

void OutputFieldsDeclarer::declareStream(const std::string& streamId, bool direct,
                                         const Fields& fields) {
  if (!streams_.emplace(streamId, StreamInfo{fields, direct}).second) {
    throw IllegalArgumentException("stream '" + streamId + "' is declared twice");
  }
}

}  // namespace squall
