#!/usr/bin/env bash
# Installs what the demo needs, builds (release) and runs the word-count demo in local mode:
# the Flux YAML word count whose spout, splitter, counter and top-words summary are Python
# (examples/wordcount.yaml), for N seconds (default 8), printing the top words every 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
cmake --preset release >/dev/null
cmake --build build/release --target squall_cli
squall=./build/release/src/cli/squall
"$squall" describe examples/wordcount.yaml
"$squall" run examples/wordcount.yaml --duration "${1:-8}"
