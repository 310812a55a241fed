#pragma once
// runTopology: the main of a C++ topology program, in one process or in several workers.
//
//   int main(int argc, char** argv) {
//     squall::TopologyBuilder builder;
//     ...                                   // the same topology whatever the arguments
//     return squall::runTopology(argc, argv, "my-topology", conf, builder.createTopology());
//   }
//
//   my_topology                    in this process (a LocalCluster) until Ctrl-C
//   my_topology --workers 2        in two worker processes on this machine, over TCP loopback
//   my_topology --duration 10      ... for 10 seconds, then drain and stop
//   my_topology --kill-wait 3      seconds to drain when stopping (default 1)
//
// With `--workers N` this process becomes the launcher of `squall run --workers N`: it plans
// the topology, deals its executors over N workers as Storm's even scheduler does, and starts N
// copies of its own executable (/proc/self/exe) with the same arguments, each told by its
// environment (SQUALL_WORKER_ASSIGNMENT, SQUALL_WORKER_INDEX) which worker it is. In such a copy
// runTopology runs that worker's executors until the launcher stops it; SIGHUP makes it read
// the assignment again (a worker moved to another port). So every component class the program
// links, and every component object given to the builder, runs in every worker unchanged: the
// program must build the same topology each time it runs with the same arguments (the workers
// compare a fingerprint of it and refuse each other otherwise).
//
// Arguments runTopology does not know are left for the program; it reads its own wherever they
// are. It handles SIGINT and SIGTERM (stop: deactivate, drain for --kill-wait, kill) and SIGHUP
// while it runs, and puts the previous handlers back before it returns. Returns the exit status
// for main: 0 after a clean stop, 1 when the topology cannot start, 2 for a bad argument of its
// own, 3 when a worker failed fatally.

#include <string>

#include "squall/config.h"
#include "squall/topology_builder.h"

namespace squall {

int runTopology(int argc, char** argv, const std::string& name, const Config& conf,
                const StormTopology& topology);

}  // namespace squall
