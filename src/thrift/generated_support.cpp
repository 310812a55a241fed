// What the Thrift C++ generator declares and leaves to us: GlobalStreamId is a map key
// (ComponentCommon.inputs), so it needs an order.
#include "storm_thrift/storm_types.h"

namespace squall::storm {

bool GlobalStreamId::operator<(const GlobalStreamId& other) const {
  if (componentId != other.componentId) return componentId < other.componentId;
  return streamId < other.streamId;
}

}  // namespace squall::storm
