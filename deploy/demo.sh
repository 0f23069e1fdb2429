#!/usr/bin/env bash
# The demo: installs missing packages, builds the `hbprep` CLI, and describes every model of
# the example repository (deploy/models): which tensors each input becomes on the board,
# with names, dtypes, shapes and strides, and the float model's input for calibration.
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
