// A ShellBolt's reader, and a ShellSpout's executor, follow a child that answers in round trips
// onto its CPU (squall.multilang.reader.follows.child, src/multilang/child_cpu_follower.h).

#include "multilang/child_cpu_follower.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "multilang_support.h"

using squall::internal::ChildCpuFollower;
using squall::internal::parseLastCpu;
using namespace squall;
using namespace squall::multilang_test;

namespace {

// A process pinned to `cpu` that has run there since (it wrote to the pipe from it).
class PinnedProcess {
 public:
  explicit PinnedProcess(int cpu) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      confineTo(cpu);
      char c = 'x';
      (void)!write(fds[1], &c, 1);
      pause();
      _exit(0);
    }
    char c;
    (void)!read(fds[0], &c, 1);
    close(fds[0]);
    close(fds[1]);
  }
  ~PinnedProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
};

// The allowed CPUs of this process's thread whose name starts with `prefix`.
std::optional<std::string> threadCpuList(const std::string& prefix) {
  return threadStatus(prefix, "Cpus_allowed_list");
}

}  // namespace

TEST(ChildCpuFollower, ReadsTheCpuAfterACommandWithSpacesAndParentheses) {
  std::string fields;
  for (int f = 3; f <= 52; ++f) fields += (f == 3 ? "" : " ") + std::to_string(f == 39 ? 7 : f);
  std::string text = "1234 (a b) (c)) " + fields + "\n";
  EXPECT_EQ(parseLastCpu(text.data(), text.size()), 7);
}

TEST(ChildCpuFollower, MalformedStatTextIsNoCpu) {
  for (const std::string& text : std::vector<std::string>{"", "1234 (x", "1234 (x) S 1 2 3",
                                                          "1234 (x) " + std::string(300, ' ')}) {
    EXPECT_EQ(parseLastCpu(text.data(), text.size()), std::nullopt) << text;
  }
  std::string fields;
  for (int f = 3; f <= 39; ++f)
    fields += (f == 3 ? "" : " ") + (f == 39 ? std::string("-1") : std::string("0"));
  std::string text = "1 (x) " + fields;
  EXPECT_EQ(parseLastCpu(text.data(), text.size()), std::nullopt);
}

TEST(ChildCpuFollower, TheThreadMovesToTheChildsCpuAndBackOnRelease) {
  std::vector<int> cpus = allowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nowhere to move";
  std::thread([&] {
    std::vector<int> before = allowedCpus();
    PinnedProcess child(cpus.back());
    ASSERT_GT(child.pid(), 0);
    ChildCpuFollower follower(true);
    follower.follow(child.pid(), 1);
    EXPECT_EQ(follower.followedCpu(), cpus.back());
    EXPECT_EQ(allowedCpus(), std::vector<int>{cpus.back()});
    // Checked again only after kCheckNs.
    follower.follow(child.pid(), 2);
    EXPECT_EQ(allowedCpus(), std::vector<int>{cpus.back()});
    follower.release();
    EXPECT_EQ(follower.followedCpu(), -1);
    EXPECT_EQ(allowedCpus(), before);
  }).join();
}

// Two spout tasks in one executor: each follows its own child; the thread's own mask comes back
// when the second lets go, not before, and not the first one's pin.
TEST(ChildCpuFollower, TwoFollowersOnOneThreadGiveItsMaskBackWhenBothRelease) {
  std::vector<int> cpus = allowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nowhere to move";
  std::thread([&] {
    std::vector<int> before = allowedCpus();
    PinnedProcess childA(cpus.back());
    PinnedProcess childB(cpus.back());
    ChildCpuFollower a(true);
    ChildCpuFollower b(true);
    a.follow(childA.pid(), 1);
    b.follow(childB.pid(), 1);
    EXPECT_EQ(b.followedCpu(), cpus.back());
    a.release();
    EXPECT_EQ(allowedCpus(), std::vector<int>{cpus.back()});  // b still follows
    b.release();
    EXPECT_EQ(allowedCpus(), before);
  }).join();
}

TEST(ChildCpuFollower, NeverLeavesTheMaskTheThreadWasGiven) {
  std::vector<int> cpus = allowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nowhere to move";
  std::thread([&] {
    PinnedProcess child(cpus.back());
    cpu_set_t narrow;
    CPU_ZERO(&narrow);
    CPU_SET(cpus.front(), &narrow);
    ASSERT_EQ(sched_setaffinity(0, sizeof narrow, &narrow), 0);
    ChildCpuFollower follower(true);
    follower.follow(child.pid(), 1);
    EXPECT_EQ(follower.followedCpu(), -1);
    EXPECT_EQ(allowedCpus(), std::vector<int>{cpus.front()});
  }).join();
}

TEST(ChildCpuFollower, OffOrAGoneChildChangesNothing) {
  std::thread([&] {
    std::vector<int> before = allowedCpus();
    PinnedProcess child(allowedCpus().back());
    ChildCpuFollower off(false);
    off.follow(child.pid(), 1);
    EXPECT_EQ(off.followedCpu(), -1);
    ChildCpuFollower gone(true);
    gone.follow(999'999'999, 1);
    EXPECT_EQ(gone.followedCpu(), -1);
    EXPECT_EQ(allowedCpus(), before);
  }).join();
}

