#pragma once
// BoundedServer: cpp-httplib's Server with a bound on what one connection may send. httplib
// 0.11 limits the request line and each header line to 8 KiB but not how many header lines
// come, so a client streaming headers would grow the server's memory without end. Here each
// connection serves one request (the reply says `Connection: close`) through a socket stream
// that stops reading after kMaxRequestBytes, so httplib's parser fails and answers 400.

#include <httplib.h>

namespace squall::ui {

class BoundedServer : public httplib::Server {
 public:
  // The request line, headers and body of one request together.
  static constexpr size_t kMaxRequestBytes = 256 * 1024;

 private:
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace squall::ui
