#!/usr/bin/python3
"""Finding 7 of issue 15 against the real hbprep-server under a lowered file limit (64):
gRPC 1.51 stops accepting for good after one EMFILE (CVE-2023-4785), so 300 idle TCP
connections used to kill the TCP listener while the process stayed up. Now the server's own
accept loop refuses connections beyond 7/8 of the limit: after each of three floods the same
process serves new TCP and unix-socket requests, and health is SERVING. A TLS listener (which
only gRPC can take) that is lost anyway turns health NOT_SERVING and the server exits 1 for
its supervisor.

Usage: emfile_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import re
import resource
import socket
import subprocess
import time

import grpc

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


MODELS = os.path.join(SOURCE, "deploy", "models")
LIMIT = 64


def limited():
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


def start(name, *flags):
    log = open(os.path.join(WORK, name + ".log"), "w+")
    process = subprocess.Popen([*harness.binary(BUILD, "server/hbprep-server"), "--models",
                                MODELS, *flags], stdout=log, stderr=subprocess.STDOUT,
                               preexec_fn=limited)
    deadline = time.time() + 20
    while time.time() < deadline:
        time.sleep(0.05)
        log.seek(0)
        match = re.search(r"serving on [^:]+:(\d+)", log.read())
        if match:
            return process, log, int(match.group(1))
    raise RuntimeError("server %s did not start" % name)


def text(log):
    log.seek(0)
    return log.read()


def flood(port, count=300):
    """Opens `count` idle TCP connections (as many as the server lets stay), holds them a
    second, closes them; returns how many connected."""
    held = []
    for _ in range(count):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            pass
    time.sleep(1)
    for s in held:
        s.close()
    time.sleep(0.5)
    return len(held)


socket_path = os.path.join(WORK, "s.sock")
process, log, port = start("plain", "--listen", "127.0.0.1:0", "--listen", "unix:" + socket_path)
check("the soft file limit is the lowered one",
      "file limit %d" % LIMIT in text(log), text(log)[:300])
good = pb.PrepareRequest(model_name="cls_pyramid")
good.images.add(encoded=open(os.path.join(SOURCE, "deploy", "demo", "scene.jpg"), "rb").read())
for round in range(3):
    flood(port)
    for name, address in (("TCP", "127.0.0.1:%d" % port), ("unix", "unix:" + socket_path)):
        with grpc.insecure_channel(address) as channel:
            try:
                tensors = len(rpc.InputAdapterStub(channel).Prepare(good, timeout=10).tensors)
            except grpc.RpcError as error:
                tensors = error.code()
        health = subprocess.run([*harness.binary(BUILD, "client/hbprep"), "health", "--server",
                                 address], capture_output=True, text=True, timeout=30).stdout
        check("flood %d: a new %s request is served by the same process" % (round, name),
              tensors == 2 and process.poll() is None, tensors)
        check("flood %d: health over %s is SERVING" % (round, name),
              health == "SERVING\n", health)
check("the refusals are logged",
      re.search(r"refusing connections: \d+ file descriptors open, at most 32", text(log)),
      text(log)[-800:])
check("no listener was lost", "Failed accept4" not in text(log))
process.terminate()
check("the server exits 0", process.wait(timeout=30) == 0)

# Idle peers cannot hold connections for good: --connection-idle-ms closes them.
process, log, port = start("idle", "--listen", "127.0.0.1:0", "--connection-idle-ms", "1000")
peer = socket.create_connection(("127.0.0.1", port), timeout=5)
started = time.time()
try:
    while peer.recv(4096):
        pass
    closed = time.time() - started
except OSError:
    closed = None
check("a peer that never speaks is closed after --connection-idle-ms (1 s)",
      closed is not None and 0.5 < closed < 3, closed)
process.terminate()
check("the server exits 0", process.wait(timeout=30) == 0)

# TLS: gRPC's own listener; when it is lost, NOT_SERVING and exit 1.
tls = os.path.join(WORK, "tls")
os.makedirs(tls)
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                "/CN=localhost", "-keyout", "k.pem", "-out", "c.pem"], check=True,
               capture_output=True, cwd=tls)
process, log, port = start("tls", "--listen", "127.0.0.1:0", "--tls-cert",
                           os.path.join(tls, "c.pem"), "--tls-key", os.path.join(tls, "k.pem"))
flood(port)
try:
    code = process.wait(timeout=20)
except subprocess.TimeoutExpired:
    process.kill()
    code = "still running"
check("a lost TLS listener: the server exits 1", code == 1, code)
check("saying why", "a listener stopped accepting connections (gRPC after EMFILE): health "
      "NOT_SERVING, exiting 1 for the supervisor to restart the server" in text(log),
      text(log)[-800:])
check("gRPC's own message is in the log, prefixed",
      re.search(r"error grpc: tcp_server_posix.cc:\d+: Failed accept4: Too many open files",
                text(log)), text(log)[-800:])
check.finish()
