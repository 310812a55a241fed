// ZkClient against a real ZooKeeper server (tests/zk_support.h): CRUD, watches, ephemeral and
// sequential nodes, bounded reads, session expiry, a server restart, ACLs.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include "cluster/zk_client.h"
#include "zk_support.h"

using namespace squall;
using namespace squall::cluster;
using squall::testing::waitFor;
using squall::testing::zkConnect;
using squall::testing::zkOptions;
using squall::testing::zooKeeper;
using namespace std::chrono_literals;

namespace {

// Events a watcher or listener saw, read by the test thread.
template <class T>
class Seen {
 public:
  void add(T v) {
    std::lock_guard lk(mu_);
    v_.push_back(std::move(v));
  }
  std::vector<T> all() const {
    std::lock_guard lk(mu_);
    return v_;
  }
  bool contains(const T& x) const {
    std::lock_guard lk(mu_);
    return std::find(v_.begin(), v_.end(), x) != v_.end();
  }
  size_t size() const {
    std::lock_guard lk(mu_);
    return v_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<T> v_;
};

using Events = Seen<std::pair<WatchEvent::Type, std::string>>;

Watcher recordTo(Events& seen) {
  return [&seen](const WatchEvent& e) { seen.add({e.type, e.path}); };
}

}  // namespace

TEST(ZkClient, CrudUnderTheChroot) {
  auto zk = zkConnect(zkOptions());
  zk->mkdirs("/a/b");
  EXPECT_EQ(zk->create("/a/b/c", "one"), "/a/b/c");
  NodeStat st;
  EXPECT_EQ(zk->get("/a/b/c", {}, &st), "one");
  EXPECT_EQ(st.version, 0);
  zk->set("/a/b/c", "two");
  EXPECT_EQ(zk->get("/a/b/c"), "two");
  EXPECT_EQ(zk->get("/a/b/missing"), std::nullopt);
  EXPECT_TRUE(zk->exists("/a/b").has_value());
  EXPECT_EQ(zk->children("/a/b"), std::vector<std::string>{"c"});
  EXPECT_TRUE(zk->remove("/a/b/c"));
  EXPECT_FALSE(zk->remove("/a/b/c"));
  EXPECT_EQ(zk->create("/a/empty", ""), "/a/empty");
  EXPECT_EQ(zk->get("/a/empty"), "");

  // The chroot is real: a client without one sees the nodes under it.
  ZkOptions plain = zkOptions();
  std::string root = plain.root;
  plain.root = "";
  auto raw = zkConnect(plain);
  EXPECT_TRUE(raw->exists(root + "/a/b").has_value());

  zk->removeRecursive("/a");
  EXPECT_FALSE(zk->exists("/a").has_value());
}

TEST(ZkClient, ErrorsNameThePathAndZooKeepersReason) {
  auto zk = zkConnect(zkOptions());
  zk->create("/dup", "x");
  try {
    zk->create("/dup", "y");
    FAIL() << "created twice";
  } catch (const ZkError& e) {
    EXPECT_TRUE(e.nodeExists());
    EXPECT_NE(std::string(e.what()).find(zk->options().root + "/dup"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("node exists"), std::string::npos) << e.what();
  }
  try {
    zk->create("/no/parent", "y");
    FAIL() << "created without a parent";
  } catch (const ZkError& e) {
    EXPECT_TRUE(e.noNode());
    EXPECT_NE(std::string(e.what()).find("/no/parent"), std::string::npos) << e.what();
  }
  EXPECT_THROW(zk->set("/missing", "x"), ZkError);
  EXPECT_THROW(zk->children("/missing"), ZkError);
  EXPECT_THROW(zk->set("/dup", "x", 7), ZkError);  // wrong version
}

TEST(ZkClient, WatchesFireOnceOnChangeCreateDeleteAndChildren) {
  auto zk = zkConnect(zkOptions());
  auto other = zkConnect(zkOptions());
  zk->create("/w", "0");
  Events data, kids, created;
  EXPECT_EQ(zk->get("/w", recordTo(data)), "0");
  zk->children("/w", recordTo(kids));
  EXPECT_FALSE(zk->exists("/later", recordTo(created)).has_value());

  other->set("/w", "1");
  ASSERT_TRUE(waitFor([&] { return data.size() == 1; }));
  EXPECT_EQ(data.all()[0], std::make_pair(WatchEvent::Type::Changed, std::string("/w")));
  other->set("/w", "2");  // one-shot: not seen until read again
  other->create("/w/k", "");
  ASSERT_TRUE(waitFor([&] { return kids.size() == 1; }));
  EXPECT_EQ(kids.all()[0].first, WatchEvent::Type::Children);
  other->create("/later", "");
  ASSERT_TRUE(waitFor([&] { return created.size() == 1; }));
  EXPECT_EQ(created.all()[0].first, WatchEvent::Type::Created);

  // get() on a missing node watches for its creation.
  Events appears;
  EXPECT_EQ(zk->get("/appears", recordTo(appears)), std::nullopt);
  other->create("/appears", "here");
  ASSERT_TRUE(waitFor([&] { return appears.size() == 1; }));
  EXPECT_EQ(appears.all()[0].first, WatchEvent::Type::Created);

  Events gone;
  EXPECT_EQ(zk->get("/w", recordTo(gone)), "2");
  other->remove("/w/k");
  other->remove("/w");
  ASSERT_TRUE(waitFor([&] { return gone.size() == 1; }));
  EXPECT_EQ(gone.all()[0].first, WatchEvent::Type::Deleted);
  EXPECT_EQ(data.size(), 1u);

  // A watcher may call the client (it runs on the client's event thread).
  std::promise<std::optional<std::string>> readBack;
  zk->exists("/cb", [&](const WatchEvent&) { readBack.set_value(zk->get("/cb")); });
  other->create("/cb", "from watcher");
  auto f = readBack.get_future();
  ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(f.get(), "from watcher");
}

TEST(ZkClient, SequentialNodesCountUp) {
  auto zk = zkConnect(zkOptions());
  zk->mkdirs("/seq");
  std::string a = zk->create("/seq/n-", "", CreateMode::PersistentSequential);
  std::string b = zk->create("/seq/n-", "", CreateMode::EphemeralSequential);
  ASSERT_EQ(a.size(), std::string("/seq/n-0000000000").size()) << a;
  EXPECT_LT(a, b);
  EXPECT_EQ(a.rfind("/seq/n-", 0), 0u);
}

TEST(ZkClient, ReadsAreBounded) {
  ZkOptions small = zkOptions();
  small.maxDataBytes = 1000;
  auto zk = zkConnect(small);
  zk->create("/big", std::string(2000, 'x'));
  try {
    zk->get("/big");
    FAIL() << "read past the limit";
  } catch (const ZkError& e) {
    EXPECT_NE(std::string(e.what()).find("2000 bytes, more than the 1000-byte limit"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("/big"), std::string::npos);
  }
  // Bigger than the first read buffer, within the limit: read whole.
  auto whole = zkConnect(zkOptions());
  std::string blob(100000, 'y');
  blob[99999] = 'z';
  whole->create("/blob", blob);
  EXPECT_EQ(whole->get("/blob"), blob);
}

TEST(ZkClient, EphemeralNodeGoesWithItsSession) {
  auto owner = zkConnect(zkOptions());
  auto watcher = zkConnect(zkOptions());
  owner->create("/alive", "me", CreateMode::Ephemeral);
  Events seen;
  auto st = watcher->exists("/alive", recordTo(seen));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->ephemeralOwner, owner->sessionId());
  owner->close();
  ASSERT_TRUE(waitFor([&] { return seen.size() == 1; }));
  EXPECT_EQ(seen.all()[0].first, WatchEvent::Type::Deleted);
  EXPECT_FALSE(watcher->exists("/alive").has_value());
  EXPECT_THROW(owner->get("/alive"), ZkError);  // closed
}

TEST(ZkClient, ExpiredSessionIsReplacedWithEphemeralsAndWatches) {
  auto zk = zkConnect(zkOptions());
  auto other = zkConnect(zkOptions());
  Seen<SessionEvent> session;
  zk->addSessionListener([&](SessionEvent e) { session.add(e); });
  zk->create("/eph", "v1", CreateMode::Ephemeral);
  zk->set("/eph", "v2");  // what comes back is the latest data
  zk->create("/watched", "a");
  Events changed;
  zk->get("/watched", recordTo(changed));
  int64_t before = zk->sessionId();

  endSessionFromAnotherHandle(zk->options(), zk->sessionCredentials());
  ASSERT_TRUE(waitFor([&] { return session.contains(SessionEvent::Reestablished); }, 30s));
  EXPECT_TRUE(session.contains(SessionEvent::Expired));
  EXPECT_NE(zk->sessionId(), before);
  NodeStat st;
  EXPECT_EQ(other->get("/eph", {}, &st), "v2");
  EXPECT_EQ(st.ephemeralOwner, zk->sessionId());

  // The watch set before the expiry was set again on the new session.
  EXPECT_EQ(changed.size(), 0u);
  other->set("/watched", "b");
  ASSERT_TRUE(waitFor([&] { return changed.size() == 1; }));
  EXPECT_EQ(changed.all()[0].first, WatchEvent::Type::Changed);
  EXPECT_EQ(zk->get("/watched"), "b");
}

TEST(ZkClient, WatchWhoseNodeChangedWhileTheSessionWasLostFiresOnRecovery) {
  auto zk = zkConnect(zkOptions());
  auto other = zkConnect(zkOptions());
  zk->create("/data", "a");
  zk->create("/dir", "");
  zk->create("/unchanged", "u");
  Events data, kids, quiet;
  zk->get("/data", recordTo(data));
  zk->children("/dir", recordTo(kids));
  zk->get("/unchanged", recordTo(quiet));
  // Expired is told before the watches are set again: changes made here fall in the gap
  // between the old session's watches and the new one's, which no server watch would report.
  zk->addSessionListener([&](SessionEvent e) {
    if (e != SessionEvent::Expired) return;
    other->set("/data", "b");
    other->create("/dir/child", "");
  });
  endSessionFromAnotherHandle(zk->options(), zk->sessionCredentials());
  ASSERT_TRUE(waitFor([&] { return data.size() == 1 && kids.size() == 1; }, 30s));
  EXPECT_EQ(data.all()[0].first, WatchEvent::Type::Changed);
  EXPECT_EQ(kids.all()[0].first, WatchEvent::Type::Children);
  EXPECT_EQ(quiet.size(), 0u);  // set again, and silent until its node changes
  other->set("/unchanged", "v");
  ASSERT_TRUE(waitFor([&] { return quiet.size() == 1; }));
}

TEST(ZkClient, ServerRestartMidRunResumesTheSameSession) {
  auto zk = zkConnect(zkOptions());
  Seen<SessionEvent> session;
  zk->addSessionListener([&](SessionEvent e) { session.add(e); });
  zk->create("/eph", "x", CreateMode::Ephemeral);
  zk->create("/w", "0");
  Events changed;
  zk->get("/w", recordTo(changed));
  int64_t before = zk->sessionId();

  zooKeeper().stop();
  ASSERT_TRUE(waitFor([&] { return session.contains(SessionEvent::Disconnected); }, 30s));
  EXPECT_FALSE(zk->connected());
  // An operation while the server is down waits for it instead of failing.
  auto during = std::async(std::launch::async, [&] { return zk->create("/during", "d"); });
  EXPECT_EQ(during.wait_for(200ms), std::future_status::timeout);
  zooKeeper().start();
  ASSERT_EQ(during.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(during.get(), "/during");
  ASSERT_TRUE(waitFor([&] { return session.contains(SessionEvent::Connected); }, 30s));
  EXPECT_EQ(zk->sessionId(), before);
  EXPECT_FALSE(session.contains(SessionEvent::Expired));
  EXPECT_EQ(zk->get("/eph"), "x");

  auto other = zkConnect(zkOptions());
  other->set("/w", "1");
  ASSERT_TRUE(waitFor([&] { return changed.size() == 1; }));
}

TEST(ZkClient, CreatorOnlyNodeIsUnreadableWithoutTheDigest) {
  ZkOptions cluster = zkOptions();
  cluster.authScheme = "digest";
  cluster.authPayload = "squall:s3cret";
  auto owner = zkConnect(cluster);
  owner->create("/secret", "key material", CreateMode::Persistent, NodeAcl::CreatorOnly);
  EXPECT_EQ(owner->get("/secret"), "key material");

  auto anonymous = zkConnect(zkOptions());
  try {
    anonymous->get("/secret");
    FAIL() << "read without authentication";
  } catch (const ZkError& e) {
    EXPECT_TRUE(e.noAuth()) << e.what();
    EXPECT_NE(std::string(e.what()).find("/secret"), std::string::npos);
  }
  EXPECT_THROW(anonymous->set("/secret", "x"), ZkError);

  ZkOptions wrong = zkOptions();
  wrong.authScheme = "digest";
  wrong.authPayload = "squall:guess";
  auto guesser = zkConnect(wrong);
  EXPECT_THROW(guesser->get("/secret"), ZkError);

  auto peer = zkConnect(cluster);  // another daemon of the cluster
  EXPECT_EQ(peer->get("/secret"), "key material");

  try {
    anonymous->create("/mine", "", CreateMode::Persistent, NodeAcl::CreatorOnly);
    FAIL() << "creator-only node without credentials";
  } catch (const ZkError& e) {
    EXPECT_NE(std::string(e.what()).find("storm.zookeeper.auth"), std::string::npos) << e.what();
  }
}

TEST(ZkClient, OptionsFromStormConfig) {
  Config conf;
  EXPECT_EQ(ZkOptions::fromConfig(conf).connectString(), "localhost:2181");
  EXPECT_EQ(ZkOptions::fromConfig(conf).root, "/storm");
  EXPECT_EQ(ZkOptions::fromConfig(conf).sessionTimeoutMs, 20000);
  conf.set(Config::STORM_ZOOKEEPER_SERVERS, List{Value("zk1"), Value("zk2:2182")});
  conf.set(Config::STORM_ZOOKEEPER_PORT, 2000);
  EXPECT_EQ(ZkOptions::fromConfig(conf).connectString(), "zk1:2000,zk2:2182");
  conf.set(Config::STORM_ZOOKEEPER_ROOT, "storm");
  EXPECT_THROW(ZkOptions::fromConfig(conf), ConfigError);
  conf.set(Config::STORM_ZOOKEEPER_ROOT, "/s");
  conf.set(Config::STORM_ZOOKEEPER_AUTH_SCHEME, "digest");
  EXPECT_THROW(ZkOptions::fromConfig(conf), ConfigError);  // payload missing

  ZkOptions nobody;
  nobody.servers = {"127.0.0.1"};
  nobody.port = zooKeeper().port() == 1 ? 2 : 1;  // nothing listens on port 1
  nobody.connectionTimeoutMs = 300;
  ZkClient c(nobody);
  EXPECT_THROW(c.start(), ZkError);
}
