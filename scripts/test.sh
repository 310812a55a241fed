#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the C++ suite and the end-to-end
# tests (the real binary, tests/e2e) under ASan+UBSan; the C++ suite again under
# ThreadSanitizer, the runtime being multi-threaded (the tests of threaded code, -O1 with line
# tables); the Python package's tests; and every libFuzzer target for a bounded time
# (scripts/fuzz.sh). The tsan and fuzz builds run beside the debug tests, at the lowest
# priority. Each section prints how long it took.
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

# ThreadSanitizer is for the code whose threads share data: the engine (executors, acker,
# collectors, backpressure, timeouts, metrics, logs), multilang children, Kafka, the worker
# transport, the ZooKeeper client and the stats the UI reads live. Only those tests are built
# and run there, so the tsan build compiles just the libraries they link; the control plane's
# tests (nimbus, supervisor, submit, artifact, the UI over nimbus), the end-to-end tests and
# the single-threaded parsers' tests run under ASan+UBSan only. The tsan build is GCC at -O1,
# so GCC's warnings (the optimiser's maybe-uninitialized and the like) still fail CI.
cmake --preset tsan >/dev/null
tsan_tests='acker_core|acking|backpressure_memory|basic_bolt_ack|collector_threads|drain_end|'\
'emit_batch_scope|executor_budget|flush_clock|grouping|kafka_(bolt|spout|offset_manager)|'\
'lifecycle|logs|max_pending|metrics|multilang_(bolt|lifecycle|metrics|read_coalescing|spout|stderr_log)|'\
'receive_queue_inline|restart_backoff|slow_components|stats|streams|task_assignment|tick|timeout|tuple_pool|'\
'user_exception|validation|xor_collision|worker_(executor_layout|streams|transport)|ui|'\
'ui_metrics_endpoint|zk_client|cluster_state'
tsan_targets=$(cmake --build build/tsan --target help | sed -n 's/^\([a-z0-9_]*_test\):.*/\1/p' |
  grep -E "^(${tsan_tests})_test$")
cmake --preset fuzz >/dev/null
# One background job builds the tsan tests, then the fuzz targets.
# shellcheck disable=SC2086 # one target per word
background_build build/tsan-fuzz-build.log bash -c \
  "cmake --build build/tsan -j $jobs --target $(echo $tsan_targets) &&
   cmake --build build/fuzz -j $jobs --target squall_fuzzers"

section "C++ and end-to-end tests (debug; the tsan and fuzz builds beside them)"
ctest --test-dir build/debug --output-on-failure -j "$jobs"

section "C++ builds (tsan, fuzz), the part left after the tests"
wait_background_build

section "C++ tests (tsan)"
ctest --test-dir build/tsan --output-on-failure -j "$jobs" -R "^(${tsan_tests})_test(\\.|$)"

section "Python tests"
(cd python && /usr/bin/python3 -m pytest -q tests)

section "fuzz targets (${SQUALL_FUZZ_SECONDS:-20}s each, $jobs at once)"
bash scripts/fuzz.sh
section ""
echo "== all tests passed in $SECONDS s"
