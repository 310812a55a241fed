// Children never outlive their worker: a worker process running a shell bolt and a shell
// spout is killed with SIGKILL, and both children must disappear (PR_SET_PDEATHSIG), not
// linger as orphans. Also: a clean kill stops the children and removes their pid files.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <squall/squall.h>
#include <string>

#include "multilang_support.h"

using namespace squall;
using namespace squall::multilang_test;

namespace {

int readPid(const std::string& file) {
  std::ifstream in(file);
  int pid = 0;
  in >> pid;
  return pid;
}

StormTopology twoChildren(const TempDir& dir) {
  TopologyBuilder b;
  b.setSpout("spout", ShellSpout({kPython, childScript("fault_spout.py"), "good", "1000000"},
                                 Fields{"i", "pid"}));
  b.setBolt("bolt", ShellBolt({kPython, childScript("fault_bolt.py"), "good"}, Fields{"x", "pid"})
                        .setEnv({{"SQUALL_TEST_PID_FILE", dir.file("bolt.pid")}}))
      .shuffleGrouping("spout");
  return b.createTopology();
}

TEST(ShellLifecycleTest, ChildrenDieWhenTheWorkerIsKilledWithSigkill) {
  TempDir dir;
  // Orphans are re-parented to us, so we can see them end and reap them.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  pid_t worker = fork();
  ASSERT_GE(worker, 0);
  if (worker == 0) {
    // The worker: runs the topology until it is killed.
    LocalCluster cluster;
    Config conf = baseConfig();
    conf.setMaxSpoutPending(100);
    cluster.submitTopology("doomed", conf, twoChildren(dir));
    while (true) pause();
  }
  ASSERT_TRUE(waitFor([&] { return readPid(dir.file("bolt.pid")) > 0; }))
      << "the bolt's child never started";
  int boltChild = readPid(dir.file("bolt.pid"));
  ASSERT_FALSE(processGone(boltChild));
  // The spout's child: the other python process whose parent is the worker.
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(worker, &status, 0), worker);
  ASSERT_TRUE(WIFSIGNALED(status));
  // Reap whatever was orphaned to us while waiting for the bolt's child to go.
  EXPECT_TRUE(waitFor(
      [&] {
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        return processGone(boltChild);
      },
      std::chrono::seconds(10)))
      << "child " << boltChild << " outlived its worker";
  // No python child of ours is left at all (the spout's child included).
  EXPECT_TRUE(waitFor(
      [&] {
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        return waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
      },
      std::chrono::seconds(10)));
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(ShellLifecycleTest, KillStopsChildrenAndRemovesPidFiles) {
  TempDir dir;
  int boltChild = 0;
  {
    LocalCluster cluster;
    Config conf = baseConfig();
    conf.setMaxSpoutPending(100);
    cluster.submitTopology("clean", conf, twoChildren(dir));
    ASSERT_TRUE(waitFor([&] { return readPid(dir.file("bolt.pid")) > 0; }));
    boltChild = readPid(dir.file("bolt.pid"));
    cluster.killTopologyWithOpts("clean", KillOptions{0});
  }
  EXPECT_TRUE(processGone(boltChild));
  // /tmp/squall-pids/<storm id>/worker-<pid>: gone with the last pid file.
  bool any = false;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/tmp/squall-pids", ec)) {
    any |= e.path().filename().string().rfind("clean-", 0) == 0 &&
           std::filesystem::exists(e.path() / ("worker-" + std::to_string(getpid())));
  }
  EXPECT_FALSE(any);
}

}  // namespace
