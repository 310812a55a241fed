#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the C++ suite and the end-to-end
# tests (the real binary, tests/e2e) under ASan+UBSan; the C++ suite again under
# ThreadSanitizer, the runtime being multi-threaded (an optimised build of the CLI and of every
# test of threaded code); the Python package's tests; and every
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
# ThreadSanitizer is for code that runs threads: the tests of single-threaded parsers and of
# the docs are neither built nor run here (they ran under ASan above). squall_cli is built,
# optimised, as the README's release build builds it, so optimiser-only warnings still fail.
single_threaded='config_docs|flux_names|value|wire_format|multilang_serializer|multilang_payload|kafka_flux_form|message_id'
tsan_targets=$(cmake --build build/tsan --target help | sed -n 's/^\([a-z0-9_]*_test\):.*/\1/p' |
  grep -Ev "^(${single_threaded})_test$")
# shellcheck disable=SC2086 # one target per word
cmake --build build/tsan -j "$jobs" --target squall_cli $tsan_targets
section "C++ tests (tsan)"
# The end-to-end tests drive the binary as a user would; they ran under ASan above.
ctest --test-dir build/tsan --output-on-failure -j "$jobs" \
  -E "^cli_e2e$|^(${single_threaded})_test(\.|_NOT_BUILT)"

section "Python tests"
(cd python && /usr/bin/python3 -m pytest -q tests)

section "fuzz targets (${SQUALL_FUZZ_SECONDS:-20}s each)"
bash scripts/fuzz.sh
section ""
echo "== all tests passed in $SECONDS s"
