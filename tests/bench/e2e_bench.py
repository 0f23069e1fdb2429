#!/usr/bin/python3
"""The end-to-end scenario of tests/bench, the way a user runs it: `hbprep prepare --jobs 1` on 30
1080p JPEGs for a J6 pyramid model (exact decoding) against the numpy/OpenCV script a user writes
for the same job (tests/bench/user_script.py), each a fresh process, alternating, medians of
the wall times. Also checks that both wrote the same Y planes (hbprep with the script's NV12
recipe, calc).

Usage: e2e_bench.py BUILD_DIR SOURCE_DIR WORK_DIR OUT.json [RUNS]
"""
import json
import os
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np

BUILD, SOURCE, WORK, OUT = sys.argv[1:5]
RUNS = int(sys.argv[5]) if len(sys.argv) > 5 else 5
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# 30 photo-like 1080p JPEGs, quality 92.
rng = np.random.default_rng(30)
yy, xx = np.mgrid[0:1080, 0:1920].astype(np.float32)
files = []
for i in range(30):
    img = np.stack([60 + 120 * yy / 1080 + 40 * np.sin(xx / 200 + i),
                    90 + 100 * (xx * yy) / (1920 * 1080) + 30 * np.cos(yy / 150),
                    180 - 110 * xx / 1920 + 25 * np.sin((xx + yy) / 140)], -1)
    for _ in range(30):
        cx, cy, r = rng.integers(0, 1920), rng.integers(0, 1080), int(rng.integers(27, 180))
        cv2.circle(img, (int(cx), int(cy)), r, [float(c) for c in rng.integers(0, 256, 3)], -1,
                   cv2.LINE_AA)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    path = os.path.join(WORK, "frame%02d.jpg" % i)
    cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 92])
    files.append(path)

# One job, as the script runs on one thread (jobs_bench.py measures --jobs). The script
# applies the NV12 formula in float64 to its uint8 pixels (the calc recipe); hbprep's auto
# follows the toolchain's transformers, which hold float32 after a resize (calc_f32, a few
# values 1 apart), so the same recipe is asked for here and the planes can be compared.
hbprep = [os.path.join(BUILD, "client", "hbprep"), "prepare", "--jobs", "1", "--nv12-recipe",
          "calc", "--config", os.path.join(SOURCE, "deploy", "models", "cls_pyramid.yaml"),
          "--out"]
script = ["/usr/bin/python3", os.path.join(SOURCE, "tests", "bench", "user_script.py")]


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1e3


times = {"hbprep": [], "python": []}
for run in range(RUNS + 1):  # the first round warms the page cache; not counted
    out_a, out_b = os.path.join(WORK, "hbprep"), os.path.join(WORK, "python")
    for folder in (out_a, out_b):
        shutil.rmtree(folder, ignore_errors=True)
    a = timed(hbprep + [out_a] + files)
    os.makedirs(out_b)
    b = timed(script + [out_b] + files)
    if run:
        times["hbprep"].append(a)
        times["python"].append(b)

same = all(np.array_equal(np.load(os.path.join(WORK, "hbprep", str(i), "images_y.npy")),
                          np.load(os.path.join(WORK, "python", str(i), "images_y.npy")))
           for i in range(30))
result = {"scenario": "hbprep prepare, 30 x 1080p JPEG, cls_pyramid (J6), exact",
          "runs": RUNS, "hbprep_ms": float(np.median(times["hbprep"])),
          "python_ms": float(np.median(times["python"])), "same_y_planes": same}
result["ratio"] = result["hbprep_ms"] / result["python_ms"]
with open(OUT, "w") as f:
    json.dump(result, f, indent=2)
print("e2e 30 x 1080p JPEG -> cls_pyramid: hbprep %.0f ms, python script %.0f ms (x%.2f), "
      "same Y planes: %s" % (result["hbprep_ms"], result["python_ms"], result["ratio"], same))
