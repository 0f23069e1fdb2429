#!/usr/bin/python3
"""`hbprep prepare --jobs 1` against `--jobs 2` (issue 17): images per second of the whole
command (a fresh process each run, its start included, as a user sees it) on 1080p JPEGs for
the J6 pyramid model (cls_pyramid, exact decoding). The JPEGs are the 30 photo-like frames
e2e_bench.py writes (run it first); each is given REPEAT times, so a run prepares 30 x REPEAT
requests. Runs alternate between the two job counts after one warm-up round of each; medians
of the wall times. Also checks that both job counts wrote the same files, byte for byte.

Usage: jobs_bench.py BUILD_DIR SOURCE_DIR FRAMES_DIR WORK_DIR OUT.json [RUNS [IMAGES]]
"""
import filecmp
import glob
import json
import os
import shutil
import subprocess
import sys
import time

BUILD, SOURCE, FRAMES, WORK, OUT = sys.argv[1:6]
RUNS = int(sys.argv[6]) if len(sys.argv) > 6 else 5
IMAGES = int(sys.argv[7]) if len(sys.argv) > 7 else 240

frames = sorted(glob.glob(os.path.join(FRAMES, "frame*.jpg")))
if not frames:
    sys.exit("jobs_bench.py: no frame*.jpg in %s (run e2e_bench.py first)" % FRAMES)
files = [frames[i % len(frames)] for i in range(IMAGES)]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
hbprep = [os.path.join(BUILD, "client", "hbprep"), "prepare", "--config",
          os.path.join(SOURCE, "deploy", "models", "cls_pyramid.yaml")]


def timed(jobs):
    out = os.path.join(WORK, "jobs%d" % jobs)
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(hbprep + ["--jobs", str(jobs), "--out", out] + files, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def same_tree(a, b):
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, compared.common_files, shallow=False)
    return not mismatch and not errors and all(
        same_tree(os.path.join(a, d), os.path.join(b, d)) for d in compared.common_dirs)


# Other work on the machine takes the second core from --jobs 2 first: the load average
# before and after goes into the result, so a busy run shows.
load_before = os.getloadavg()[0]
seconds = {1: [], 2: []}
for run in range(RUNS + 1):  # the first round warms the page cache; not counted
    for jobs in (1, 2):
        elapsed = timed(jobs)
        if run:
            seconds[jobs].append(elapsed)


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


result = {"scenario": "hbprep prepare --jobs 1 / --jobs 2, %d x 1080p JPEG (%d files), "
                      "cls_pyramid (J6), exact; whole process" % (IMAGES, len(frames)),
          "images": IMAGES, "runs": RUNS, "cores": os.cpu_count(),
          "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
          "seconds_1": median(seconds[1]), "seconds_2": median(seconds[2]),
          "same_output": same_tree(os.path.join(WORK, "jobs1"), os.path.join(WORK, "jobs2"))}
result["images_per_s_1"] = IMAGES / result["seconds_1"]
result["images_per_s_2"] = IMAGES / result["seconds_2"]
result["speedup"] = result["images_per_s_2"] / result["images_per_s_1"]
shutil.rmtree(WORK, ignore_errors=True)
with open(OUT, "w") as f:
    json.dump(result, f, indent=2)
print("cli jobs %d x 1080p JPEG -> cls_pyramid: --jobs 1 %.0f images/s, --jobs 2 %.0f images/s "
      "(x%.2f), same output: %s, load average %.2f -> %.2f" % (
          IMAGES, result["images_per_s_1"], result["images_per_s_2"], result["speedup"],
          result["same_output"], result["load_average_before"], result["load_average_after"]))
