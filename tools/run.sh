#!/usr/bin/env bash
# The README's two commands, and a few more:
#   tools/run.sh main [FLAGS]    install what is missing, build, run the main job (a short
#                                Transformer training and translation; FLAGS go to ember-train-mt)
#   tools/run.sh test            install what is missing, build, run the whole test suite, then
#                                run it again under AddressSanitizer + UndefinedBehaviorSanitizer
#   tools/run.sh test-release    only the Release build's suite
#   tools/run.sh test-sanitize   only the sanitizer build's suite
#   tools/run.sh deps            only install the Debian packages ember needs
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake libopenblas-dev libfmt-dev doctest-dev zlib1g-dev nlohmann-json3-dev
  libsentencepiece-dev)
JOBS=${JOBS:-2}
# OpenMP threads that spin while waiting burn the cores other processes need (ctest -j runs
# several test programs at once); waiting passively costs little here.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "ember: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build() {
  local dir=$1
  shift
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@"
  cmake --build "$dir" -j"$JOBS"
}

test_release() {
  build build
  ctest --test-dir build -j"$JOBS" --output-on-failure
}

test_sanitize() {
  build build-sanitize -DEMBER_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMBER_CUDA=OFF
  ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-sanitize -j"$JOBS" --output-on-failure
}

case "${1:-}" in
  deps) deps ;;
  main)
    deps
    build build
    # A short training run of the small Transformer on Multi30k en->de (about 10 minutes on 2
    # cores), then BLEU on test_2016_flickr with beam search and sample translations.
    ./build/tools/ember-train-mt --preset small --max-steps 400 --warmup 200 --val-limit 200 \
      --out runs/main "${@:2}"
    ;;
  test)
    deps
    test_release
    test_sanitize
    ;;
  test-release)
    deps
    test_release
    ;;
  test-sanitize)
    deps
    test_sanitize
    ;;
  *)
    sed -n '2,9p' "$0"
    exit 2
    ;;
esac
