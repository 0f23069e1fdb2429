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

# What the model will see, as a contact sheet (README "Debugging accuracy").
echo
echo "# hbprep preview $out/det_resizer_board --config deploy/models/det_resizer.yaml"
"$hbprep" preview "$out/det_resizer_board" --config deploy/models/det_resizer.yaml

# The same through hbprep-server: start it on the example repository (a free TCP port and a
# unix socket), send the image over both, check the files equal the in-process ones, stop it.
cmake --build build -j "${HBPREP_JOBS:-2}" --target hbprep-server >/dev/null
socket="$out/hbprep.sock"
log="$out/server.log"
rm -f "$socket"
build/server/hbprep-server --models deploy/models --listen 127.0.0.1:0 --listen "unix:$socket" \
  >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  port=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$log"; echo "demo: the server did not start" >&2; exit 1; }
echo
echo "# hbprep-server --models deploy/models --listen 127.0.0.1:$port --listen unix:$socket"
"$hbprep" health --server "unix:$socket"
"$hbprep" models --server "unix:$socket"
echo
echo "# hbprep prepare --server unix:$socket --model det_resizer --roi 96,48,415,367 --format bin"
"$hbprep" prepare --server "unix:$socket" --model det_resizer --roi 96,48,415,367 --format bin \
  --out "$out/det_resizer_server" deploy/demo/scene.jpg
echo
echo "# hbprep prepare --server 127.0.0.1:$port --config deploy/models/cls_pyramid.yaml (inline) --format bin"
"$hbprep" prepare --server "127.0.0.1:$port" --config deploy/models/cls_pyramid.yaml \
  --format bin --out "$out/cls_pyramid_server" deploy/demo/scene.jpg
diff -r "$out/det_resizer_board" "$out/det_resizer_server" >/dev/null &&
  diff -r "$out/cls_pyramid_board" "$out/cls_pyramid_server" >/dev/null &&
  echo "server results are byte-identical to the in-process ones"
kill -TERM "$server"
wait "$server"
trap - EXIT
echo "server stopped (exit $?)"
