#pragma once
// Storm's even scheduler (EvenScheduler / DefaultScheduler) for one topology: its executors
// spread over `numWorkers` slots, the slots taken round-robin across supervisors so workers
// land on as many machines as possible, executors dealt so no slot holds more than one more
// than another. Rescheduling keeps what it can: slots still alive keep their executors (up to
// the even share), and only executors whose slot is gone, or which a smaller or larger worker
// count must move, are given new places. Pure: the caller reads ZooKeeper and writes the result.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"

namespace squall::nimbus {

// A topology that cannot have the slots it needs; the message says how many it needs and what
// the cluster has free.
class NotEnoughSlots : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ScheduleRequest {
  std::string topologyId;
  std::vector<cluster::ExecutorRange> executors;  // every executor of the plan
  int numWorkers = 1;
  // Slots this topology may take: live supervisors' ports not used by another topology
  // (including the ones this topology holds now on live supervisors).
  std::map<std::string, std::vector<int>> freeSlots;  // supervisor id -> ports
  std::map<std::string, std::string> hosts;           // supervisor id -> hostname
  std::optional<cluster::Assignment> current;         // what runs now, if anything
  int64_t nowSecs = 0;
  // When fewer slots are free than numWorkers: throw NotEnoughSlots (submit), or use the
  // slots there are (a cluster that lost a supervisor keeps the topology running).
  bool requireAllWorkers = false;
};

cluster::Assignment scheduleEven(const ScheduleRequest& request);

// Slots whose executors differ between two assignments (moved, added or removed executors):
// how much a reschedule disturbed.
int changedSlots(const cluster::Assignment& before, const cluster::Assignment& after);

}  // namespace squall::nimbus
