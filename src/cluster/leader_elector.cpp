#include "cluster/leader_elector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>

namespace squall::cluster {

namespace {

// Candidates in election order; names without a sequence number are not candidates.
std::vector<std::string> candidates(ZkClient& zk, const std::string& lockPath) {
  std::vector<std::string> kids;
  try {
    kids = zk.children(lockPath);
  } catch (const ZkError& e) {
    if (e.noNode()) return {};
    throw;
  }
  std::erase_if(kids, [](const std::string& k) { return sequenceNumber(k) < 0; });
  std::sort(kids.begin(), kids.end(), [](const std::string& a, const std::string& b) {
    return sequenceNumber(a) < sequenceNumber(b);
  });
  return kids;
}

std::string randomToken() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

}  // namespace

struct LeaderElector::Core : std::enable_shared_from_this<Core> {
  Core(ZkClient& z, std::string i, std::string l)
      : zk(z),
        id(std::move(i)),
        lockPath(std::move(l)),
        prefix("_c_" + randomToken() + "-latch-") {}

  ZkClient& zk;
  const std::string id;
  const std::string lockPath;
  const std::string prefix;

  std::mutex opMu;  // one election step at a time
  std::string ourPath;
  bool stopped = true;
  std::atomic<bool> leader{false};
  std::function<void(bool)> onChange;
  int listenerId = 0;

  void setLeader(bool v) {
    if (leader.exchange(v) == v) return;
    spdlog::info("leader election {}: {} {}", lockPath, id, v ? "leads" : "no longer leads");
    if (onChange) onChange(v);
  }

  std::string findOurs() {
    for (const auto& k : candidates(zk, lockPath)) {
      if (k.rfind(prefix, 0) == 0) return joinPath(lockPath, k);
    }
    return {};
  }

  void enter() {
    zk.mkdirs(lockPath);
    for (int attempt = 0; attempt < 3; ++attempt) {
      try {
        ourPath = zk.create(joinPath(lockPath, prefix), id, CreateMode::EphemeralSequential);
        return;
      } catch (const ZkError& e) {
        if (e.noNode() || e.nodeExists() || e.noAuth()) throw;
        // The reply may have been lost with the connection while the node was made.
        ourPath = findOurs();
        if (!ourPath.empty()) return;
      }
    }
    throw ZkError(-1 /* ZSYSTEMERROR */,
                  fmt::format("leader election {}: could not enter", lockPath));
  }

  void check() {
    for (int round = 0; round < 16 && !stopped; ++round) {
      auto kids = candidates(zk, lockPath);
      std::string ours = ourPath.empty() ? "" : ourPath.substr(ourPath.rfind('/') + 1);
      auto it = std::find(kids.begin(), kids.end(), ours);
      if (ours.empty() || it == kids.end()) {
        enter();
        continue;
      }
      if (it == kids.begin()) {
        setLeader(true);
        return;
      }
      setLeader(false);
      std::weak_ptr<Core> weak = shared_from_this();
      auto pred = zk.exists(joinPath(lockPath, *std::prev(it)), [weak](const WatchEvent&) {
        if (auto self = weak.lock()) self->recheck();
      });
      if (pred) return;  // wait for it to go
    }
  }

  void recheck() {
    std::lock_guard lk(opMu);
    if (stopped) return;
    try {
      check();
    } catch (const std::exception& e) {
      // The next session event checks again.
      spdlog::warn("leader election {}: {}", lockPath, e.what());
    }
  }

  void onSession(SessionEvent e) {
    std::lock_guard lk(opMu);
    if (stopped) return;
    switch (e) {
      case SessionEvent::Disconnected:
        setLeader(false);
        return;
      case SessionEvent::Expired:
        setLeader(false);
        ourPath.clear();  // the node went with the session
        return;
      case SessionEvent::Connected:
      case SessionEvent::Reestablished:
        try {
          check();
        } catch (const std::exception& ex) {
          spdlog::warn("leader election {}: {}", lockPath, ex.what());
        }
        return;
    }
  }
};

LeaderElector::LeaderElector(ZkClient& zk, std::string participantId, std::string lockPath)
    : core_(std::make_shared<Core>(zk, std::move(participantId), std::move(lockPath))) {}

LeaderElector::~LeaderElector() {
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::warn("leader election {}: {}", core_->lockPath, e.what());
  }
}

void LeaderElector::start(std::function<void(bool)> onChange) {
  Core& c = *core_;
  std::lock_guard lk(c.opMu);
  if (!c.stopped) return;
  c.stopped = false;
  c.onChange = std::move(onChange);
  std::weak_ptr<Core> weak = core_;
  c.listenerId = c.zk.addSessionListener([weak](SessionEvent e) {
    if (auto self = weak.lock()) self->onSession(e);
  });
  c.check();
}

void LeaderElector::stop() {
  Core& c = *core_;
  std::lock_guard lk(c.opMu);
  if (c.stopped) return;
  c.stopped = true;
  c.zk.removeSessionListener(c.listenerId);
  c.setLeader(false);
  if (!c.ourPath.empty()) {
    std::string path = std::move(c.ourPath);
    c.ourPath.clear();
    try {
      c.zk.remove(path);
    } catch (const ZkError& e) {
      spdlog::warn("leader election: could not withdraw {}: {}", path, e.what());
    }
  }
}

bool LeaderElector::isLeader() const {
  return core_->leader.load();
}

std::optional<std::string> LeaderElector::leaderId() {
  return currentLeader(core_->zk, core_->lockPath);
}

std::optional<std::string> LeaderElector::currentLeader(ZkClient& zk, const std::string& lockPath) {
  for (const auto& k : candidates(zk, lockPath)) {
    if (auto data = zk.get(joinPath(lockPath, k))) return data;  // else it left while listing
  }
  return std::nullopt;
}

}  // namespace squall::cluster
