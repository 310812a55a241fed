#include "worker/handshake_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include <cerrno>
#include <system_error>

namespace squall::worker {

void randomBytes(uint8_t* out, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(out, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    out += got;
    n -= static_cast<size_t>(got);
  }
}

std::string newSecret() {
  uint8_t raw[32];
  randomBytes(raw, sizeof raw);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (uint8_t b : raw) {
    s.push_back(hex[b >> 4]);
    s.push_back(hex[b & 15]);
  }
  return s;
}

namespace {

void hmac(std::string_view secret, std::string_view data, uint8_t out[kMacBytes]) {
  unsigned int len = kMacBytes;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) ||
      len != kMacBytes) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
}

}  // namespace

void helloMac(std::string_view secret, const uint8_t* challengeNonce, const Hello& h,
              uint8_t out[kMacBytes]) {
  WireWriter w;
  w.bytes("squall-hello");
  w.raw(challengeNonce, kNonceBytes);
  w.raw(h.nonce, kNonceBytes);
  w.u16(h.version);
  w.bytes(h.topologyId);
  w.u32(h.from);
  w.u32(h.to);
  w.u64(h.planFingerprint);
  hmac(secret, w.buffer(), out);
}

void welcomeMac(std::string_view secret, const uint8_t* helloNonce, const uint8_t* challengeNonce,
                uint8_t out[kMacBytes]) {
  WireWriter w;
  w.bytes("squall-welcome");
  w.raw(helloNonce, kNonceBytes);
  w.raw(challengeNonce, kNonceBytes);
  hmac(secret, w.buffer(), out);
}

bool macEqual(const uint8_t* a, const uint8_t* b) {
  return CRYPTO_memcmp(a, b, kMacBytes) == 0;
}

}  // namespace squall::worker
