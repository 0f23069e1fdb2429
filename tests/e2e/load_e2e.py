#!/usr/bin/python3
"""Overload, reload and shutdown under load, against the real hbprep-server on loopback.
Bounded in count and time; asserts outcomes (codes, counts, bytes), never speed. Latencies
and memory are measured and printed.

1. Overload: more concurrent requests than 1 worker + 2 queue slots can hold. Excess requests
   get RESOURCE_EXHAUSTED at once, accepted ones all complete with the right bytes, peak
   memory stays under a stated bound, and the server recovers as soon as the load drops.
2. Reload during load: files added, changed, broken and removed while requests run; no
   request fails because of it, and the broken file's previous version keeps serving.
3. SIGTERM during load: every request is accounted for (succeeded, rejected, or refused as
   UNAVAILABLE once the server stopped accepting), and the process exits 0 within its grace.

Usage: load_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import cv2
import grpc
import numpy as np

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import start_server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


# Peak RSS allowed for the server under this load (AddressSanitizer's shadow memory and
# quarantine need more in the sanitizer build).
MEMORY_BOUND_MB = 3072 if "ASAN_OPTIONS" in os.environ else 1024


def start(name, models, *flags):
    process, log, port = start_server(BUILD, WORK, name, models, *flags)
    return process, log, rpc.InputAdapterStub(grpc.insecure_channel("127.0.0.1:%d" % port))


def peak_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024


rng = np.random.default_rng(4)
noisy = cv2.imencode(".jpg", rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8),
                     [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
request = pb.PrepareRequest(model_name="cls_pyramid")
request.images.add(encoded=noisy)


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = self.succeeded = self.rejected = self.unavailable = self.cancelled = 0
        self.failed = 0
        self.latencies = []
        self.errors = []

    def run(self, stub, count, reference, stop=None):
        for _ in range(count):
            if stop is not None and stop.is_set():
                return
            start = time.monotonic()
            with self.lock:
                self.sent += 1
            try:
                response = stub.Prepare(request, timeout=60)
                ok = reference is None or [t.data for t in response.tensors] == reference
                with self.lock:
                    self.succeeded += ok
                    self.failed += not ok
                    self.latencies.append(time.monotonic() - start)
            except grpc.RpcError as error:
                with self.lock:
                    if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        self.rejected += 1
                    elif error.code() == grpc.StatusCode.UNAVAILABLE:
                        self.unavailable += 1
                    elif error.code() == grpc.StatusCode.CANCELLED:
                        self.cancelled += 1
                    else:
                        self.failed += 1
                        self.errors.append("%s %s" % (error.code(), error.details()))

    def accounted(self):
        return self.sent == (self.succeeded + self.rejected + self.unavailable + self.cancelled +
                             self.failed)

    def summary(self):
        lat = sorted(self.latencies)
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0  # noqa: E731
        return ("sent %d, succeeded %d, rejected %d, unavailable %d, cancelled %d, failed %d; "
                "accepted latency p50 %.1f ms, p99 %.1f ms" % (
                    self.sent, self.succeeded, self.rejected, self.unavailable, self.cancelled,
                    self.failed, p(0.5), p(0.99)))


def hammer(stub, threads, each, reference, stop=None):
    tally = Tally()
    workers = [threading.Thread(target=tally.run, args=(stub, each, reference, stop))
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    return tally, workers


models = os.path.join(WORK, "models")
shutil.copytree(os.path.join(SOURCE, "deploy", "models"), models)

# 1. Overload.
process, log, stub = start("overload", models, "--workers", "1", "--queue", "2")
try:
    reference = [t.data for t in stub.Prepare(request, timeout=60).tensors]
    tally, workers = hammer(stub, threads=12, each=8, reference=reference)
    for worker in workers:
        worker.join()
    print("overload: " + tally.summary())
    check("overload: excess requests get RESOURCE_EXHAUSTED at once", tally.rejected > 0)
    check("overload: every accepted request completes with the right bytes",
          tally.failed == 0 and tally.cancelled == 0 and tally.succeeded > 0,
          "; ".join(tally.errors[:3]))
    check("overload: every request is accounted for", tally.accounted())
    peak = peak_rss_mb(process.pid)
    print("overload: server peak RSS %.0f MB (bound %d MB)" % (peak, MEMORY_BOUND_MB))
    check("overload: memory stays under the bound", peak < MEMORY_BOUND_MB)
    calm = Tally()
    calm.run(stub, 5, reference)
    check("overload: the server recovers as soon as the load drops",
          calm.succeeded == 5, calm.summary())
finally:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)

# 2. Reload during load.
process, log, stub = start("reload", models, "--workers", "2", "--queue", "64",
                           "--reload-poll-ms", "50")
try:
    reference = [t.data for t in stub.Prepare(request, timeout=60).tensors]
    stop = threading.Event()
    tally, workers = hammer(stub, threads=4, each=10_000, reference=reference, stop=stop)
    extra = os.path.join(models, "extra.yaml")
    original = open(os.path.join(models, "cls_pyramid.yaml")).read()
    steps = [
        lambda: shutil.copy(os.path.join(models, "x5_ssd.yaml"), extra),        # added
        lambda: open(extra, "a").write("\n# changed\n"),                          # changed
        lambda: open(os.path.join(models, "cls_pyramid.yaml"), "w").write(        # broken
            "model_parameters: [unclosed\n"),
        lambda: os.remove(extra),                                                  # removed
    ]
    for step in steps:
        step()
        time.sleep(0.4)
    stop.set()
    for worker in workers:
        worker.join()
    print("reload: " + tally.summary())
    check("reload: no request failed because of the reloads",
          tally.failed == 0 and tally.cancelled == 0 and tally.succeeded > 0,
          "; ".join(tally.errors[:3]))
    check("reload: every request is accounted for", tally.accounted())
    log.seek(0)
    text = log.read()
    check("reload: the broken file's previous version keeps serving and is reported",
          "the previous version of model 'cls_pyramid' keeps serving" in text and
          [t.data for t in stub.Prepare(request, timeout=60).tensors] == reference)
    open(os.path.join(models, "cls_pyramid.yaml"), "w").write(original)
finally:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)

# 3. SIGTERM during load.
process, log, stub = start("sigterm", models, "--workers", "2", "--queue", "4", "--grace-ms",
                           "20000")
try:
    reference = [t.data for t in stub.Prepare(request, timeout=60).tensors]
    stop = threading.Event()
    tally, workers = hammer(stub, threads=8, each=10_000, reference=reference, stop=stop)
    time.sleep(1.0)
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=30)
    stopped_after = time.monotonic() - signalled
    stop.set()
    for worker in workers:
        worker.join()
    print("sigterm: %s; the server stopped %.2f s after SIGTERM" % (tally.summary(), stopped_after))
    # Requests still waiting in gRPC's own queue when the server stops accepting are refused
    # as UNAVAILABLE or CANCELLED; none ends any other way, none is lost.
    check("sigterm: every request is accounted for (succeeded, rejected, unavailable or "
          "cancelled by the shutdown; none otherwise)",
          tally.accounted() and tally.failed == 0, "; ".join(tally.errors[:3]))
    check("sigterm: requests succeeded while the server ran", tally.succeeded > 0)
    check("sigterm: the process exits 0 within the grace period", code == 0 and stopped_after < 20)
finally:
    if process.poll() is None:
        process.kill()

check.finish()
