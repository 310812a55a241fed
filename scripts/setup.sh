#!/usr/bin/env bash
# Installs every Debian package Squall needs to build, test and run. Idempotent: when all
# packages are present it prints nothing and does not touch apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang-format clang libclang-rt-14-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libspdlog-dev libfmt-dev libcli11-dev libasio-dev
  libyaml-cpp-dev libmsgpack-cxx-dev rapidjson-dev
  librdkafka-dev libzookeeper-mt-dev zookeeper
  python3 python3-pytest python3-msgpack python3-yaml
  kcat
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
