#!/usr/bin/python3
"""The low items of issue 15 against the real hbprep-server: a second server on the same
unix socket refuses to start (the first keeps its clients), and a second SIGTERM or SIGINT
during the drain exits at once, and what libpng prints (a PNG with a broken iCCP chunk) reaches
the CLI's stderr as an "hbprep:" line and the server's log as a "library:" warning.

Usage: process_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import re
import signal
import subprocess
import struct
import time
import zlib

import cv2
import grpc
import numpy as np

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import Server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


MODELS = os.path.join(SOURCE, "deploy", "models")
SERVER = harness.binary(BUILD, "server/hbprep-server")


def models(address):
    channel = grpc.insecure_channel(address)
    try:
        return [m.name for m in rpc.InputAdapterStub(channel).ListModels(
            pb.ListModelsRequest(), timeout=10).models]
    finally:
        channel.close()


# A second server on the first one's unix socket.
first = Server(BUILD, WORK, "first", MODELS)
check("the first server answers on its socket", len(models(first.unix)) == 5)
second = subprocess.run([*SERVER, "--models", MODELS, "--listen", first.unix],
                        capture_output=True, text=True, timeout=30)
check("a second server on the same socket exits 1", second.returncode == 1, second.returncode)
want = ("cannot start: UNAVAILABLE: cannot listen on %s: another hbprep-server serves it "
        "(%s.lock is locked)" % (first.unix, first.socket))
check("and says why", want in second.stdout + second.stderr, second.stdout + second.stderr)
check("the first server still answers on its socket", len(models(first.unix)) == 5)
check("the first server drains and exits 0", first.stop() == 0)
again = Server(BUILD, WORK, "again", MODELS, "--listen", first.unix)
check("once it is gone, the socket can be served again", len(models(first.unix)) == 5)
check("that server exits 0", again.stop() == 0)

# A second SIGTERM (and SIGINT) during a long drain.
for name, number in (("SIGTERM", signal.SIGTERM), ("SIGINT", signal.SIGINT)):
    server = Server(BUILD, WORK, "drain-" + name, MODELS, "--drain-delay-ms", "30000")
    server.process.send_signal(number)
    deadline = time.time() + 10
    while time.time() < deadline and "shutting down" not in server.text():
        time.sleep(0.05)
    check(name + ": the drain started", "%s: shutting down" % name in server.text())
    started = time.time()
    server.process.send_signal(number)
    code = server.process.wait(timeout=10)
    took = time.time() - started
    check(name + ": a second one exits with 128 + %d" % number, code == 128 + number, code)
    check(name + ": at once (under 2 s, not the 30 s drain)", took < 2, took)
    check(name + ": and says so", "second %s: exiting now without draining" % name in
          server.text(), server.text()[-400:])

# Library messages: a PNG whose iCCP chunk is too short makes libpng warn (and decode).
png = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()
iccp = b"x\0\0" + zlib.compress(b"junk")
chunk = struct.pack(">I", len(iccp)) + b"iCCP" + iccp + struct.pack(">I", zlib.crc32(b"iCCP" + iccp))
broken = png[:33] + chunk + png[33:]  # after the signature and IHDR
image = os.path.join(WORK, "iccp.png")
with open(image, "wb") as f:
    f.write(broken)
run = subprocess.run([*harness.binary(BUILD, "client/hbprep"), "prepare", "--config",
                      os.path.join(MODELS, "cls_pyramid.yaml"), "--out", os.path.join(WORK, "out"),
                      image], capture_output=True, text=True, timeout=60)
check("the CLI prepares the PNG", run.returncode == 0, run.stderr)
check("and libpng's warning is one 'hbprep:' line on stderr",
      run.stderr == "hbprep: libpng warning: iCCP: too short\n", repr(run.stderr))
server = Server(BUILD, WORK, "library", MODELS)
with grpc.insecure_channel(server.unix) as channel:
    request = pb.PrepareRequest(model_name="cls_pyramid")
    request.images.add(encoded=broken)
    tensors = len(rpc.InputAdapterStub(channel).Prepare(request, timeout=30).tensors)
check("the server prepares it", tensors == 2, tensors)
check("the server exits 0", server.stop() == 0)
text = server.text()
check("libpng's warning is a 'library:' warning in the server's log",
      re.search(r"\n\S+ warning library: libpng warning: iCCP: too short\n", text), text[-400:])
check("and no bare libpng line", not any(line.startswith("libpng") for line in text.splitlines()))
check.finish()
