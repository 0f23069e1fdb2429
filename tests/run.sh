#!/usr/bin/env bash
# Builds and runs the whole test suite, as CI does (.ci/run calls this and nothing else):
#   1. installs missing Debian packages (deploy/bootstrap.sh),
#   2. GCC build with warnings as errors (build/),
#   3. the engine-only build (build-engine/: HBPREP_BUILD_SERVER and HBPREP_BUILD_REMOTE OFF,
#      gRPC, Protobuf and spdlog refused if anything looks for them; the Python module built
#      without them), its tests,
#   4. build/'s tests,
#   5. clang build with AddressSanitizer + UndefinedBehaviorSanitizer (build-san/), the
#      libFuzzer targets run from the seed corpus (30 s each, HBPREP_FUZZ_SECONDS), its tests,
#   6. the aarch64 stage (tests/aarch64.sh): the cross-build (build-arm64/), its tests under
#      qemu, its Debian packages, and the golden set compared with build/'s outputs.
# Prints how long each stage took; the run ends with the aarch64 stage's golden count.
# HBPREP_SKIP_SANITIZERS=1 skips stage 5, HBPREP_SKIP_AARCH64=1 stage 6, for a quick local
# loop (CI sets neither).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# ccache (when installed) keys debug builds on the build folder unless told not to; without
# it the engine-only build could not reuse build/'s engine objects, compiled with the same
# flags.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

jobs=${HBPREP_JOBS:-2}
# The GoogleTest binaries' sources compile in unity batches (HBPREP_TEST_UNITY_BUILD): half of
# each build is test code, and most of each test file's compile is gtest, gmock and the
# engine's headers, parsed once per batch instead of once per file. Off by default, where a
# developer's rebuild of one edited test file should not recompile its batch.
unity=-DHBPREP_TEST_UNITY_BUILD=ON
stage_start=$SECONDS
run_start=$SECONDS
stage() {  # stage NAME: closes the previous stage's clock and names the next
  local took=$((SECONDS - stage_start))
  [ -n "${current:-}" ] && printf '== %s: %ds\n' "$current" "$took"
  current=$1
  stage_start=$SECONDS
  [ -n "$current" ] && printf '== %s\n' "$current"
  return 0
}

stage "bootstrap (Debian packages)"
deploy/bootstrap.sh

stage "gcc build (-Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHBPREP_WERROR=ON "$unity" \
  >/dev/null
cmake --build build -j "$jobs"

stage "engine-only build and tests (no gRPC)"
# With CMAKE_DISABLE_FIND_PACKAGE_*, a (REQUIRED) find_package of them fails the configure.
cmake -S . -B build-engine -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHBPREP_WERROR=ON "$unity" \
  -DHBPREP_BUILD_SERVER=OFF -DHBPREP_BUILD_REMOTE=OFF --no-warn-unused-cli \
  -DCMAKE_DISABLE_FIND_PACKAGE_gRPC=ON -DCMAKE_DISABLE_FIND_PACKAGE_Protobuf=ON \
  -DCMAKE_DISABLE_FIND_PACKAGE_spdlog=ON >/dev/null
cmake --build build-engine -j "$jobs"
# The Python module builds here too (it needs no gRPC); its comparison with the CLI runs in
# build/ only (the same module and engine code, the longest of its tests).
if ! ctest --test-dir build-engine -j "$jobs" --output-on-failure \
       -E '^python\.PrepareEqualsTheCli' >build-engine/ctest.log 2>&1; then
  cat build-engine/ctest.log
  exit 1
fi
tail -n 4 build-engine/ctest.log

if [ "${HBPREP_SKIP_SANITIZERS:-0}" != 1 ]; then
  stage "gcc tests"
  # The whole log only when something failed; the summary otherwise.
  if ! ctest --test-dir build -j "$jobs" --output-on-failure >build/ctest.log 2>&1; then
    cat build/ctest.log
    exit 1
  fi
  tail -n 4 build/ctest.log

  stage "clang ASan+UBSan build"
  CXX=clang++ cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHBPREP_WERROR=ON \
    -DHBPREP_SANITIZE=ON "$unity" >/dev/null
  cmake --build build-san -j "$jobs"

  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
  export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
  stage "libFuzzer targets (${HBPREP_FUZZ_SECONDS:-30}s each)"
  tests/fuzz/run_fuzzers.sh build-san "$root" "${HBPREP_FUZZ_SECONDS:-30}"

  stage "clang ASan+UBSan tests"
  printf '== total so far: %ds\n' $((SECONDS - run_start))
  ctest --test-dir build-san -j "$jobs" --output-on-failure
else
  stage "gcc tests"
  printf '== total so far: %ds\n' $((SECONDS - run_start))
  ctest --test-dir build -j "$jobs" --output-on-failure
fi

if [ "${HBPREP_SKIP_AARCH64:-0}" != 1 ]; then
  stage "aarch64: cross-build, tests under qemu, golden set"
  tests/aarch64.sh build
fi
