#pragma once
// Proof that a peer knows the topology's secret, without sending it: HMAC-SHA256 (OpenSSL)
// over both sides' random nonces. The connector proves itself in its Hello (over the acceptor's
// challenge nonce and its own), the acceptor in its Welcome, so neither side accepts a tuple
// from a process that merely reached its port, and a recorded handshake cannot be replayed.

#include <cstdint>
#include <string>
#include <string_view>

#include "worker/wire_format.h"

namespace squall::worker {

// Fills `out` with `n` bytes from the kernel's random source.
void randomBytes(uint8_t* out, size_t n);
// 32 random bytes as 64 hex digits: a new topology secret.
std::string newSecret();

void helloMac(std::string_view secret, const uint8_t* challengeNonce, const Hello& h,
              uint8_t out[kMacBytes]);
void welcomeMac(std::string_view secret, const uint8_t* helloNonce, const uint8_t* challengeNonce,
                uint8_t out[kMacBytes]);
// Constant time.
bool macEqual(const uint8_t* a, const uint8_t* b);

}  // namespace squall::worker
