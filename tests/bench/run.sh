#!/usr/bin/env bash
# The benchmark, in one command: the engine against the OpenCV C++ pipeline, the Python
# reference recipes and the floors (hbprep_bench, python_bench.py), hbprep-server under load
# (server_bench.py), `hbprep prepare` against a user's script (e2e_bench.py), and `hbprep
# prepare` on 1 and 2 jobs (jobs_bench.py, on e2e_bench.py's JPEGs), the Python module against
# the engine, the gRPC client, a user's script and Horizon's transformers, on 1 and 2 threads
# (python_api_bench.py). Prints a table of medians and ratios and writes
# BUILD_DIR/bench/report.json.
#
# Usage: tests/bench/run.sh [BUILD_DIR]   (default: build/, as tests/run.sh leaves it)
# HBPREP_BENCH_QUICK=1 runs a few iterations only: a check that it works, not a measurement.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=$build/bench
if [[ ! -x $build/tests/hbprep_bench || ! -x $build/server/hbprep-server ]]; then
  echo "run.sh: build first (tests/run.sh, or cmake --build $build)" >&2
  exit 2
fi
iterations=40 requests=120 runs=5 jobs_images=240
if [[ ${HBPREP_BENCH_QUICK:-0} == 1 ]]; then iterations=2 requests=8 runs=1 jobs_images=16; fi
rm -rf "$out" && mkdir -p "$out/inputs"
py=/usr/bin/python3
"$build/tests/hbprep_bench" "$root/deploy/models" --iterations "$iterations" \
  --json "$out/engine.json" --inputs "$out/inputs"
$py "$root/tests/bench/python_bench.py" "$out/inputs" "$out/python.json" "$iterations"
$py "$root/tests/bench/server_bench.py" "$build" "$root" "$out/inputs" "$out/engine.json" \
  "$out/server.json" "$requests"
$py "$root/tests/bench/e2e_bench.py" "$build" "$root" "$out/e2e" "$out/e2e.json" "$runs"
$py "$root/tests/bench/jobs_bench.py" "$build" "$root" "$out/e2e" "$out/jobs" "$out/jobs.json" \
  "$runs" "$jobs_images"
# The Python module (built unless HBPREP_BUILD_PYTHON is OFF).
if compgen -G "$build/python/hbprep/_engine*.so" >/dev/null; then
  $py "$root/tests/bench/python_api_bench.py" "$build" "$root" "$out/inputs" "$out/engine.json" \
    "$out/python_api.json" "$iterations"
fi
$py "$root/tests/bench/report.py" "$out"
