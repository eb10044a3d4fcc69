#!/usr/bin/env bash
# rooflab set-up. On a fresh Debian 12 machine:
#   scripts/setup.sh run    install packages, build (release), run the main job, write ./rooflab-report/
#   scripts/setup.sh test   install packages, build (CI preset + ASan/UBSan engine build), run every test (ctest)
#   scripts/setup.sh fuzz   also install clang, build the libFuzzer targets (preset fuzz), fuzz each parser for
#                           ROOFLAB_FUZZ_SECONDS (default 60) s; findings land in build/fuzz/artifacts/
# Idempotent and non-interactive: packages already present are not reinstalled.
set -euo pipefail
mode="${1:-run}"
cd "$(dirname "$0")/.."
root_dir="$(pwd)"

packages=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6 libgl-dev
  libyaml-cpp-dev libhwloc-dev libpfm4-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev
  xvfb xauth
  clang-format
)

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "rooflab setup: all packages present"
    return
  fi
  echo "rooflab setup: installing ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

jobs="$(nproc 2>/dev/null || echo 2)"

case "$mode" in
  run)
    install_packages
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$jobs"
    ./build/release/app/cli/rooflab report --platform h100-sxm5-80gb --model llama-3.1-8b --out rooflab-report
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x ./build/release/app/gui/rooflab-gui ]; then
      echo "rooflab setup: opening the workbench"
      (./build/release/app/gui/rooflab-gui --platform h100-sxm5-80gb --model llama-3.1-8b >/dev/null 2>&1 &)
    fi
    ;;
  test)
    install_packages
    # Formatting is enforced on every C++ file changed since the 2026-12 redesign began (the older untouched files
    # are reformatted as they are edited): a change that breaks .clang-format fails here, before the build.
    format_base=4c5d672
    if git rev-parse -q --verify "${format_base}^{commit}" >/dev/null 2>&1; then
      mapfile -t changed < <(git diff --name-only --diff-filter=AMR "$format_base" -- '*.cpp' '*.hpp' '*.h' '*.cu')
      if [ ${#changed[@]} -gt 0 ]; then bash scripts/check_format.sh "${changed[@]}"; fi
    else
      echo "rooflab setup: history before ${format_base} is not in this clone (shallow?): format check skipped"
    fi
    cmake --preset ci >/dev/null
    cmake --build --preset ci -j "$jobs"
    QT_QPA_PLATFORM=offscreen ctest --preset ci -j "$jobs"
    # The engine, CLI and profilers again under AddressSanitizer + UndefinedBehaviorSanitizer. This run includes the
    # bounded fuzzing of every parser (ctest label fuzz, tests/fuzz: 12 s of seeded mutations per target, after
    # replaying its corpus of seeds and regression inputs).
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$jobs"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --preset asan -j "$jobs"
    ;;
  fuzz)
    # Coverage-guided fuzzing with clang's libFuzzer (Debian 12: clang 14 and its runtime), ASan + UBSan. The suite's
    # own mutation fuzzer (scripts/setup.sh test) needs no clang; this is for long runs.
    packages+=(clang libclang-rt-14-dev)
    install_packages
    seconds="${ROOFLAB_FUZZ_SECONDS:-60}"
    fuzz_targets=(platform model hf_config stack workload request_json request_yaml sweep_grid dataset_csv cases_line
                  trace_csv kernel_trace)
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j "$jobs" --target "${fuzz_targets[@]/#/rooflab_fuzz_}"
    mkdir -p build/fuzz/artifacts
    for t in "${fuzz_targets[@]}"; do
      mkdir -p "build/fuzz/new-$t"
      ROOFLAB_DATA_DIR="$root_dir" "build/fuzz/tests/fuzz/rooflab_fuzz_$t" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=4096 -artifact_prefix="build/fuzz/artifacts/$t-" -print_final_stats=1 \
        "build/fuzz/new-$t" "tests/fuzz/corpus/$t"
    done
    ;;
  *)
    echo "usage: scripts/setup.sh run|test|fuzz" >&2
    exit 2
    ;;
esac
