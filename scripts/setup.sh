#!/usr/bin/env bash
# Installs the Debian packages a command needs. Idempotent: when they are all present it
# prints nothing and does not touch apt.
#
#   bash scripts/setup.sh demo   # build the squall command and run Python components
#   bash scripts/setup.sh test   # everything (the default): tests, sanitizers, fuzzing, Kafka
#                                # tools, Node.js for the multilang tests, lintian and a
#                                # virtualenv and pip for the packaging tests (and the
#                                # topology jar's wheels), headless Chromium and
#                                # a WebSocket client to drive it (the web UI test),
#                                # iproute2 (network namespaces: the cluster's fault test)
#                                # and lld (a faster linker for the test binaries)
#
# The demo runs in local mode, so it leaves out what only the tests use: clang and its
# sanitizer runtime (fuzzing), the ZooKeeper server and its Java runtime (the binary links only
# the C client, libzookeeper-mt), kcat, pytest, Chromium.
set -euo pipefail

profile="${1:-test}"

# Configuring the project needs GoogleTest and Google Benchmark (CMakeLists.txt finds them).
demo=(
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libyaml-cpp-dev libmsgpack-cxx-dev rapidjson-dev librdkafka-dev libssl-dev
  libzookeeper-mt-dev thrift-compiler libthrift-dev libarchive-dev
  python3 libcpp-httplib-dev
)
test=(
  "${demo[@]}"
  git clang-format clang libclang-rt-14-dev libasio-dev
  zookeeper default-jre-headless
  python3-pytest python3-msgpack python3-yaml python3-prometheus-client python3-thrift
  kcat nodejs iproute2 lld
  lintian python3-venv python3-wheel-whl python3-pip
  chromium python3-websocket
)

case "$profile" in
  demo) packages=("${demo[@]}") ;;
  test) packages=("${test[@]}") ;;
  *)
    echo "setup: unknown profile '$profile' (expected demo or test)" >&2
    exit 2
    ;;
esac

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
