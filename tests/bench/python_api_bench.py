#!/usr/bin/python3
"""The Python module in tests/bench: hbprep.Model.prepare on hbprep_bench's 1080p JPEG for a J6
pyramid model (cls_pyramid: ShortSideResize 256, CenterCrop 224, NV12), against
  - the C++ engine on the same input, as hbprep_bench runs it (Prepare() of the descriptor),
    timed in C++ in this process round by round (hbprep._engine._time_engine_prepare), wall and
    thread CPU: the module's overhead (hbprep_bench's own median from ENGINE_JSON beside it),
  - the Python gRPC client (hbprep_client) through hbprep-server on a unix socket,
  - the user's own numpy/OpenCV script (tests/bench/user_script.py's prepare),
  - Horizon's transformer pipeline as a user writes it: cv2.imread (imdecode here, the bytes
    in memory as for every contender), ShortSideResizeTransformer(256) and
    CenterCropTransformer(224) (float32 out, tests/reference/transformers.py), then
    BGR2NV12Transformer's rgb_calc with its mergeUV: a float64 zeros array filled by a Python
    loop over every chroma pair, np.vstack((y, uv)).astype(np.uint8);
and prepare from 2 Python threads against 1 (images per second).

Each round runs every contender once, in turn (each round starting one further), after its
input bytes are written again (untimed, as hbprep_bench does); medians of the rounds. The module's output is checked equal
to Horizon's pipeline's (the toolchain's float32 formula, hbprep's auto NV12 recipe).

Usage: python_api_bench.py BUILD_DIR SOURCE_DIR INPUTS_DIR ENGINE_JSON OUT.json [ROUNDS]
"""
import concurrent.futures
import json
import os
import signal
import statistics
import sys
import time

import cv2
import numpy as np

BUILD, SOURCE, INPUTS, ENGINE_JSON, OUT = sys.argv[1:6]
ROUNDS = int(sys.argv[6]) if len(sys.argv) > 6 else 40
sys.path.insert(0, os.path.join(BUILD, "python"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "reference"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "bench"))
import hbprep  # noqa: E402
import transformers  # noqa: E402
import user_script  # noqa: E402
from harness import start_server  # noqa: E402
from hbprep import _engine  # noqa: E402
from hbprep_client import Client  # noqa: E402

cv2.setNumThreads(1)
WORK = os.path.join(os.path.dirname(OUT), "python_api_bench")
os.makedirs(WORK, exist_ok=True)
with open(os.path.join(INPUTS, "1080p.jpg"), "rb") as f:
    SOURCE_JPEG = f.read()
jpeg = bytearray(SOURCE_JPEG)  # what the contenders read, written again before each call


def arrive():
    jpeg[:] = SOURCE_JPEG


def merge_uv(u, v):
    """BGR2NV12Transformer.mergeUV: a float64 (h, 2w) array, each U and V put in by a Python
    loop."""
    uv = np.zeros(shape=(u.shape[0], u.shape[1] * 2))
    for i in range(0, u.shape[0]):
        for j in range(0, u.shape[1]):
            uv[i, 2 * j] = u[i, j]
            uv[i, 2 * j + 1] = v[i, j]
    return uv


def horizon_pipeline(data):
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    img = transformers.center_crop(transformers.short_side_resize(img, 256), 224)
    b, g, r = img[:, :, 0], img[:, :, 1], img[:, :, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (-0.169 * r - 0.331 * g + 0.5 * b + 128)[::2, ::2]
    v = (0.5 * r - 0.419 * g - 0.081 * b + 128)[::2, ::2]
    return np.vstack((y, merge_uv(u, v))).astype(np.uint8)


def user_pipeline(data):
    return user_script.prepare(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))


model = hbprep.Model(os.path.join(SOURCE, "deploy", "models", "cls_pyramid.yaml"))
outputs = model.empty_outputs()
result = model.prepare([jpeg])
same_as_horizon = np.array_equal(
    np.vstack((result["images_y"][0, :, :, 0], result["images_uv"][0].reshape(112, 224))),
    horizon_pipeline(jpeg))

socket = os.path.join(WORK, "bench.sock")
server, log, _ = start_server(BUILD, WORK, "python_api", os.path.join(SOURCE, "deploy", "models"),
                              "--listen", "unix:" + socket)
