#pragma once
// The JSON form of the cluster's node data (cluster_state.h types), compact, with Storm's field
// names (snake_case, as in storm.thrift). Decoding checks every type; bad data is a
// ClusterStateError naming the node and the field ("node /storms/x: field 'status' ...").

#include <string>

#include "cluster/cluster_state.h"
#include "squall/errors.h"

namespace squall::cluster {

class ClusterStateError : public SquallError {
 public:
  using SquallError::SquallError;
};
// Throws ClusterStateError("WHERE: WHAT").
[[noreturn]] void throwStateError(const std::string& where, const std::string& what);

std::string toJson(const StormBase& v);
std::string toJson(const Assignment& v);
std::string toJson(const SupervisorInfo& v);
std::string toJson(const WorkerHeartbeat& v);
std::string toJson(const ErrorInfo& v);
std::string toJson(const NimbusSummary& v);
std::string toJson(const BlobReplica& v);  // sha256 and size only (the rest is the node name)
std::string toJson(const Credentials& v);

// `where` names the node in errors.
StormBase stormBaseFromJson(const std::string& json, const std::string& where);
Assignment assignmentFromJson(const std::string& json, const std::string& where);
SupervisorInfo supervisorInfoFromJson(const std::string& json, const std::string& where);
WorkerHeartbeat workerHeartbeatFromJson(const std::string& json, const std::string& where);
ErrorInfo errorInfoFromJson(const std::string& json, const std::string& where);
NimbusSummary nimbusSummaryFromJson(const std::string& json, const std::string& where);
void blobReplicaFromJson(const std::string& json, const std::string& where, BlobReplica& into);
Credentials credentialsFromJson(const std::string& json, const std::string& where);

}  // namespace squall::cluster
