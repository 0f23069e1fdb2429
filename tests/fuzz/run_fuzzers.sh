#!/usr/bin/env bash
# Runs every libFuzzer target of a sanitizer build for SECONDS each, starting from the seed
# corpus in the repository (new inputs go to a scratch folder, never into the repository).
# Fails on any crash, leak or timeout. Prints executions and coverage per target. The seed is
# fixed (HBPREP_FUZZ_SEED, default 1) so that a CI run can be repeated; set another to explore.
# Usage: run_fuzzers.sh BUILD_DIR SOURCE_DIR SECONDS_EACH
set -euo pipefail
build=$1 source=$2 seconds=$3
scratch=$(mktemp -d -t hbprep-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
status=0
for target in descriptor_fuzz model_info_fuzz decode_fuzz raw_roi_fuzz request_fuzz npy_fuzz \
    response_fuzz; do
  seeds="$source/tests/fuzz/corpus/${target%_fuzz}"
  mkdir -p "$scratch/$target"
  log="$scratch/$target.log"
  mkdir -p "$build/fuzz-artifacts"
  if "$build/tests/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -seed="${HBPREP_FUZZ_SEED:-1}" \
       -artifact_prefix="$build/fuzz-artifacts/$target-" \
       "$scratch/$target" "$seeds" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    echo "fuzz $target: $runs executions in ${seconds}s, $cov, no crash"
  else
    echo "fuzz $target: FAILED (log below; the input is in $build/fuzz-artifacts)"
    tail -n 60 "$log"
    status=1
  fi
done
exit $status