client = Client("unix:" + socket)
try:
    same_as_grpc = all(np.array_equal(v, result[k]) for k, v in
                       client.prepare("cls_pyramid", [bytes(jpeg)]).items())
    # Two races, each of contenders run in turn: the module's overhead against the engine
    # alone (the other pipelines' allocations would fall on whichever follows them), then the
    # module against what users run instead.
    races = {
        "overhead": {
            # The C++ engine as hbprep_bench runs it, timed inside the call (its own figures).
            "engine": lambda: _engine._time_engine_prepare(model, bytes(jpeg)),
            "module": lambda: model.prepare([jpeg]),
            "module_prepare_into": lambda: model.prepare_into(outputs, [jpeg]),
        },
        "alternatives": {
            "module": lambda: model.prepare([jpeg]),
            "grpc_client_unix": lambda: client.prepare("cls_pyramid", [bytes(jpeg)]),
            "user_script": lambda: user_pipeline(jpeg),
            "horizon_transformers": lambda: horizon_pipeline(jpeg),
        },
    }
    wall, cpu = {}, {}
    for race, contenders in races.items():
        names = list(contenders)
        times = {name: ([], []) for name in names}
        for round_ in range(ROUNDS + 2):  # two warm-up rounds
            # Each round starts with the next contender: none always follows the same one (the
            # caches the one before leaves behind).
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                arrive()
                cpu0, start = time.thread_time(), time.perf_counter()
                timed = contenders[name]()
                elapsed, used = time.perf_counter() - start, time.thread_time() - cpu0
                if name == "engine":
                    elapsed, used = timed
                del timed
                if round_ >= 2:
                    times[name][0].append(elapsed * 1e3)
                    times[name][1].append(used * 1e3)
        for name, (w, c) in times.items():
            key = name if race == "alternatives" or name != "module" else "module_alone"
            wall[key], cpu[key] = w, c
finally:
    client.close()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def images_per_s(threads, count):
    """Images per second of `count` module.prepare calls on `threads` Python threads (each
    call its own copy of the bytes, as a request's)."""
    inputs = [bytes(SOURCE_JPEG) for _ in range(count)]
    start = time.perf_counter()
    if threads == 1:
        for data in inputs:
            model.prepare([data])
    else:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda data: model.prepare([data]), inputs))
    return count / (time.perf_counter() - start)


load_before = os.getloadavg()[0]
count = max(8, 2 * ROUNDS)
one, two = [], []
for _ in range(3):  # alternating, so that the machine's load falls on both alike
    one.append(images_per_s(1, count))
    two.append(images_per_s(2, count))
load_after = os.getloadavg()[0]

with open(ENGINE_JSON) as f:
    bench = next(s for s in json.load(f)["scenarios"]
                 if s["scenario"] == "jpeg_to_pyramid224" and s["input"].startswith("1080p"))
median = {name: statistics.median(values) for name, values in wall.items()}
median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
report = {
    "scenario": "1080p JPEG q92 -> cls_pyramid (J6 pyramid 224), exact decoding, one image",
    "rounds": ROUNDS,
    "median_ms": median,
    "median_thread_cpu_ms": median_cpu,
    "hbprep_bench_ms": bench["median_ms"]["hbprep"],
    "module_vs_engine": median["module_alone"] / median["engine"],
    "module_vs_engine_cpu": median_cpu["module_alone"] / median_cpu["engine"],
    "grpc_vs_module": median["grpc_client_unix"] / median["module"],
    "user_script_vs_module": median["user_script"] / median["module"],
    "horizon_vs_module": median["horizon_transformers"] / median["module"],
    "images_per_s_1_thread": statistics.median(one),
    "images_per_s_2_threads": statistics.median(two),
    "threads_speedup": statistics.median(two) / statistics.median(one),
    "cores": os.cpu_count(),
    "load_average_before": load_before,
    "load_average_after": load_after,
    "same_as_horizon_pipeline": bool(same_as_horizon),
    "same_as_grpc_client": bool(same_as_grpc),
}
with open(OUT, "w") as f:
    json.dump(report, f, indent=2)
print("python module %-38s %.3f ms (engine %.3f ms: x%.3f wall, x%.3f CPU); gRPC client unix "
      "x%.2f, user script x%.2f, Horizon transformers x%.1f; 2 threads x%.2f of 1; same as "
      "Horizon: %s" % ("1080p JPEG -> pyramid 224", median["module_alone"], median["engine"],
                       report["module_vs_engine"], report["module_vs_engine_cpu"],
                       report["grpc_vs_module"], report["user_script_vs_module"],
                       report["horizon_vs_module"], report["threads_speedup"], same_as_horizon))
