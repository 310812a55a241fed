#pragma once
// LeaderElector: nimbus leader election under /leader-lock, ZooKeeper's recipe (as Curator's
// LeaderLatch, which Storm uses): each candidate creates an ephemeral sequential node
// `_c_<token>-latch-<seq>` holding its id (host:port); the lowest sequence leads; every other
// candidate watches only its predecessor, so a leader's departure wakes one candidate, not all.
//
// Leadership is given up as soon as the connection is lost (a partitioned leader must stop
// acting before another is elected) and checked again on reconnecting; after a session expiry
// the candidate enters again with a new node. The token in the name finds our node after a
// create whose reply was lost with the connection.
//
// Threads: start()/stop() from the owner; the callback runs on the ZkClient's event thread (or
// the thread calling start()), never concurrently with itself. Lifetime: stop() (or the
// destructor) withdraws; the ZkClient must outlive the elector. Stop the elector before closing
// its client: close() ends the session (another candidate leads at once) but tells no one.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cluster/zk_client.h"

namespace squall::cluster {

class LeaderElector {
 public:
  LeaderElector(ZkClient& zk, std::string participantId, std::string lockPath = "/leader-lock");
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Enters the election; onChange(true) when this candidate becomes leader, (false) when it
  // stops being one.
  void start(std::function<void(bool)> onChange = {});
  void stop();
  bool isLeader() const;
  // The leading candidate's id, as any client sees it.
  std::optional<std::string> leaderId();
  static std::optional<std::string> currentLeader(ZkClient& zk,
                                                  const std::string& lockPath = "/leader-lock");

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace squall::cluster
