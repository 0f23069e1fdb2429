#!/usr/bin/env bash
# CI's aarch64 stage (tests/run.sh runs it after the x86 stages): hbprep for the boards,
# cross-built, tested under qemu-user, and its outputs held to the x86 build's byte for byte.
#   1. the arm64 tree (deploy/arm64-sysroot.sh; reused when it is there and complete),
#   2. the cross-build in build-arm64/ (cmake/aarch64-linux-gnu.cmake): everything, the server
#      included, -Werror, RelWithDebInfo's -O2 without its -g (GCC generates the same code with
#      and without debug information; the compile takes a third less time); the GoogleTest
#      binaries' own sources -O1 (HBPREP_TEST_CXX_FLAGS: they are half of the build, and -O1
#      compiles them a third faster; the engine they test is -O2 as shipped) in unity batches
#      (HBPREP_TEST_UNITY_BUILD: gtest's, gmock's and the engine's headers parsed once per
#      batch of test files, not once per file; see tests/run.sh),
#   3. its CTest under qemu, one job more than HBPREP_JOBS (the end-to-end tests spend a third
#      of their time waiting on servers and clients): each GoogleTest binary as one process,
#      the reference checks and the end-to-end tests (the Python runs natively and starts
#      the aarch64 binaries through the emulator), the arm64 Debian packages (cpack) checked,
#      and a find_package(hbprep) consumer cross-built against them and run,
#   4. beside step 3, one case at a time, the golden set (tests/aarch64/golden.py): every
#      file `hbprep prepare` writes for it, from BUILD_DIR's hbprep and the aarch64 one under
#      qemu, compared byte for byte; each file that differs is printed with how many values
#      differ and by how much.
# Steps 3 and 4 both run even when one fails; the stage fails if either does.
# Usage: tests/aarch64.sh BUILD_DIR   (BUILD_DIR: the x86-64 build, CI's build/)
# Last line: "aarch64: N/N golden files identical". HBPREP_JOBS (2): parallel jobs;
# HBPREP_ARM64_SYSROOT: the tree (/opt/hbprep/arm64-sysroot); HBPREP_ARM64_BUILD_DIR: the
# cross-build's folder (build-arm64).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[ $# -eq 1 ] || { echo "usage: tests/aarch64.sh BUILD_DIR" >&2; exit 2; }
x86=$(realpath "$1")
[ -x "$x86/client/hbprep" ] || { echo "aarch64: no x86 build in $x86 (client/hbprep)" >&2; exit 1; }
jobs=${HBPREP_JOBS:-2}
build=$(realpath -m "${HBPREP_ARM64_BUILD_DIR:-build-arm64}")
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
start=$SECONDS
step() { printf '== aarch64: %s (at %ds)\n' "$1" $((SECONDS - start)); }

step "arm64 tree"
sysroot=$(deploy/arm64-sysroot.sh)

step "cross-build"
cmake -S . -B "$build" -G Ninja --toolchain "$root/cmake/aarch64-linux-gnu.cmake" \
  -DHBPREP_ARM64_SYSROOT="$sysroot" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DHBPREP_TEST_CXX_FLAGS=-O1 \
  -DHBPREP_TEST_UNITY_BUILD=ON -DHBPREP_WERROR=ON >/dev/null
cmake --build "$build" -j "$jobs"

step "tests under qemu, and the golden set against $x86 beside them"
# The golden set runs one case at a time beside CTest's jobs: both are mostly emulated
# compute, and together they keep both cores busy through CTest's waits and its tail.
emulator="$(command -v qemu-aarch64) -L $sysroot"
/usr/bin/python3 tests/aarch64/golden.py "$root" "$build/golden" "$x86/client/hbprep" \
  "$emulator $build/client/hbprep" 1 >"$build/golden.log" 2>&1 &
golden_pid=$!
status=0
if ctest --test-dir "$build" -j $((jobs + 1)) --output-on-failure >"$build/ctest.log" 2>&1; then
  tail -n 3 "$build/ctest.log"
else
  cat "$build/ctest.log"
  status=1
fi
step "CTest done; the golden set"
golden=0
wait "$golden_pid" || golden=1
head -n -1 "$build/golden.log"
printf '== aarch64: %ds\n' $((SECONDS - start))
tail -n 1 "$build/golden.log"
[ "$status" = 0 ] && [ "$golden" = 0 ]
