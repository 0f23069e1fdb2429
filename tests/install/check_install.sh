#!/usr/bin/env bash
# Installs the build into a fresh prefix, checks the files land in the usual places, then
# builds and runs a consumer against the installed CMake package.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for file in bin/hbprep bin/hbprep-server lib/systemd/system/hbprep-server.service \
            etc/hbprep/models/cls_pyramid.yaml include/hbprep/adapters/engine.h \
            lib/cmake/hbprep/hbprepConfig.cmake; do
  [ -e "$prefix/$file" ] || { echo "FAIL: $file is not installed"; exit 1; }
done
grep -q "^ExecStart=$prefix/bin/hbprep-server" "$prefix/lib/systemd/system/hbprep-server.service" ||
  { echo "FAIL: the unit does not start the installed server"; exit 1; }
"$prefix/bin/hbprep" describe --models "$prefix/etc/hbprep/models" >/dev/null
cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
out=$("$work/consumer/consumer" "$source/deploy/models/cls_pyramid.yaml" \
      "$source/deploy/demo/scene.jpg")
expected="images_y uint8 1 224 224 1 bytes=50176
images_uv uint8 1 112 112 2 bytes=25088
camera frame: 2 outputs flushed, Y[0]=86"
if [ "$out" != "$expected" ]; then
  printf 'FAIL: the consumer printed\n%s\nexpected\n%s\n' "$out" "$expected"
  exit 1
fi
echo "installed layout, systemd unit and find_package(hbprep) consumer: 1 passed, 0 failed"
