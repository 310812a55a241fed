// squall-dev-kafka: the development Kafka cluster as its own program, usable before (and
// besides) `squall dev-kafka`.

#include <string>
#include <vector>

#include "squall/dev_kafka.h"

int main(int argc, char** argv) {
  return squall::devKafkaMain(std::vector<std::string>(argv + 1, argv + argc));
}
