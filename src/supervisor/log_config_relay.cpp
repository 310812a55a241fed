#include "supervisor/log_config_relay.h"

#include <fstream>
#include <sstream>

#include "nimbus/zk_topology_store.h"

namespace squall::supervisor {

bool relayLogConfig(const std::string& json, const std::string& path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream was;
      was << in.rdbuf();
      if (was.str() == json) return false;
    }
  }
  nimbus::writeFileAtomically(path, json);
  return true;
}

}  // namespace squall::supervisor
