// The development Kafka cluster: librdkafka's mock cluster, an optional fixed-port forwarder
// for bootstrapping, a command FIFO for fault injection, and the `dev-kafka` command line.

#include "squall/dev_kafka.h"

// rdkafka_mock.h must follow rdkafka.h.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "kafka/rdkafka_util.h"
#include "squall/errors.h"
#include "squall/kafka_consumer.h"

namespace squall {

DevKafkaTopic parseDevKafkaTopic(const std::string& spec) {
  DevKafkaTopic t;
  std::vector<std::string> parts;
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, ':')) parts.push_back(part);
  auto number = [&](const std::string& s, const char* what) {
    try {
      size_t used = 0;
      int n = std::stoi(s, &used);
      if (used == s.size() && n >= 1) return n;
    } catch (const std::exception&) {
    }
    throw IllegalArgumentException(
        fmt::format("topic '{}': {} must be a positive integer, got '{}'", spec, what, s));
  };
  if (parts.empty() || parts.size() > 3 || parts[0].empty()) {
    throw IllegalArgumentException(
        fmt::format("bad topic '{}': use NAME, NAME:PARTITIONS or NAME:PARTITIONS:REPLICATION", spec));
  }
  t.name = parts[0];
  if (parts.size() > 1) t.partitions = number(parts[1], "the partition count");
  if (parts.size() > 2) t.replicationFactor = number(parts[2], "the replication factor");
  return t;
}

// --- Fixed-port forwarder --------------------------------------------------------------------------

namespace {

// Accepts on 127.0.0.1:port and pipes each connection to one upstream broker. One thread with
// poll(); stop() wakes it through a pipe and closes everything.
class Forwarder {
 public:
  Forwarder(int port, int upstreamPort) : upstreamPort_(upstreamPort) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_, 64) != 0) {
      int e = errno;
      ::close(listen_);
      throw kafka::KafkaException(fmt::format("cannot listen on 127.0.0.1:{}: {}", port, std::strerror(e)),
                           false);
    }
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (::pipe(wake_) != 0) throw kafka::KafkaException("pipe() failed", false);
    thread_ = std::thread([this] { run(); });
  }
  ~Forwarder() {
    char c = 0;
    [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
    thread_.join();
    for (auto& [a, b] : pairs_) {
      ::close(a);
      ::close(b);
    }
    ::close(listen_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  int port() const { return port_; }

 private:
  void run() {
    char buf[65536];
    while (true) {
      std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listen_, POLLIN, 0}};
      for (auto& [a, b] : pairs_) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents) return;
      std::vector<size_t> dead;
      // Only the pairs polled above; a connection accepted below joins the next round.
      for (size_t i = 0; i < (fds.size() - 2) / 2; ++i) {
        for (int side = 0; side < 2; ++side) {
          const pollfd& p = fds[2 + 2 * i + static_cast<size_t>(side)];
          if (!p.revents) continue;
          int from = side ? pairs_[i].second : pairs_[i].first;
          int to = side ? pairs_[i].first : pairs_[i].second;
          ssize_t n = ::read(from, buf, sizeof buf);
          if (n <= 0 || !writeAll(to, buf, static_cast<size_t>(n))) {
            dead.push_back(i);
            break;
          }
        }
      }
      for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
        ::close(pairs_[*it].first);
        ::close(pairs_[*it].second);
        pairs_.erase(pairs_.begin() + static_cast<long>(*it));
      }
      if (fds[1].revents & POLLIN) accept();
    }
  }
  void accept() {
    int client = ::accept(listen_, nullptr, nullptr);
    if (client < 0) return;
    int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(upstreamPort_));
    if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(up);
      ::close(client);
      return;
    }
    pairs_.emplace_back(client, up);
  }
  static bool writeAll(int fd, const char* p, size_t n) {
    while (n) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  int listen_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  int upstreamPort_;
  std::vector<std::pair<int, int>> pairs_;
  std::thread thread_;
};

}  // namespace

// --- DevKafkaCluster -------------------------------------------------------------------------------

class DevKafkaCluster::Impl {
 public:
  rd_kafka_t* host = nullptr;
  rd_kafka_mock_cluster_t* mock = nullptr;
  std::mutex mu;
  std::unique_ptr<Forwarder> forwarder;
};

