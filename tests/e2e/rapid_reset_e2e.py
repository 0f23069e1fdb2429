#!/usr/bin/python3
"""Finding 11 of issue 15 against the real hbprep-server: HTTP/2 rapid reset (CVE-2023-44487)
from a raw-socket client (h2raw.py): 40,000 HEADERS+RST_STREAM pairs on one connection used
to grow the server's RSS by 400-900 MiB (gRPC 1.51 keeps ~20 KB per reset stream) and cost
seconds of CPU. Now the connection is closed once it resets streams faster than the server
allows (200 at once, then 100 a second), the peak RSS stays within a few MiB, and good
requests on other connections are served throughout; a client cancelling 150 calls in a row
keeps its connection.

Usage: rapid_reset_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import re
import threading
import time

import grpc

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import Server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402

import h2raw  # noqa: E402

server = Server(BUILD, WORK, "server", os.path.join(SOURCE, "deploy", "models"))


def status_mb(field):
    with open("/proc/%d/status" % server.process.pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024


def attack():
    """40,000 HEADERS+RST_STREAM pairs on one connection, or as many as the server takes;
    returns (pairs sent, seconds, whether the server closed the connection)."""
    attacker = h2raw.Connection("127.0.0.1", server.port)
    headers = h2raw.grpc_headers("/hbprep.v1.InputAdapter/Prepare")
    pairs = 0
    started = time.time()
    try:
        for base in range(0, 40000, 500):
            attacker.send(b"".join(
                h2raw.frame(h2raw.HEADERS, h2raw.END_HEADERS, 2 * i + 1, headers) +
                h2raw.frame(h2raw.RST_STREAM, 0, 2 * i + 1, h2raw.CANCEL.to_bytes(4, "big"))
                for i in range(base, base + 500)))
            pairs = base + 500
    except OSError:
        pass
    closed = attacker.closed.wait(5)
    took = time.time() - started
    attacker.close()
    return pairs, took, closed


# Alone: what the attack costs in memory.
before = status_mb("VmHWM")
pairs, took, closed = attack()
time.sleep(1)
grown = status_mb("VmHWM") - before
print("attacker alone: %d HEADERS+RST_STREAM pairs sent (%.2f s), connection closed by the "
      "server: %s; peak RSS growth %.1f MiB" % (pairs, took, closed, grown))
check("the server closes the attacking connection", closed and pairs < 40000, pairs)
check("peak RSS growth under 64 MiB (target: under 300 MiB for 40,000 pairs)", grown < 64,
      grown)

good = pb.PrepareRequest(model_name="cls_pyramid")
good.images.add(encoded=open(os.path.join(SOURCE, "deploy", "demo", "scene.jpg"), "rb").read())
channel = grpc.insecure_channel(server.tcp)
stub = rpc.InputAdapterStub(channel)
check("a good request before", len(stub.Prepare(good, timeout=30).tensors) == 2)

# A client that cancels many calls (deadlines far too short) is no attacker.
cancelled = 0
for _ in range(150):
    try:
        stub.Prepare(good, timeout=0.0005)
    except grpc.RpcError as error:
        cancelled += error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
check("150 calls past their deadline, then the same channel serves",
      cancelled > 100 and len(stub.Prepare(good, timeout=30).tensors) == 2, cancelled)

served, failed = [], []
stop = threading.Event()


def serve():
    while not stop.is_set():
        try:
            served.append(len(stub.Prepare(good, timeout=30).tensors) == 2)
        except grpc.RpcError as error:
            failed.append(error.code())


# Beside good requests on another connection.
worker = threading.Thread(target=serve)
worker.start()
time.sleep(0.3)
for _ in range(3):
    attack()
time.sleep(0.3)
stop.set()
worker.join()
print("%d good requests served during three more attacks" % len(served))
check("good requests on another connection are served throughout",
      served and all(served) and not failed, (len(served), failed[:3]))
check("a good request after", len(stub.Prepare(good, timeout=30).tensors) == 2)
text = server.text()
check("the log says why", re.search(r"warning closing a connection that reset \d+ streams, "
                                    r"faster than 100 a second \(HTTP/2 rapid reset\)", text),
      text[-500:])
check("the server exits 0", server.stop() == 0)
check.finish()
