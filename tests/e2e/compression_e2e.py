#!/usr/bin/python3
"""Finding 6 of issue 15 against the real hbprep-server: gzip- (and deflate-) compressed
requests are refused when their metadata arrives, before any message is inflated, with
UNIMPLEMENTED "Compression algorithm 'gzip' is disabled.", with or without the token; so 32
unauthenticated 15 MiB zero-filled requests (15 KiB each on the wire) over 16 connections
leave the server's peak RSS flat, and uncompressed requests are served as before.

Usage: compression_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import threading

import grpc

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import Server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


token = os.path.join(WORK, "token")
with open(token, "w") as f:
    f.write("s3cret\n")
AUTH = (("authorization", "Bearer s3cret"),)
server = Server(BUILD, WORK, "server", os.path.join(SOURCE, "deploy", "models"),
                "--auth-token-file", token, "--max-message-bytes", str(16 << 20))


def status_kb(field):
    with open("/proc/%d/status" % server.process.pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def channel(compression):
    return grpc.insecure_channel(server.tcp, compression=compression, options=[
        ("grpc.max_send_message_length", 64 << 20), ("grpc.use_local_subchannel_pool", 1)])


bomb = pb.PrepareRequest(model_name="cls_pyramid")
bomb.images.add(encoded=bytes(15 << 20))
results = []


def call(stub, metadata=()):
    try:
        stub.Prepare(bomb, timeout=30, metadata=metadata)
        results.append(("OK", ""))
    except grpc.RpcError as error:
        results.append((error.code(), error.details()))


DISABLED = "Compression algorithm '%s' is disabled."
before = status_kb("VmHWM")
stubs = [rpc.InputAdapterStub(channel(grpc.Compression.Gzip)) for _ in range(16)]
threads = [threading.Thread(target=call, args=(stub,)) for stub in stubs for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
grown = (status_kb("VmHWM") - before) / 1024
print("peak RSS growth over 32 unauthenticated gzip requests: %.1f MiB" % grown)
check("32 unauthenticated gzip requests are all UNIMPLEMENTED 'gzip is disabled'",
      results == [(grpc.StatusCode.UNIMPLEMENTED, DISABLED % "gzip")] * 32, set(results))
check("and the server's peak RSS stays flat (under 16 MiB growth)", grown < 16, grown)

for name, compression in (("gzip", grpc.Compression.Gzip), ("deflate", grpc.Compression.Deflate)):
    results.clear()
    call(rpc.InputAdapterStub(channel(compression)), AUTH)
    check("with the token, %s is UNIMPLEMENTED too" % name,
          results == [(grpc.StatusCode.UNIMPLEMENTED, DISABLED % name)], results)

good = pb.PrepareRequest(model_name="cls_pyramid")
good.images.add(encoded=open(os.path.join(SOURCE, "deploy", "demo", "scene.jpg"), "rb").read())
plain = rpc.InputAdapterStub(channel(grpc.Compression.NoCompression))
check("an uncompressed request with the token is served",
      len(plain.Prepare(good, timeout=30, metadata=AUTH).tensors) == 2)
try:
    plain.Prepare(good, timeout=30)
    code = grpc.StatusCode.OK
except grpc.RpcError as error:
    code = error.code()
check("and without it is UNAUTHENTICATED", code == grpc.StatusCode.UNAUTHENTICATED, code)
check("the server exits 0", server.stop() == 0)
check.finish()
