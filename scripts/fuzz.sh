#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, ASan+UBSan) and runs each for a
# bounded time, SQUALL_FUZZ_SECONDS (default 20), starting from its seed corpus in
# fuzz/corpus/<name>/. New inputs go to a scratch copy, so the kept corpus changes only by hand.
# A libFuzzer run uses one core, so as many targets run at once as there are cores: the
# wall time is (targets / cores) x seconds. A crash leaves its input in build/fuzz/artifacts/
# and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SQUALL_FUZZ_SECONDS:-20}
parallel=${SQUALL_FUZZ_JOBS:-$(nproc)}
cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target squall_fuzzers -j "$(nproc)"
artifacts=build/fuzz/artifacts
scratch=build/fuzz/scratch-corpus
mkdir -p "$artifacts"

# Runs one target; its status goes to $scratch/NAME.status for the report below.
fuzz_one() {
  local bin=$1 name status=0
  name=$(basename "$bin" _fuzzer)
  rm -rf "${scratch:?}/$name" && mkdir -p "$scratch/$name"
  [[ -d fuzz/corpus/$name ]] && cp -r "fuzz/corpus/$name/." "$scratch/$name/"
  "$bin" "$scratch/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -artifact_prefix="$artifacts/$name-" >"$scratch/$name.log" 2>&1 ||
    status=$?
  echo "$status" >"$scratch/$name.status"
}

names=()
for bin in build/fuzz/fuzz/*_fuzzer; do
  names+=("$(basename "$bin" _fuzzer)")
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
  echo "== fuzz ${names[-1]} (${seconds}s)"
  fuzz_one "$bin" &
done
wait

failed=0
for name in "${names[@]}"; do
  status=$(cat "$scratch/$name.status")
  echo "-- $name: $(grep -E '^Done [0-9]+ runs' "$scratch/$name.log" || echo "no summary")"
  if ((status != 0)); then
    # The report's head (what went wrong, where) and the input itself, so a CI log alone is
    # enough to reproduce it.
    grep -m1 -A 25 -E '==ERROR|runtime error|ERROR: libFuzzer' "$scratch/$name.log" || tail -n 40 "$scratch/$name.log"
    for input in "$artifacts/$name"-*; do
      [[ -f $input ]] && { echo "-- $input (base64, first 4 KiB)"; head -c 4096 "$input" | base64; }
    done
    echo "fuzz: $name failed (status $status); the input is in $artifacts/"
    failed=1
  fi
done
exit "$failed"
