#!/usr/bin/python3
"""The Python module without the GIL, across threads, and without leaks.

The GIL's release is shown without any timing: a test gate (hbprep._engine._TestGate) makes
the engine's first check of a call wait, inside the engine and without the GIL, until another
Python thread opens it; that thread learns that the call is waiting, runs Python code and opens
the gate. Were the GIL held through the engine, the other thread could never run: the call
would fail when the gate's bound runs out (20 s, a failure bound, not a measurement). prepare,
prepare_into and calib are each shown so. Then threads on one model give one thread's bytes,
and 10,000 calls (good ones, failing ones, prepare_into) leave reference counts, Python's
allocations and the process's memory where they were.

Usage: threads_test.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
"""
import concurrent.futures
import gc
import os
import sys
import threading
import tracemalloc

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
BUILD, SOURCE, WORK, check = harness.setup()
import hbprep  # noqa: E402
from hbprep import _engine  # noqa: E402

MODELS = os.path.join(SOURCE, "deploy", "models")
rng = np.random.default_rng(9)
image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
model = hbprep.Model(os.path.join(MODELS, "cls_pyramid.yaml"))
det = hbprep.Model(os.path.join(MODELS, "det_resizer.yaml"))


def while_inside_the_engine(call):
    """Runs `call` (a call into the engine) on this thread with the test gate set, and on
    another thread Python code that can only run while this one is inside the engine without
    the GIL. Returns (what happened, in order; the call's result or exception)."""
    gate = _engine._TestGate(20.0)
    events = []

    def other_thread():
        if not gate.wait_until_reached(20.0):
            events.append("the call never reached the engine")
            return
        # Python code, on this thread, while the other is held inside the engine.
        events.append("other thread ran Python (%d)" % sum(range(1000)))
        gate.open()

    thread = threading.Thread(target=other_thread)
    _engine._set_test_gate(gate)
    try:
        thread.start()
        try:
            outcome = call()
        except hbprep.Error as error:
            outcome = error
        events.append("call returned")
    finally:
        _engine._set_test_gate(None)
        thread.join()
    return events, outcome


expected = ["other thread ran Python (499500)", "call returned"]
want = model.prepare([image])
events, outcome = while_inside_the_engine(lambda: model.prepare([image]))
check("prepare: another thread runs Python while the call is inside the engine",
      events == expected and isinstance(outcome, dict) and
      all(np.array_equal(outcome[k], want[k]) for k in want), (events, outcome))
outputs = det.empty_outputs([image])
events, outcome = while_inside_the_engine(lambda: det.prepare_into(outputs, [image]))
check("prepare_into: likewise", events == expected and isinstance(outcome, dict),
      (events, outcome))
samples = os.path.join(WORK, "samples")
os.makedirs(samples)
for i in range(2):
    cv2.imwrite(os.path.join(samples, "%d.png" % i), rng.integers(0, 256, (64, 80, 3), np.uint8))
events, outcome = while_inside_the_engine(
    lambda: model.calib(samples, out=os.path.join(WORK, "cal")))
check("calib: likewise", events == expected and isinstance(outcome, dict), (events, outcome))
gate = _engine._TestGate(0.05)
_engine._set_test_gate(gate)
try:
    model.prepare([image])
    timed_out = False
except hbprep.DeadlineExceeded as error:
    timed_out = "the test gate was not opened within 0 s" in str(error)
finally:
    _engine._set_test_gate(None)
check("the gate does fail a call no thread opens it for (the check can fail)",
      timed_out and gate.reached)

# Threads on one model: each call its own buffers; the bytes of one thread.
images = [rng.integers(0, 256, (200 + 7 * i, 300 - 5 * i, 3), dtype=np.uint8) for i in range(8)]
serial = [model.prepare([i]) for i in images]
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    parallel = list(pool.map(lambda i: model.prepare([i]), images * 4))
check("4 threads on one model give one thread's bytes (32 calls)",
      all(np.array_equal(p[k], serial[n % 8][k]) for n, p in enumerate(parallel) for k in p))
resized = [det.prepare([i], rois=[(2, 4, 101, 151)]) for i in images]
with concurrent.futures.ThreadPoolExecutor(2) as pool:
    again = list(pool.map(lambda i: det.prepare([i], rois=[(2, 4, 101, 151)]), images * 2))
check("2 threads on a resizer model (sizes per image) give one thread's bytes",
      all(np.array_equal(p[k], resized[n % 8][k]) for n, p in enumerate(again) for k in p))

# 10,000 calls: reference counts, Python's allocations and the process's memory stay put. A
# tiny model (16 x 16 NV12, no resize) keeps each call short.
TINY = """model_parameters: {march: nash-e}
input_parameters:
  input_name: x
  input_type_train: bgr
  input_layout_train: NCHW
  input_type_rt: nv12
  input_shape: 1x3x16x16
"""
tiny = hbprep.Model(yaml_text=TINY, name="tiny")
pixels = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
y_plane = rng.integers(16, 236, (16, 16), dtype=np.uint8)
uv_plane = rng.integers(16, 236, (8, 8, 2), dtype=np.uint8)
strided = np.repeat(pixels, 2, axis=1)[:, ::2]
tiny_outputs = tiny.empty_outputs()


def rss_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def calls(n):
    for _ in range(n):
        tiny.prepare([pixels])
        tiny.prepare([(y_plane, uv_plane)])
        tiny.prepare([strided])
        tiny.prepare_into(tiny_outputs, [pixels])
        try:
            tiny.prepare([b"junk"])
        except hbprep.InvalidArgument:
            pass


watched = (pixels, y_plane, uv_plane, strided, tiny, tiny_outputs["x_y"])
calls(500)  # warm: caches, the thread's scratch, the allocator's pools
gc.collect()
counts = [sys.getrefcount(o) for o in watched]
objects = len(gc.get_objects())
rss = rss_kib()
tracemalloc.start()
snapshot = tracemalloc.take_snapshot()
calls(2000)
gc.collect()
grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(snapshot, "filename"))
tracemalloc.stop()
calls(8000)
gc.collect()
check("10,000 rounds of calls (5 kinds, failures included): reference counts unchanged",
      [sys.getrefcount(o) for o in watched] == counts, (counts, [sys.getrefcount(o) for o in watched]))
check("... the number of Python objects unchanged (within 100)",
      abs(len(gc.get_objects()) - objects) < 100, (objects, len(gc.get_objects())))
check("... Python's allocations over 2,000 rounds grow by less than 64 KiB", grown < 64 << 10,
      grown)
check("... and the process's memory by less than 8 MiB (50,000 calls)", rss_kib() - rss < 8192,
      (rss, rss_kib()))
check.finish()
