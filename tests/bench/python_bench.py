#!/usr/bin/python3
"""The Python baseline of tests/bench: the reference recipes (tests/reference/recipes.py, numpy
and OpenCV on one thread) run on the inputs hbprep_bench wrote, the way users run them today.

Usage: python_bench.py INPUTS_DIR OUT.json [ITERATIONS]   (Debian's /usr/bin/python3)
Writes {scenario + " " + input: median milliseconds per image}.
"""
import json
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from recipes import IMAGENET_MEAN, cls_recipe, float_input, nv12_calc, nv12_opencv  # noqa: E402

INPUTS, OUT = sys.argv[1:3]
ITERATIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 30
cv2.setNumThreads(1)


def read(name):
    with open(os.path.join(INPUTS, name), "rb") as f:
        return f.read()


def median_ms(run, images=1, iterations=ITERATIONS, arrive=lambda: None):
    """`arrive` (untimed) writes the input where `run` reads it before each call, as a request's
    bytes are written just before they are prepared, the same as hbprep_bench does."""
    for _ in range(2):
        run()
    times = []
    for _ in range(iterations):
        arrive()
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3 / images)
    return float(np.median(times))


def pyramid(bgr):
    return nv12_calc(cls_recipe(bgr))


def calibration(bgr):
    return float_input(cls_recipe(bgr), True, mean=IMAGENET_MEAN, std=[58.395, 57.12, 57.375])


results = {}
for label in ("1080p", "4k"):
    source = np.frombuffer(read(label + ".jpg"), np.uint8)
    jpeg = source.copy()
    arrive = lambda: np.copyto(jpeg, source)  # noqa: E731
    results["jpeg_to_pyramid224 " + label] = median_ms(
        lambda: pyramid(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)), arrive=arrive)
    results["jpeg_to_calibration224_f32 " + label] = median_ms(
        lambda: calibration(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)), arrive=arrive)

# The raw scenarios take a millisecond or so: five times the iterations, as hbprep_bench.
raw = 5 * ITERATIONS
bgr_source = np.frombuffer(read("1080p.bgr"), np.uint8).reshape(1080, 1920, 3)
bgr = bgr_source.copy()
roi = np.array([[64, 32, 1343, 751]], np.int32)
results["bgr_to_resizer_nv12_opencv 1080p"] = median_ms(
    lambda: (nv12_opencv(bgr), roi.copy()), iterations=raw, arrive=lambda: np.copyto(bgr, bgr_source))
results["bgr_to_resizer_nv12_calc 1080p"] = median_ms(
    lambda: (nv12_calc(bgr), roi.copy()), iterations=raw, arrive=lambda: np.copyto(bgr, bgr_source))
nv12_source = np.frombuffer(read("1080p.nv12"), np.uint8).reshape(1620, 1920)
nv12 = nv12_source.copy()
results["nv12_to_pyramid224 1080p"] = median_ms(
    lambda: pyramid(cv2.cvtColor(nv12, cv2.COLOR_YUV2BGR_NV12)), iterations=raw,
    arrive=lambda: np.copyto(nv12, nv12_source))
sources = [np.frombuffer(read("224_%d.bgr" % i), np.uint8).reshape(224, 224, 3) for i in range(8)]
items = [s.copy() for s in sources]
results["bgr224_x8_to_batch_split 224"] = median_ms(
    lambda: [pyramid(i) for i in items], 8, iterations=raw,
    arrive=lambda: [np.copyto(i, s) for i, s in zip(items, sources)])

with open(OUT, "w") as f:
    json.dump(results, f, indent=2)
for key, value in results.items():
    print("python %-45s %.3f ms" % (key, value))
