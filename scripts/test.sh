#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the C++ suite and the end-to-end
# tests (the real binary, tests/e2e) under ASan+UBSan; the C++ suite again under
# ThreadSanitizer, the runtime being multi-threaded (an optimised build, so it also compiles the
# examples and benchmarks the way the release build does); the Python package's tests; and every
# libFuzzer target for a bounded time (scripts/fuzz.sh). Each section prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

jobs=$(nproc)
section_start=$SECONDS
section() {
  if [[ -n ${section_name:-} ]]; then
    echo "== $section_name took $((SECONDS - section_start)) s"
  fi
  section_name=$1
  section_start=$SECONDS
  [[ -n $section_name ]] && echo "== $section_name"
  return 0
}

section "C++ build (debug: ASan+UBSan)"
cmake --preset debug >/dev/null
cmake --build build/debug -j "$jobs"
section "C++ and end-to-end tests (debug)"
ctest --test-dir build/debug --output-on-failure -j "$jobs"

section "C++ build (tsan)"
cmake --preset tsan >/dev/null
cmake --build build/tsan -j "$jobs"
section "C++ tests (tsan)"
# The end-to-end tests drive the binary as a user would; they ran under ASan above.
ctest --test-dir build/tsan --output-on-failure -j "$jobs" -E '^cli_e2e$'

section "Python tests"
(cd python && /usr/bin/python3 -m pytest -q tests)

section "fuzz targets (${SQUALL_FUZZ_SECONDS:-20}s each)"
bash scripts/fuzz.sh
section ""
echo "== all tests passed in $SECONDS s"
