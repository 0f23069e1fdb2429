#!/usr/bin/env bash
# Installs the build into a fresh prefix, checks the files land in the usual places and that
# the CMake package needs no gRPC, then builds a consumer program and a consumer shared
# library (the static engine is position-independent) against it and runs the program.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR [WITH_SERVER]
# WITH_SERVER (1, the default, or 0): whether the build has hbprep-server (HBPREP_BUILD_SERVER),
# so whether the server and its systemd unit must be installed, or must not be.
set -euo pipefail
build=$1 source=$2 work=$3 with_server=${4:-1}
rm -rf "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
# The engine's internal headers (adapters/) are not part of the package.
for file in include/hbprep/frame.h include/hbprep/part_sink.h include/hbprep/adapters; do
  [ ! -e "$prefix/$file" ] || { echo "FAIL: internal header $file is installed"; exit 1; }
done
for file in bin/hbprep etc/hbprep/models/cls_pyramid.yaml include/hbprep/model.h include/hbprep/engine.h \
            lib/cmake/hbprep/hbprepConfig.cmake; do
  [ -e "$prefix/$file" ] || { echo "FAIL: $file is not installed"; exit 1; }
done
server_files="bin/hbprep-server lib/systemd/system/hbprep-server.service"
if [ "$with_server" = 1 ]; then
  for file in $server_files; do
    [ -e "$prefix/$file" ] || { echo "FAIL: $file is not installed"; exit 1; }
  done
  grep -q "^ExecStart=$prefix/bin/hbprep-server" "$prefix/lib/systemd/system/hbprep-server.service" ||
    { echo "FAIL: the unit does not start the installed server"; exit 1; }
else
  for file in $server_files; do
    [ ! -e "$prefix/$file" ] ||
      { echo "FAIL: $file is installed by a build without the server"; exit 1; }
  done
fi
# The engine's package stands alone: nothing of the wire API or the server in it.
if grep -nE "(gRPC|protobuf|spdlog)::|find_dependency\((gRPC|Protobuf|spdlog)" \
     "$prefix"/lib/cmake/hbprep/*.cmake; then
  echo "FAIL: the installed CMake package needs gRPC, Protobuf or spdlog (lines above)"
  exit 1
fi
"$prefix/bin/hbprep" describe --models "$prefix/etc/hbprep/models" >/dev/null
cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >"$work/consumer.log" 2>&1 ||
  { echo "FAIL: the consumers do not build against the installed package:"
    grep -E "error|relocation" "$work/consumer.log" | head -n 20; exit 1; }
[ -e "$work/consumer/libconsumer_plugin.so" ] ||
  { echo "FAIL: no shared library was linked against the static engine"; exit 1; }
out=$("$work/consumer/consumer" "$source/deploy/models/cls_pyramid.yaml" \
      "$source/deploy/demo/scene.jpg")
expected=$(cat "$source/tests/install/consumer/expected_output.txt")
if [ "$out" != "$expected" ]; then
  printf 'FAIL: the consumer printed\n%s\nexpected\n%s\n' "$out" "$expected"
  exit 1
fi
echo "installed layout and find_package(hbprep) consumers (a program, a shared library): 1 passed, 0 failed"