namespace {

// The environment of a child that pins itself to `cpu` and says so in dir/cpu
// (pinned_handshake in tests/multilang_children/wire.py).
std::map<std::string, std::string> pinnedEnv(const TempDir& dir, int cpu) {
  std::map<std::string, std::string> env = pythonEnv();
  env["PIN_CPU"] = std::to_string(cpu);
  env["PIN_CPU_FILE"] = dir.file("cpu");
  return env;
}

// Runs `b`, whose pinned child feeds SinkBolt(label), and checks the thread named `thread`:
// with the key on it ends up allowed on `cpu` alone; with it off it keeps its whole mask
// thousands of round trips later.
void expectFollowed(const TopologyBuilder& b, Config conf, const std::string& label,
                    const std::string& thread, bool follow, int cpu, const TempDir& dir) {
  conf.set(Config::SQUALL_MULTILANG_READER_FOLLOWS_CHILD, follow);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return std::filesystem::exists(dir.file("cpu")); }));
  ASSERT_TRUE(waitFor([&] { return sinkSeen().count(label) >= 1000; }));
  const std::string only = std::to_string(cpu);
  if (follow) {
    EXPECT_TRUE(waitFor([&] { return threadCpuList(thread) == only; }))
        << thread << " is allowed on " << threadCpuList(thread).value_or("(no thread)");
  } else {
    size_t seen = sinkSeen().count(label);
    ASSERT_TRUE(waitFor([&] { return sinkSeen().count(label) >= seen + 5000; }));
    auto list = threadCpuList(thread);
    ASSERT_TRUE(list.has_value());
    EXPECT_NE(*list, only);
  }
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

}  // namespace

// End to end: a child pinned to the last CPU that waits for task ids after each emit; its
// bolt's reader thread ("ml:<component>:<task>") runs where it runs.
class ReaderFollowsChild : public ::testing::TestWithParam<bool> {};

TEST_P(ReaderFollowsChild, TheReaderRunsWhereTheRoundTripChildRuns) {
  std::vector<int> cpus = allowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nowhere to move";
  const std::string label = GetParam() ? "follows" : "stays";
  TempDir dir;
  TopologyBuilder b;
  endlessInto(b, label, "pinned", "pinned_round_trip_bolt.py", pinnedEnv(dir, cpus.back()));
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("pinned");
  expectFollowed(b, baseConfig(), label, "ml:pinned", GetParam(), cpus.back(), dir);
}

INSTANTIATE_TEST_SUITE_P(OnAndOff, ReaderFollowsChild, ::testing::Bool());

// A ShellSpout's executor follows its child the same way while its commands come back to back
// (every one is a round trip): a busy spout's executor thread ("<component>:<task>").
class SpoutExecutorFollowsChild : public ::testing::TestWithParam<bool> {};

TEST_P(SpoutExecutorFollowsChild, TheExecutorRunsWhereTheBusySpoutRuns) {
  std::vector<int> cpus = allowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nowhere to move";
  const std::string label = GetParam() ? "spout-follows" : "spout-stays";
  TempDir dir;
  TopologyBuilder b;
  b.setSpout("pspout", ShellSpout({kPython, childScript("pinned_spout.py"), "busy"}, Fields{"x"})
                           .setEnv(pinnedEnv(dir, cpus.back())));
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("pspout");
  Config conf = baseConfig();
  conf.setMaxSpoutPending(500);
  expectFollowed(b, conf, label, "pspout:", GetParam(), cpus.back(), dir);
}

INSTANTIATE_TEST_SUITE_P(OnAndOff, SpoutExecutorFollowsChild, ::testing::Bool());

// An idle spout, asked for a tuple every millisecond or more, is not followed: its executor
// keeps its mask (and is not left pinned by the first calls, which come back to back).
TEST(SpoutExecutorFollowsChild, AnIdleSpoutKeepsItsExecutorsMask) {
  std::vector<int> cpus = allowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nowhere to move";
  TempDir dir;
  std::map<std::string, std::string> env = pinnedEnv(dir, cpus.back());
  env["NEXT_COUNT_FILE"] = dir.file("nexts");
  TopologyBuilder b;
  b.setSpout(
      "ispout",
      ShellSpout({kPython, childScript("pinned_spout.py"), "idle"}, Fields{"x"}).setEnv(env));
  b.setBolt("sink", SinkBolt("idle-spout")).shuffleGrouping("ispout");
  LocalCluster cluster;
  cluster.submitTopology("idle-spout", baseConfig(), b.createTopology());
  auto nexts = [&] {
    std::ifstream in(dir.file("nexts"));
    int n = 0;
    in >> n;
    return n;
  };
  ASSERT_TRUE(waitFor([&] { return nexts() >= 60; }));
  auto list = threadCpuList("ispout:");
  ASSERT_TRUE(list.has_value());
  EXPECT_NE(*list, std::to_string(cpus.back()));
  cluster.killTopologyWithOpts("idle-spout", KillOptions{0});
}
