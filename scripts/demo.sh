#!/usr/bin/env bash
# Installs what is missing, builds (release) and runs the word-count demo in local mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build build/release --target word_count
./build/release/examples/word_count "${1:-5}"