DevKafkaCluster::DevKafkaCluster(int brokers) : impl_(std::make_unique<Impl>()), brokers_(brokers) {
  if (brokers < 1) throw IllegalArgumentException("dev-kafka: at least one broker");
  // The handle only hosts the mock; it never produces.
  // Quiet: the hosting handle has no bootstrap servers, which librdkafka warns about.
  rd_kafka_conf_t* conf = kafka::rdk::makeConf({{"log_level", "3"}}, "dev-kafka");
  char err[512];
  impl_->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!impl_->host) {
    rd_kafka_conf_destroy(conf);
    throw kafka::KafkaException(fmt::format("dev-kafka: {}", err), false);
  }
  impl_->mock = rd_kafka_mock_cluster_new(impl_->host, brokers);
  if (!impl_->mock) {
    rd_kafka_destroy(impl_->host);
    throw kafka::KafkaException("dev-kafka: librdkafka could not start its mock cluster", false);
  }
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(impl_->mock);
}

DevKafkaCluster::~DevKafkaCluster() {
  impl_->forwarder.reset();
  rd_kafka_mock_cluster_destroy(impl_->mock);
  rd_kafka_destroy(impl_->host);
}

namespace {
void check(rd_kafka_resp_err_t err, const std::string& what) {
  if (err) throw kafka::KafkaException(fmt::format("dev-kafka: {}: {}", what, kafka::rdk::errorText(err)), false);
}
}  // namespace

void DevKafkaCluster::createTopic(const std::string& name, int partitions, int replicationFactor) {
  check(rd_kafka_mock_topic_create(impl_->mock, name.c_str(), partitions,
                                   std::min(replicationFactor, brokers_)),
        fmt::format("create topic '{}'", name));
}

void DevKafkaCluster::setBrokerDown(int brokerId) {
  for (int id = (brokerId < 0 ? 1 : brokerId); id <= (brokerId < 0 ? brokers_ : brokerId); ++id) {
    check(rd_kafka_mock_broker_set_down(impl_->mock, id), fmt::format("broker {} down", id));
  }
}

void DevKafkaCluster::setBrokerUp(int brokerId) {
  for (int id = (brokerId < 0 ? 1 : brokerId); id <= (brokerId < 0 ? brokers_ : brokerId); ++id) {
    check(rd_kafka_mock_broker_set_up(impl_->mock, id), fmt::format("broker {} up", id));
  }
}

void DevKafkaCluster::setBrokerRtt(int brokerId, int rttMs) {
  check(rd_kafka_mock_broker_set_rtt(impl_->mock, brokerId, rttMs),
        fmt::format("broker {} rtt", brokerId));
}

void DevKafkaCluster::setPartitionLeader(const std::string& topic, int partition, int brokerId) {
  check(rd_kafka_mock_partition_set_leader(impl_->mock, topic.c_str(), partition, brokerId),
        fmt::format("leader of {}-{}", topic, partition));
}

void DevKafkaCluster::pushRequestErrors(int apiKey, const std::vector<int>& errors) {
  std::vector<rd_kafka_resp_err_t> e;
  for (int x : errors) e.push_back(static_cast<rd_kafka_resp_err_t>(x));
  rd_kafka_mock_push_request_errors_array(impl_->mock, static_cast<int16_t>(apiKey), e.size(),
                                          e.data());
}

void DevKafkaCluster::clearRequestErrors(int apiKey) {
  rd_kafka_mock_clear_request_errors(impl_->mock, static_cast<int16_t>(apiKey));
}

int DevKafkaCluster::listenOnFixedPort(int port) {
  std::lock_guard lock(impl_->mu);
  if (impl_->forwarder) throw kafka::KafkaException("dev-kafka: already forwarding a port", false);
  // The first bootstrap address is broker 1.
  std::string first = bootstraps_.substr(0, bootstraps_.find(','));
  int upstream = std::stoi(first.substr(first.rfind(':') + 1));
  impl_->forwarder = std::make_unique<Forwarder>(port, upstream);
  return impl_->forwarder->port();
}

