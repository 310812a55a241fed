#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the C++ suite under ASan+UBSan,
# the C++ suite again under ThreadSanitizer (the runtime is multi-threaded), the Python
# package's tests, a release build of the examples and benchmarks, and every libFuzzer target for
# a bounded time (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

jobs=$(nproc)
for preset in debug tsan; do
  echo "== C++ tests ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build "build/$preset" -j "$jobs"
  ctest --test-dir "build/$preset" --output-on-failure -j "$jobs"
done

echo "== release build (examples, benchmarks)"
cmake --preset release >/dev/null
cmake --build build/release -j "$jobs"

echo "== Python tests"
(cd python && /usr/bin/python3 -m pytest -q tests)

echo "== fuzz targets (${SQUALL_FUZZ_SECONDS:-20}s each)"
bash scripts/fuzz.sh
