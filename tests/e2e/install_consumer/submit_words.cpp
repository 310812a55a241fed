// Submits Storm's word count (TestWordSpout -> TestWordCounter, classes every worker has) to
// the nimbus on 127.0.0.1:PORT through squall::StormSubmitter, as a Storm user's main() calls
// StormSubmitter.submitTopology, and prints the id nimbus gave it.
#include <squall/squall.h>
#include <squall/storm_submitter.h>

#include <cstdio>
#include <string>

using namespace squall;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: submit_words NIMBUS_PORT TOPOLOGY_NAME\n");
    return 2;
  }
  TopologyBuilder builder;
  builder.setSpout("words", ComponentSpec{"org.apache.storm.testing.TestWordSpout"}, 1);
  builder.setBolt("count", ComponentSpec{"org.apache.storm.testing.TestWordCounter"}, 2)
      .fieldsGrouping("words", Fields{"word"});
  Config conf;
  conf.set("nimbus.seeds", Value(List{Value("127.0.0.1")}));
  conf.set("nimbus.thrift.port", Value(static_cast<int64_t>(std::stoi(argv[1]))));
  conf.setNumWorkers(1);
  try {
    std::printf("submitted %s\n",
                StormSubmitter::submitTopology(argv[2], conf, builder.createTopology()).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
