#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the C++ suite and the end-to-end
# tests (the real binary, tests/e2e) under ASan+UBSan; the C++ suite again under
# ThreadSanitizer, the runtime being multi-threaded (an optimised build of the CLI and of every
# test of threaded code, -O1 with line tables); the Python package's tests; and every libFuzzer target for a
# bounded time (scripts/fuzz.sh). The tsan and fuzz builds run beside the tests before them, at
# the lowest priority. Each section prints how long it took.
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

# A build running beside tests runs at the lowest priority: the tests keep the CPU they ask
# for, and the build takes what they leave idle while they wait on processes, sockets and
# ZooKeeper. Its output goes to a file, shown whole if it fails.
background_build() {
  local log=$1
  shift
  setsid -w nice -n 19 "$@" >"$log" 2>&1 &
  background_pid=$!
  # A failing test ends the script: its build stops with it, compiler processes included.
  trap 'kill -- -"$background_pid" 2>/dev/null || true' EXIT
  background_log=$log
}
wait_background_build() {
  if ! wait "$background_pid"; then
    cat "$background_log"
    echo "== the build above failed ($background_log)"
    exit 1
  fi
  tail -n 1 "$background_log"
}

section "C++ build (debug: ASan+UBSan)"
cmake --preset debug >/dev/null
cmake --build build/debug -j "$jobs"

# ThreadSanitizer is for code that runs threads: the tests of single-threaded parsers and of
# the docs are neither built nor run there (they run under ASan). squall_cli is built there
# too (the supervisor's tests run real workers), optimised (-O1), so the optimiser's own
# warnings (maybe-uninitialized and the like) fail CI.
cmake --preset tsan >/dev/null
single_threaded='config_docs|flux_names|value|wire_format|multilang_serializer|multilang_payload|kafka_flux_form|message_id'
tsan_targets=$(cmake --build build/tsan --target help | sed -n 's/^\([a-z0-9_]*_test\):.*/\1/p' |
  grep -Ev "^(${single_threaded})_test$")
# shellcheck disable=SC2086 # one target per word
background_build build/tsan-build.log cmake --build build/tsan -j "$jobs" --target squall_cli $tsan_targets

section "C++ and end-to-end tests (debug; the tsan build beside them)"
ctest --test-dir build/debug --output-on-failure -j "$jobs"

section "C++ build (tsan), the part left after the tests"
wait_background_build
cmake --preset fuzz >/dev/null
background_build build/fuzz-build.log cmake --build build/fuzz --target squall_fuzzers -j "$jobs"

section "C++ tests (tsan; the fuzz build beside them)"
# The end-to-end tests drive the binary as a user would; they ran under ASan above.
ctest --test-dir build/tsan --output-on-failure -j "$jobs" \
  -E "^cli_e2e(_cluster)?$|^(${single_threaded})_test(\.|_NOT_BUILT)"

section "Python tests"
(cd python && /usr/bin/python3 -m pytest -q tests)

section "fuzz targets (${SQUALL_FUZZ_SECONDS:-20}s each, $jobs at once)"
wait_background_build
bash scripts/fuzz.sh
section ""
echo "== all tests passed in $SECONDS s"
