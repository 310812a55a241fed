#pragma once
// FastRandom: a per-thread xoshiro-style generator for edge ids, shuffles and random
// groupings. Not for cryptography; seeded from std::random_device so runs differ.

#include <cstdint>
#include <random>

namespace squall::internal {

class FastRandom {
 public:
  FastRandom() {
    std::random_device rd;
    s_ = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ 0x9e3779b97f4a7c15ULL;
  }
  explicit FastRandom(uint64_t seed) : s_(seed) {}

  // splitmix64: one add and three multiply-xor steps per draw.
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint32_t below(uint32_t n) {
    return static_cast<uint32_t>((static_cast<__uint128_t>(next() & 0xffffffffULL) * n) >> 32);
  }

 private:
  uint64_t s_;
};

}  // namespace squall::internal
