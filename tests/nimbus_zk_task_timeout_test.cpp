// nimbus.task.timeout.secs and nimbus.task.launch.secs (src/nimbus/heartbeat_cache.h): the
// leading nimbus moves the executors of a slot whose heartbeat stopped changing, by its own
// clock, while the slot's supervisor stays alive; heartbeats that keep changing move nothing;
// a newly assigned slot has the launch grace before its first heartbeat; a nimbus that starts
// gives every executor a full timeout from its first look. Over a real ZooKeeper, with a
// stand-in for the supervisors' relay of worker heartbeats to /workerbeats.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "nimbus/heartbeat_cache.h"
#include "nimbus_cluster_support.h"

using namespace squall;
using namespace squall::testing;
using cluster::ExecutorRange;
using cluster::NodePort;
using Clock = std::chrono::steady_clock;

namespace {

// Writes, every 50 ms, a heartbeat for each slot of the topology's current assignment except
// the silent ones, listing the slot's executors, as a supervisor relays its workers'. The
// reported time is a counter from 1, not a clock: nimbus must only notice that it changes.
class Beater {
 public:
  Beater() : zk_(zkConnect(daemonZk())), state_(*zk_) {}
  ~Beater() { stop(); }

  void start(const std::string& topologyId) {
    id_ = topologyId;
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void silence(const NodePort& slot) {
    std::lock_guard lock(mu_);
    silent_.insert(slot);
  }

 private:
  void run() {
    int64_t counter = 1;
    while (!stopping_) {
      try {
        if (auto a = state_.assignmentInfo(id_)) {
          std::map<NodePort, std::vector<ExecutorRange>> slots;
          for (const auto& [e, slot] : a->executorNodePort) slots[slot].push_back(e);
          for (const auto& [slot, executors] : slots) {
            {
              std::lock_guard lock(mu_);
              if (silent_.count(slot)) continue;
            }
            cluster::WorkerHeartbeat hb;
            hb.stormId = id_;
            hb.executors = executors;
            hb.timeSecs = counter;
            state_.workerHeartbeat(id_, slot.node, slot.port, hb);
          }
          ++counter;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "heartbeat: " << e.what();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::unique_ptr<cluster::ZkClient> zk_;
  cluster::ClusterState state_;
  std::string id_;
  std::mutex mu_;
  std::set<NodePort> silent_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::set<NodePort> slotsOf(const cluster::Assignment& a) {
  std::set<NodePort> out;
  for (const auto& [e, slot] : a.executorNodePort) out.insert(slot);
  return out;
}

std::vector<ExecutorRange> executorsOn(const cluster::Assignment& a, const NodePort& slot) {
  std::vector<ExecutorRange> out;
  for (const auto& [e, s] : a.executorNodePort) {
    if (s == slot) out.push_back(e);
  }
  return out;
}

auto timeouts(int taskTimeoutSecs, int taskLaunchSecs) {
  return [=](nimbus::ClusterNimbusOptions& o) {
    o.taskTimeoutSecs = taskTimeoutSecs;
    o.taskLaunchSecs = taskLaunchSecs;
    o.monitorFreqSecs = 1;
  };
}

int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Two workers on sup-a:6700 and sup-b:6700 (the even scheduler's first slot of each).
const NodePort kSlotA{"sup-a", 6700};
const NodePort kSlotB{"sup-b", 6700};

}  // namespace

TEST(NimbusTaskTimeout, MovesTheExecutorsOfASlotWhoseHeartbeatStoppedChanging) {
  TempDir dir;
  auto observer = zkConnect(daemonZk());
  cluster::ClusterState state(*observer);
  Supervisor a("sup-a", {6700, 6701}), b("sup-b", {6700, 6701});
  Nimbus n(dir.path / "n1", 60, timeouts(1, 1));
  ASSERT_TRUE(waitFor([&] { return n.nimbus->isLeader(); }));
  std::string id = submit(*n.nimbus, "words", 2);
  Beater beater;
  beater.start(id);
  auto before = state.assignmentInfo(id);
  ASSERT_TRUE(before);
  ASSERT_EQ(slotsOf(*before), (std::set<NodePort>{kSlotA, kSlotB}));
  auto moving = executorsOn(*before, kSlotB);
  // Nimbus must have seen sup-b's worker heartbeat before it stops, or the launch grace (not
  // the task timeout, the case here) moves it: wait for the heartbeat in ZooKeeper, then for a
  // monitor pass (every 1 s, not observable from here) while it keeps changing.
  ASSERT_TRUE(
      waitFor([&] { return state.getWorkerHeartbeat(id, kSlotB.node, kSlotB.port).has_value(); }));
  auto firstBeat = Clock::now();
  ASSERT_TRUE(waitFor([&] { return msSince(firstBeat) > 1200; }));
  ASSERT_EQ(state.assignmentInfo(id), before) << "moved while it was heartbeating";

  // sup-b's worker stops heartbeating; sup-b itself stays alive.
  auto stopped = Clock::now();
  beater.silence(kSlotB);
  ASSERT_TRUE(waitFor(
      [&] {
        auto now = state.assignmentInfo(id);
        return now && !slotsOf(*now).count(kSlotB);
      },
      std::chrono::seconds(15)));
  int64_t ms = msSince(stopped);
  std::printf("moved %lld ms after the heartbeat stopped (timeout 1 s, monitor 1 s)\n",
              static_cast<long long>(ms));
  // Not before the timeout (the last heartbeat was written up to 50 ms before `stopped`), and
  // within the timeout plus a scan (1 s), with room for a loaded machine.
  EXPECT_GE(ms, 1000 - 50);
  EXPECT_LE(ms, 1000 + 1000 + 3000);
  EXPECT_EQ(state.supervisors().size(), 2u);

  // Only what had to move moved: sup-a's executors stay, sup-b's went to one other slot.
  auto after = *state.assignmentInfo(id);
  for (const auto& e : executorsOn(*before, kSlotA))
    EXPECT_EQ(after.executorNodePort.at(e), kSlotA);
  std::set<NodePort> to;
  for (const auto& e : moving) to.insert(after.executorNodePort.at(e));
  ASSERT_EQ(to.size(), 1u);
  EXPECT_NE(*to.begin(), kSlotB);
  EXPECT_NE(*to.begin(), kSlotA);
  EXPECT_EQ(slotsOf(after).size(), 2u);
  EXPECT_EQ(after.executorNodePort.size(), before->executorNodePort.size());
  // The moved executors start afresh (their launch grace runs from now).
  for (const auto& e : moving) {
    EXPECT_GT(after.executorStartTimeSecs.at(e), before->executorStartTimeSecs.at(e));
  }
}

TEST(NimbusTaskTimeout, HeartbeatsThatKeepChangingMoveNothing) {
  TempDir dir;
  auto observer = zkConnect(daemonZk());
  cluster::ClusterState state(*observer);
  Supervisor a("sup-a", {6700, 6701}), b("sup-b", {6700, 6701});
  Nimbus n(dir.path / "n1", 60, timeouts(1, 1));
  ASSERT_TRUE(waitFor([&] { return n.nimbus->isLeader(); }));
  std::string id = submit(*n.nimbus, "words", 2);
  Beater beater;
  beater.start(id);
  auto before = state.assignmentInfo(id);
  ASSERT_TRUE(before);
  // Two timeouts past the launch grace, with a scan every second: any move ends the wait.
  auto started = Clock::now();
  waitFor([&] { return state.assignmentInfo(id) != before || msSince(started) > 3000; });
  EXPECT_EQ(state.assignmentInfo(id), before);
}

TEST(NimbusTaskTimeout, ANewSlotHasTheLaunchGraceBeforeItsFirstHeartbeat) {
  TempDir dir;
  auto observer = zkConnect(daemonZk());
  cluster::ClusterState state(*observer);
  Supervisor a("sup-a", {6700, 6701}), b("sup-b", {6700, 6701});
  Nimbus n(dir.path / "n1", 60, timeouts(1, 3));
  ASSERT_TRUE(waitFor([&] { return n.nimbus->isLeader(); }));
  Beater beater;
  beater.silence(kSlotB);  // its worker never heartbeats
  auto submitted = Clock::now();
  std::string id = submit(*n.nimbus, "words", 2);
  beater.start(id);
  auto before = state.assignmentInfo(id);
  ASSERT_TRUE(before);
  ASSERT_EQ(slotsOf(*before), (std::set<NodePort>{kSlotA, kSlotB}));
  ASSERT_TRUE(waitFor(
      [&] {
        auto now = state.assignmentInfo(id);
        return now && !slotsOf(*now).count(kSlotB);
      },
      std::chrono::seconds(15)));
  int64_t ms = msSince(submitted);
  std::printf("a slot without a heartbeat moved %lld ms after its assignment (launch 3 s)\n",
              static_cast<long long>(ms));
  // The start time is in whole seconds, so the grace may end up to 1 s early; the task
  // timeout (1 s) alone would have moved it after one or two.
  EXPECT_GE(ms, 2000);
  auto after = *state.assignmentInfo(id);
  for (const auto& e : executorsOn(*before, kSlotA))
    EXPECT_EQ(after.executorNodePort.at(e), kSlotA);
}

TEST(NimbusTaskTimeout, ARestartedNimbusGivesAFullTimeoutFromItsFirstLook) {
  TempDir dir;
  auto observer = zkConnect(daemonZk());
  cluster::ClusterState state(*observer);
  Supervisor a("sup-a", {6700, 6701}), b("sup-b", {6700, 6701});
  int port = freePort();
  auto samePort = [&](nimbus::ClusterNimbusOptions& o) {
    timeouts(2, 1)(o);
    o.core.port = port;
  };
  auto first = std::make_unique<Nimbus>(dir.path / "n1", 60, samePort);
  ASSERT_TRUE(waitFor([&] { return first->nimbus->isLeader(); }));
  Beater beater;
  beater.silence(kSlotB);
  std::string id = submit(*first->nimbus, "words", 2);
  beater.start(id);
  first.reset();  // nimbus goes before it could time anything out
  auto before = state.assignmentInfo(id);
  ASSERT_TRUE(before);
  ASSERT_EQ(slotsOf(*before), (std::set<NodePort>{kSlotA, kSlotB}));
  // sup-b's slot stays silent past both its launch grace and the timeout, with no nimbus.
  auto down = Clock::now();
  ASSERT_TRUE(waitFor([&] { return msSince(down) > 2500; }));

  auto restarted = Clock::now();
  Nimbus second(dir.path / "n1", 60, samePort);  // the same nimbus again: its storm.local.dir
  ASSERT_TRUE(waitFor([&] {
    auto now = state.assignmentInfo(id);
    return now && !slotsOf(*now).count(kSlotB);
  }));
  int64_t ms = msSince(restarted);
  std::printf("after a nimbus restart, the silent slot moved %lld ms later (timeout 2 s)\n",
              static_cast<long long>(ms));
  EXPECT_GE(ms, 2000);
  auto after = *state.assignmentInfo(id);
  for (const auto& e : executorsOn(*before, kSlotA))
    EXPECT_EQ(after.executorNodePort.at(e), kSlotA);
}

// The cache itself, on nimbus's clock alone.
TEST(NimbusTaskTimeout, HeartbeatCacheJudgesByWhenNimbusSawAChange) {
  nimbus::HeartbeatCache cache(/*taskTimeoutSecs=*/30, /*taskLaunchSecs=*/120);
  cluster::Assignment a;
  ExecutorRange e1{1, 1}, e2{2, 2};
  a.executorNodePort = {{e1, kSlotA}, {e2, kSlotB}};
  a.executorStartTimeSecs = {{e1, 1000}, {e2, 1000}};
  auto beat = [](std::vector<ExecutorRange> es, int64_t reported) {
    cluster::WorkerHeartbeat hb;
    hb.executors = std::move(es);
    hb.timeSecs = reported;
    return std::optional<cluster::WorkerHeartbeat>(hb);
  };
  const int64_t t0 = 1000'000;  // ms: the start time
  // Both heartbeat; a's keeps changing, b's stays at 7 (whatever its clock says).
  for (int64_t t = t0; t <= t0 + 200'000; t += 10'000) {
    cache.update("T", a, {{kSlotA, beat({e1}, t / 1000)}, {kSlotB, beat({e2}, 7)}}, t);
  }
  // b was seen changing only at its first look (t0), so it is dead once the launch grace
  // (120 s) and the timeout (30 s after t0) are both over.
  auto dead = cache.deadSlots("T", a, t0 + 200'000);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].slot, kSlotB);
  EXPECT_EQ(dead[0].executors, std::vector<ExecutorRange>{e2});
  EXPECT_TRUE(dead[0].everBeat);
  EXPECT_EQ(dead[0].silentMs, 200'000);

  // A fresh cache (a nimbus that just started) gives b a full timeout from its first look.
  nimbus::HeartbeatCache fresh(30, 120);
  int64_t t1 = t0 + 500'000;
  fresh.update("T", a, {{kSlotA, beat({e1}, 1)}, {kSlotB, beat({e2}, 7)}}, t1);
  EXPECT_TRUE(fresh.deadSlots("T", a, t1 + 29'999).empty());
  EXPECT_EQ(fresh.nextDeadlineMs(t1), t1 + 30'000);
  fresh.update("T", a, {{kSlotA, beat({e1}, 2)}, {kSlotB, beat({e2}, 7)}}, t1 + 30'000);
  dead = fresh.deadSlots("T", a, t1 + 30'000);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].slot, kSlotB);

  // An unreadable slot keeps what was seen; a heartbeat not listing the executor is no news;
  // moved to another slot, the executor starts afresh there with a new launch grace.
  nimbus::HeartbeatCache moved(30, 120);
  moved.update("T", a, {{kSlotA, beat({e1}, 1)}}, t0);
  moved.update("T", a, {{kSlotA, beat({e1}, 1)}, {kSlotB, beat({}, 9)}}, t0 + 200'000);
  dead = moved.deadSlots("T", a, t0 + 200'000);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_FALSE(dead[1].everBeat);
  cluster::Assignment b = a;
  b.executorNodePort[e2] = {"sup-a", 6701};
  b.executorStartTimeSecs[e2] = (t0 + 200'000) / 1000;
  moved.update("T", b, {}, t0 + 200'000);
  dead = moved.deadSlots("T", b, t0 + 300'000);  // past the timeout, within the launch grace
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].slot, kSlotA);
  EXPECT_TRUE(moved.deadSlots("T", b, t0 + 300'000)[0].everBeat);
  moved.retain({});
  EXPECT_TRUE(moved.deadSlots("T", b, t0 + 900'000).empty());
}
