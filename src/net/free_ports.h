#pragma once

#include <set>
#include <string>
#include <vector>

namespace squall::net {

// Distinct free TCP ports on `host`, for processes this one is about to start.
//
// A port found by binding port 0 is free only while that socket stays open: picked one at a
// time, the kernel may hand the same port out twice (`squall run --workers 2` once gave both
// workers one port, and the second could not listen). Every socket here stays bound until
// all `count` ports are picked, so they differ from each other and from `avoid` (ports
// already promised to a process that is not listening yet). They are released on return;
// another process may still take one before its new owner binds it, which the owner must
// report. `host` is an IPv4 literal; anything else picks a port free on every address.
// Throws std::runtime_error naming the host and the system's reason.
std::vector<int> freePorts(const std::string& host, size_t count, const std::set<int>& avoid = {});

// One free port on `host` that is not in `avoid`.
int freePort(const std::string& host, const std::set<int>& avoid = {});

// True when a listener could bind host:port now (with SO_REUSEADDR, as Squall's listeners
// do: a port whose last connections linger in TIME_WAIT is free). An error other than the
// port being taken also answers true, so that the process started on it reports the reason.
bool portFree(const std::string& host, int port);

}  // namespace squall::net
