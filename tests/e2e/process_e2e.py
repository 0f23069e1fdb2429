#!/usr/bin/python3
"""The low items of issue 15 against the real hbprep-server: a second server on the same
unix socket refuses to start (the first keeps its clients), and a second SIGTERM or SIGINT
during the drain exits at once.

Usage: process_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import grpc

BUILD, SOURCE, WORK = sys.argv[1:4]
sys.path.insert(0, os.path.join(BUILD, "python"))
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, Server  # noqa: E402

shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
check = Checks()
MODELS = os.path.join(SOURCE, "deploy", "models")
SERVER = os.path.join(BUILD, "server", "hbprep-server")


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
second = subprocess.run([SERVER, "--models", MODELS, "--listen", first.unix],
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
check.finish()
