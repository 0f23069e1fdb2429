#!/usr/bin/env bash
# The demo: installs missing packages, builds the `hbprep` CLI, describes every model of the
# example repository (deploy/models): which tensors each input becomes on the board, with
# names, dtypes, shapes and strides; then prepares tensors from a bundled image into
# build/demo/ (.npy, board-layout .bin, manifest.json with the hrt_model_exec arguments).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

deploy/bootstrap.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${HBPREP_JOBS:-2}" --target hbprep >/dev/null

hbprep=build/client/hbprep
echo "# hbprep describe --models deploy/models --target board"
"$hbprep" describe --models deploy/models --target board
echo
echo "# hbprep describe --config deploy/models/cls_pyramid.yaml --target calibration"
"$hbprep" describe --config deploy/models/cls_pyramid.yaml --target calibration

# Prepare real tensors from the bundled image (deploy/demo/scene.jpg, 640x480).
out=${HBPREP_DEMO_OUT:-build/demo}
echo
echo "# hbprep prepare --config deploy/models/cls_pyramid.yaml --target board --format bin"
"$hbprep" prepare --config deploy/models/cls_pyramid.yaml --target board --format bin \
  --out "$out/cls_pyramid_board" deploy/demo/scene.jpg
echo
echo "# hbprep prepare --config deploy/models/cls_pyramid.yaml --target calibration"
"$hbprep" prepare --config deploy/models/cls_pyramid.yaml --target calibration \
  --out "$out/cls_pyramid_calibration" deploy/demo/scene.jpg
echo
echo "# hbprep prepare --config deploy/models/det_resizer.yaml --roi 96,48,415,367 --format bin"
"$hbprep" prepare --config deploy/models/det_resizer.yaml --roi 96,48,415,367 --format bin \
  --out "$out/det_resizer_board" deploy/demo/scene.jpg
