#!/usr/bin/python3
"""Finding 13 of issue 15 against the real hbprep-server over TCP: a model_name with a
newline and an ESC byte cannot forge a log line nor reach the log raw, and a 10 MB name comes
back as NOT_FOUND (not RESOURCE_EXHAUSTED) with the name cut, adding a few hundred bytes to
the log instead of megabytes.

Usage: echo_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os

import grpc

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import Server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


MODELS = "(models: cls_batch8, cls_pyramid, det_resizer, fusion_multi, x5_ssd)"
server = Server(BUILD, WORK, "server", os.path.join(SOURCE, "deploy", "models"))
channel = grpc.insecure_channel(server.tcp, options=[("grpc.max_send_message_length", 64 << 20)])
stub = rpc.InputAdapterStub(channel)


def refused(name):
    try:
        stub.Prepare(pb.PrepareRequest(model_name=name), timeout=30)
        return None, ""
    except grpc.RpcError as error:
        return error.code(), error.details()


forged = "x\n2026-01-01T00:00:00.000 error FORGED LINE \x1b[2J"
code, details = refused(forged)
check("a newline in model_name is NOT_FOUND", code == grpc.StatusCode.NOT_FOUND, code)
check("the status echoes it escaped",
      details == "model 'x\\n2026-01-01T00:00:00.000 error FORGED LINE \\x1b[2J' is not in the "
      "repository " + MODELS, repr(details))
before = len(server.text())
code, details = refused("n" * (10 << 20))
check("a 10 MB model_name is NOT_FOUND", code == grpc.StatusCode.NOT_FOUND, code)
check("the status cuts it to 64 bytes and gives its length",
      details == "model '" + "n" * 64 + "...(10485760 bytes)' is not in the repository " + MODELS,
      details[:200])
# A good request still works after both.
good = pb.PrepareRequest(model_name="cls_pyramid")
good.images.add(encoded=open(os.path.join(SOURCE, "deploy", "demo", "scene.jpg"), "rb").read())
check("a good request is served", len(stub.Prepare(good, timeout=30).tensors) == 2)
server.stop()
text = server.text()
grown = len(text) - before
check("the 10 MB name added under 1 KB to the log", grown < 1024, grown)
check("no log line is forged", "\nFORGED" not in text and
      not any(line.startswith("2026-01-01") for line in text.splitlines()), text[-600:])
check("no ESC byte reaches the log", "\x1b" not in text)
check("the log line is escaped",
      "Prepare refused: NOT_FOUND: model 'x\\n2026-01-01T00:00:00.000 error FORGED LINE "
      "\\x1b[2J' is not in the repository" in text, text[-600:])
check.finish()