std::string DevKafkaCluster::offsets(const std::string& group, const std::string& topic) {
  char err[512];
  rd_kafka_conf_t* conf = kafka::rdk::makeConf(
      {{"bootstrap.servers", bootstraps_}, {"group.id", group}, {"log_level", "3"}}, "dev-kafka");
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!c) {
    rd_kafka_conf_destroy(conf);
    throw kafka::KafkaException(fmt::format("dev-kafka: {}", err), false);
  }
  std::string out;
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(c, 1, nullptr, &md, 5000);
  int partitions = 0;
  if (!e) {
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (topic == md->topics[i].topic) partitions = md->topics[i].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
  }
  auto list = kafka::rdk::newPartitionList(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  if (!e && partitions) e = rd_kafka_committed(c, list.get(), 5000);
  for (int p = 0; !e && p < partitions; ++p) {
    int64_t lo = 0, hi = -1;
    rd_kafka_query_watermark_offsets(c, topic.c_str(), p, &lo, &hi, 5000);
    int64_t committed = list->elems[p].offset;
    out += fmt::format("{}{}={}/{}", out.empty() ? "" : " ", p,
                       committed < 0 ? std::string("none") : std::to_string(committed), hi);
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  if (e) throw kafka::KafkaException(fmt::format("offsets: {}", kafka::rdk::errorText(e)), true);
  if (!partitions) throw kafka::KafkaException(fmt::format("offsets: no topic '{}'", topic), false);
  return out;
}

std::string DevKafkaCluster::command(const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  std::vector<std::string> args;
  for (std::string a; in >> a;) args.push_back(a);
  auto num = [&](size_t i) {
    if (i >= args.size()) throw IllegalArgumentException("missing argument");
    return std::stoi(args[i]);
  };
  try {
    if (cmd == "down") {
      setBrokerDown(num(0));
    } else if (cmd == "up") {
      setBrokerUp(num(0));
    } else if (cmd == "rtt") {
      setBrokerRtt(num(0), num(1));
    } else if (cmd == "topic") {
      if (args.empty()) throw IllegalArgumentException("missing topic name");
      createTopic(args[0], args.size() > 1 ? num(1) : 1, args.size() > 2 ? num(2) : 1);
    } else if (cmd == "leader") {
      if (args.empty()) throw IllegalArgumentException("missing topic name");
      setPartitionLeader(args[0], num(1), num(2));
    } else if (cmd == "err") {
      std::vector<int> codes;
      for (size_t i = 1; i < args.size(); ++i) codes.push_back(num(i));
      pushRequestErrors(num(0), codes);
    } else if (cmd == "clear") {
      clearRequestErrors(num(0));
    } else if (cmd == "offsets") {
      if (args.size() < 2) throw IllegalArgumentException("usage: offsets <group> <topic>");
      return "ok " + offsets(args[0], args[1]);
    } else {
      return fmt::format(
          "error: unknown command '{}' (down, up, rtt, topic, leader, err, clear, offsets)", cmd);
    }
  } catch (const std::exception& e) {
    return fmt::format("error: {}", e.what());
  }
  return "ok";
}

// --- runDevKafka -----------------------------------------------------------------------------------

namespace {

std::atomic<bool> stopRequested{false};
extern "C" void onStopSignal(int) { stopRequested.store(true); }

}  // namespace

int runDevKafka(const DevKafkaOptions& options) { return runDevKafka(options, std::cout, std::cerr); }

int runDevKafka(const DevKafkaOptions& o, std::ostream& out, std::ostream& err) {
  std::unique_ptr<DevKafkaCluster> cluster;
  try {
    cluster = std::make_unique<DevKafkaCluster>(o.brokers);
    for (const auto& t : o.topics) cluster->createTopic(t.name, t.partitions, t.replicationFactor);
  } catch (const std::exception& e) {
    err << "dev-kafka: " << e.what() << "\n";
    return 1;
  }
  std::string bootstrap = cluster->bootstrapServers();
  if (o.port) {
    try {
      int port = cluster->listenOnFixedPort(o.port);
      bootstrap = fmt::format("127.0.0.1:{},{}", port, bootstrap);
    } catch (const std::exception& e) {
      err << e.what() << "\n";
      return 1;
    }
  }
  int fifo = -1;
  if (!o.controlFifo.empty()) {
    struct stat st{};
    if (::stat(o.controlFifo.c_str(), &st) != 0 && ::mkfifo(o.controlFifo.c_str(), 0600) != 0) {
      err << "dev-kafka: cannot create FIFO " << o.controlFifo << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    // Read-write, so the FIFO never reports end-of-file when a writer goes away.
    fifo = ::open(o.controlFifo.c_str(), O_RDWR | O_NONBLOCK);
    if (fifo < 0) {
      err << "dev-kafka: cannot open " << o.controlFifo << ": " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  if (!o.bootstrapFile.empty()) {
    // Written whole under a temporary name, so a reader never sees half a line.
    std::string tmp = o.bootstrapFile + ".tmp";
    {
      std::ofstream f(tmp);
      f << bootstrap << "\n";
    }
    if (std::rename(tmp.c_str(), o.bootstrapFile.c_str()) != 0) {
      err << "dev-kafka: cannot write " << o.bootstrapFile << "\n";
      return 1;
    }
  }
  out << "bootstrap.servers=" << bootstrap << std::endl;
  if (!o.quiet) {
    err << "dev-kafka: librdkafka " << rd_kafka_version_str() << " mock cluster, " << o.brokers
        << " broker(s)";
    for (const auto& t : o.topics) err << ", topic " << t.name << " (" << t.partitions << " partitions)";
    err << "\n";
    err << (o.duration.count() ? fmt::format("dev-kafka: stopping after {} ms\n", o.duration.count())
                               : std::string("dev-kafka: running until Ctrl-C\n"));
  }

  stopRequested.store(false);
  struct sigaction sa{}, oldInt{}, oldTerm{};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &oldInt);
  ::sigaction(SIGTERM, &sa, &oldTerm);
  auto deadline = std::chrono::steady_clock::now() + o.duration;
  std::string pending;
  while (!stopRequested.load()) {
    if (o.duration.count() && std::chrono::steady_clock::now() >= deadline) break;
    pollfd p{fifo, POLLIN, 0};
    int ready = ::poll(&p, fifo >= 0 ? 1 : 0, 100);
    if (ready > 0 && (p.revents & POLLIN)) {
      char buf[4096];
      ssize_t n = ::read(fifo, buf, sizeof buf);
      if (n > 0) pending.append(buf, static_cast<size_t>(n));
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        out << "dev-kafka: " << line << ": " << cluster->command(line) << std::endl;
      }
    }
  }
  ::sigaction(SIGINT, &oldInt, nullptr);
  ::sigaction(SIGTERM, &oldTerm, nullptr);
  if (fifo >= 0) ::close(fifo);
  if (!o.bootstrapFile.empty()) std::remove(o.bootstrapFile.c_str());
  cluster.reset();
  if (!o.quiet) err << "dev-kafka: stopped\n";
  return 0;
}

std::string devKafkaUsage() {
  return "usage: dev-kafka [--brokers N] [--topic NAME[:PARTITIONS[:REPLICATION]]]...\n"
         "                 [--port P] [--bootstrap-file FILE] [--control FIFO]\n"
         "                 [--duration SECONDS] [--quiet]\n"
         "Runs a development Kafka cluster (librdkafka's mock brokers) in this process and\n"
         "prints bootstrap.servers=<list>. Runs until Ctrl-C (or --duration).\n"
         "  --brokers N          brokers (default 1)\n"
         "  --topic T[:P[:R]]    create topic T with P partitions (default 1); repeatable\n"
         "  --port P             also accept bootstrap connections on 127.0.0.1:P\n"
         "  --bootstrap-file F   write the bootstrap servers to F (removed at exit)\n"
         "  --control FIFO       read fault-injection commands from FIFO: down <id|-1>,\n"
         "                       up <id|-1>, rtt <id> <ms>, topic <name> <partitions>,\n"
         "                       leader <topic> <partition> <id>, err <apiKey> <code>...,\n"
         "                       clear <apiKey>, offsets <group> <topic> (prints each\n"
         "                       partition's committed/end offsets)\n"
         "The mock cannot grow a topic's partitions, create offset gaps or serve the admin\n"
         "CreateTopics call; producers auto-create unknown topics with 4 partitions.\n";
}

int devKafkaMain(const std::vector<std::string>& args) {
  DevKafkaOptions o;
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw IllegalArgumentException(a + " needs a value");
        return args[++i];
      };
      auto number = [&](const std::string& s) {
        size_t used = 0;
        long long n = std::stoll(s, &used);
        if (used != s.size() || n < 0) throw IllegalArgumentException(a + ": bad number " + s);
        return n;
      };
      if (a == "--help" || a == "-h") {
        std::cout << devKafkaUsage();
        return 0;
      } else if (a == "--brokers") {
        o.brokers = static_cast<int>(number(value()));
      } else if (a == "--topic" || a == "-t") {
        o.topics.push_back(parseDevKafkaTopic(value()));
      } else if (a == "--port" || a == "-p") {
        o.port = static_cast<int>(number(value()));
      } else if (a == "--bootstrap-file") {
        o.bootstrapFile = value();
      } else if (a == "--control") {
        o.controlFifo = value();
      } else if (a == "--duration") {
        o.duration = std::chrono::milliseconds(static_cast<int64_t>(std::stod(value()) * 1000));
      } else if (a == "--quiet" || a == "-q") {
        o.quiet = true;
      } else {
        throw IllegalArgumentException("unknown option " + a);
      }
    }
    if (o.brokers < 1) throw IllegalArgumentException("--brokers must be at least 1");
  } catch (const std::exception& e) {
    std::cerr << "dev-kafka: " << e.what() << "\n" << devKafkaUsage();
    return 2;
  }
  return runDevKafka(o);
}

}  // namespace squall
