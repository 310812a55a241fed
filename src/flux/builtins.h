#pragma once
// Components a Flux file can name without any C++ of its own: Flux's LogInfoBolt and the
// Storm testing components Flux examples use (TestWordSpout, TestWordCounter), registered in
// the global ComponentRegistry under their Storm class names.

namespace squall::flux {

// Idempotent. Also run by a static initializer when this library's object is linked in.
void registerFluxBuiltins();

}  // namespace squall::flux
