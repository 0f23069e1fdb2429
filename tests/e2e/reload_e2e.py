#!/usr/bin/python3
"""Finding 12 of issue 15 against the real hbprep-server: a model file rewritten in place,
slowly (40-byte chunks 10 ms apart, about 250 ms a rewrite), while clients keep asking for
the model: every answer comes from one of the two complete versions, never from a truncated
file that still parses; and both versions are served (the reload does happen).

Usage: reload_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import threading
import time

import grpc

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import Server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


models = os.path.join(WORK, "models")
os.makedirs(models)
original = open(os.path.join(SOURCE, "deploy", "models", "cls_pyramid.yaml"), "rb").read()
versions = [original, original.replace(b"58.395", b"60.5")]
path = os.path.join(models, "m.yaml")
with open(path, "wb") as f:
    f.write(versions[0])

# Both complete versions' hashes, from a server of their own.
hashes = []
for i, text in enumerate(versions):
    folder = os.path.join(WORK, "v%d" % i)
    os.makedirs(folder)
    with open(os.path.join(folder, "m.yaml"), "wb") as f:
        f.write(text)
    reference = Server(BUILD, WORK, "reference%d" % i, folder, "--reload-poll-ms", "0")
    with grpc.insecure_channel(reference.tcp) as channel:
        hashes.append(rpc.InputAdapterStub(channel).DescribeModel(
            pb.DescribeModelRequest(model_name="m"), timeout=10).descriptor_hash)
    reference.stop()
check("the two versions differ", hashes[0] != hashes[1], hashes)

server = Server(BUILD, WORK, "server", models, "--reload-poll-ms", "200")
channel = grpc.insecure_channel(server.tcp)
stub = rpc.InputAdapterStub(channel)
seen = {}
errors = []
stop = threading.Event()


def ask():
    while not stop.is_set():
        try:
            answer = stub.DescribeModel(pb.DescribeModelRequest(model_name="m"), timeout=10)
            seen[answer.descriptor_hash] = seen.get(answer.descriptor_hash, 0) + 1
        except grpc.RpcError as error:
            errors.append(error.details())
        time.sleep(0.005)


askers = [threading.Thread(target=ask) for _ in range(2)]
for thread in askers:
    thread.start()
for rewrite in range(12):
    text = versions[(rewrite + 1) % 2]
    with open(path, "r+b") as f:  # in place: truncate, then write slowly
        f.truncate(0)
        for at in range(0, len(text), 40):
            f.write(text[at:at + 40])
            f.flush()
            time.sleep(0.01)
    time.sleep(0.6)  # settled: two polls see the same file
stop.set()
for thread in askers:
    thread.join()
server.stop()
answered = sum(seen.values())
check("requests were answered during the rewrites", answered > 200, answered)
check("no error", not errors, errors[:3])
check("every answer is one of the two complete versions", set(seen) <= set(hashes),
      {h[:20]: n for h, n in seen.items() if h not in hashes})
check("both versions were served", set(seen) == set(hashes), seen)
check.finish()
